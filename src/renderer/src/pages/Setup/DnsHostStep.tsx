import { Alert, Anchor, Card, List, Select, Stack, Text, Title } from '@mantine/core';
import type { WizardPlan } from '../../../../shared/domain/dns.ts';
import { DNS_HOSTS, type DnsHost, GENERIC_DNS_HOST_ID, TXT_STRING_MAX } from '../../../../shared/domain/dns-hosts.ts';

const HOST_CHOICES = DNS_HOSTS.map((h) => ({
  value: h.id,
  label: h.id === GENERIC_DNS_HOST_ID ? 'Somewhere else (general steps)' : h.name,
}));

interface Props {
  plan: WizardPlan;
  /** The host the instructions are for: the detected one, or the person's choice. */
  host: DnsHost;
  detected: DnsHost;
  onOverride: (id: string | null) => void;
}

/** Step 5: where the records are created, in the words of that DNS host's own panel. */
export function DnsHostStep({ plan, host, detected, onOverride }: Props) {
  const known = detected.id !== GENERIC_DNS_HOST_ID;
  const longRecord = plan.records.some((r) => r.state !== 'done' && r.value.length > TXT_STRING_MAX);
  const notes = [
    host.hostField.note,
    longRecord ? host.longTxtNote : undefined,
    host.defaultTtlNote,
    plan.providerDkim ? host.cnameProxyNote : undefined,
    plan.providerDkim ? host.cnameTargetNote : undefined,
    host.note,
  ].filter((n): n is string => Boolean(n));

  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Title order={3} size="h4" mb={4} data-testid="setup-dns-host-detected">
          {known ? `Your DNS is at ${detected.name}` : 'Mailroom does not recognise where your DNS is'}
        </Title>
        <Text size="sm" c="dimmed">
          {plan.nameServers.length > 0
            ? `Found from the name servers of ${plan.zone ?? plan.domain}: ${plan.nameServers.join(', ')}.`
            : `Mailroom could not find the name servers of ${plan.domain}.`}
        </Text>
        <Select
          mt="md"
          maw={420}
          label="My DNS is somewhere else"
          description="If you edit your DNS elsewhere (often where you bought the domain), pick it here."
          data={HOST_CHOICES}
          value={host.id}
          onChange={(v) => v && onOverride(v === detected.id ? null : v)}
          allowDeselect={false}
          searchable
          data-testid="setup-dns-host-select"
        />
      </Card>
      <Card withBorder padding="lg" data-testid="setup-dns-host-steps">
        <Title order={3} size="h4" mb="sm" data-testid="setup-dns-host-name">
          At {host.name}
        </Title>
        <List type="ordered" spacing="xs" size="sm">
          {host.steps.map((s) => (
            <List.Item key={s}>{s}</List.Item>
          ))}
          <List.Item>Repeat for each record of the step before, then come back here and check.</List.Item>
        </List>
        <Text size="sm" mt="md">
          For each record, the name goes into the field called <b>{host.hostField.label}</b> and the value into{' '}
          <b>{host.valueField.txt}</b>. Choose the type <b>TXT</b>.
        </Text>
        {notes.length > 0 && (
          <Alert color="blue" variant="light" mt="md" title={`Good to know about ${host.name}`}>
            <List size="sm" spacing={4}>
              {notes.map((n) => (
                <List.Item key={n}>{n}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {host.docsUrl && (
          <Text size="sm" mt="md">
            <Anchor href={host.docsUrl} target="_blank" rel="noreferrer" data-testid="setup-dns-host-docs">
              {host.name}’s own help page for adding records
            </Anchor>
          </Text>
        )}
      </Card>
    </Stack>
  );
}
