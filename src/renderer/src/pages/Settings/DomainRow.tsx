import { Badge, Button, Group, Paper, Text, Tooltip } from '@mantine/core';
import type { DomainReadiness } from '../../../../shared/domain/dns.ts';
import type { SendingDomain } from '../../../../shared/ipc/contract.ts';
import { hrefOf } from '../../lib/router.ts';
import { rememberSetupDomain } from '../Setup/setup-domain.ts';

// The DNS line in words a shop owner reads at a glance; the full sentence is in the tooltip.
const DNS_BADGE: Record<DomainReadiness['state'], { label: string; color: string }> = {
  ready: { label: 'DNS ready', color: 'green' },
  attention: { label: 'DNS needs attention', color: 'red' },
  pending: { label: 'Waiting for DNS changes', color: 'yellow' },
  unchecked: { label: 'DNS not checked yet', color: 'gray' },
};

/** One sending domain: its name, whether its mail is signed, a way to its DNS setup, and a way to remove it. */
export function DomainRow({ domain, onRemove }: { domain: SendingDomain; onRemove: () => void }) {
  const name = domain.domain;
  const selectors = domain.dkim.map((k) => k.selector);
  const dns = DNS_BADGE[domain.readiness.state];
  return (
    <Paper withBorder p="sm" data-testid={`domain-row-${name}`}>
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Group gap="sm">
          <Text fw={600}>
            {domain.readiness.unicode ?? name}
            {domain.readiness.unicode && (
              <Text span c="dimmed" fw={400} size="sm">
                {' '}
                ({name})
              </Text>
            )}
          </Text>
          {selectors.length > 0 ? (
            <Badge color="green" variant="light" tt="none" data-testid={`dkim-${name}`}>
              Signed with DKIM (selector {selectors.join(', ')})
            </Badge>
          ) : (
            <Badge color="orange" variant="light" tt="none" data-testid={`dkim-${name}`}>
              No DKIM key yet: mail goes out unsigned
            </Badge>
          )}
          <Tooltip label={domain.readiness.summary} multiline maw={360}>
            <Badge color={dns.color} variant="light" tt="none" data-testid={`dns-${name}`}>
              {dns.label}
            </Badge>
          </Tooltip>
        </Group>
        <Group gap="xs" wrap="nowrap">
          <Button
            component="a"
            href={hrefOf('/setup')}
            onClick={() => rememberSetupDomain(name)}
            variant="subtle"
            size="compact-sm"
            aria-label={`Set up DNS for ${name}`}
            data-testid={`domain-setup-${name}`}
          >
            Set up DNS
          </Button>
          <Button
            variant="subtle"
            color="red"
            size="compact-sm"
            onClick={onRemove}
            aria-label={`Remove ${name}`}
            data-testid={`domain-remove-${name}`}
          >
            Remove
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}
