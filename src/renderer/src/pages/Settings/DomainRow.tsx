import { Badge, Button, Group, Paper, Text } from '@mantine/core';
import type { SendingDomain } from '../../../../shared/ipc/contract.ts';
import { hrefOf } from '../../lib/router.ts';
import { rememberSetupDomain } from '../Setup/setup-domain.ts';

/** One sending domain: its name, whether its mail is signed, a way to its DNS setup, and a way to remove it. */
export function DomainRow({ domain, onRemove }: { domain: SendingDomain; onRemove: () => void }) {
  const name = domain.domain;
  const selectors = domain.dkim.map((k) => k.selector);
  return (
    <Paper withBorder p="sm" data-testid={`domain-row-${name}`}>
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Group gap="sm">
          <Text fw={600}>{name}</Text>
          {selectors.length > 0 ? (
            <Badge color="green" variant="light" tt="none" data-testid={`dkim-${name}`}>
              Signed with DKIM (selector {selectors.join(', ')})
            </Badge>
          ) : (
            <Badge color="orange" variant="light" tt="none" data-testid={`dkim-${name}`}>
              No DKIM key yet: mail goes out unsigned
            </Badge>
          )}
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
