import { Alert, Badge, Box, Button, Card, Code, Collapse, Group, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import type { RecordToCreate } from '../../../../shared/domain/dns.ts';
import { type DnsHost, hostFieldFor, TXT_STRING_MAX, txtValueFor } from '../../../../shared/domain/dns-hosts.ts';
import { CopyValueButton } from '../../components/CopyValueButton/CopyValueButton.tsx';

const PURPOSE: Record<RecordToCreate['purpose'], string> = { spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC' };

const ACTION: Record<RecordToCreate['state'], { label: string; color: string }> = {
  add: { label: 'Add this record', color: 'blue' },
  change: { label: 'Change the existing record', color: 'orange' },
  done: { label: 'Already done ✓', color: 'green' },
};

/** What to type in the panel's name box; the record's own relative name if the host rules do not apply. */
function hostBox(host: DnsHost, record: RecordToCreate, zone: string | null): string {
  // Zone unknown: a name relative to a guessed zone could land in the wrong place
  // (_dmarc typed into shop.example's panel for news.shop.example), so only the full name.
  if (zone === null) return record.name;
  try {
    return hostFieldFor(host, record.name, zone);
  } catch {
    return record.host;
  }
}

/** The value as the panel wants it pasted (quoted pieces for Route 53). */
function pasteValue(host: DnsHost, value: string): string {
  try {
    return txtValueFor(host, value);
  } catch {
    return value;
  }
}

function ttlText(ttl: number, host: DnsHost): string {
  const seconds =
    ttl % 3600 === 0 ? `${ttl} seconds (${ttl / 3600} ${ttl === 3600 ? 'hour' : 'hours'})` : `${ttl} seconds`;
  // Where the panel's own default is right, say that first; the number is for panels that ask.
  return host.defaultTtlNote ? `${host.defaultTtlNote} If a number is asked for: ${seconds}.` : seconds;
}

/** One record: add, change or leave it, with every field to copy into the DNS panel. */
export function RecordCard({
  record,
  host,
  zone,
  children,
}: {
  record: RecordToCreate;
  host: DnsHost;
  /** The DNS zone the record goes in; null when it could not be found. */
  zone: string | null;
  children?: ReactNode;
}) {
  const [splitOpen, split] = useDisclosure(false);
  const action = ACTION[record.state];
  const name = PURPOSE[record.purpose];
  const box = hostBox(host, record, zone);
  const value = pasteValue(host, record.value);
  const long = record.value.length > TXT_STRING_MAX;
  const id = record.purpose;

  return (
    <Card withBorder padding="lg" data-testid={`setup-record-${id}`} data-state={record.state}>
      <Group justify="space-between" align="flex-start" mb={4}>
        <Title order={3} size="h4">
          {name} record
        </Title>
        <Badge color={action.color} variant="light" tt="none" size="lg" data-testid="record-action">
          {action.label}
        </Badge>
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        {record.why}
      </Text>
      {record.state === 'done' ? (
        <Text size="sm" data-testid="record-done">
          Nothing to do: <Code>{record.name}</Code> already has the right value.
        </Text>
      ) : (
        <Stack gap="sm">
          {record.state === 'change' && record.current && (
            <Alert color="orange" variant="light" title="Edit the record that is there now; do not add a second one">
              <Text size="sm">What is there now:</Text>
              <Code
                block
                mt={4}
                style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}
                data-testid="record-current"
              >
                {record.current}
              </Code>
            </Alert>
          )}
          <Field label="Type">
            <Code>{record.type}</Code>
          </Field>
          <Field
            label={host.hostField.label}
            hint={
              zone === null
                ? `The full name, because Mailroom could not find your domain's DNS. If ${host.name} adds your domain by itself, type only the part in front of it.`
                : `What to type at ${host.name}`
            }
          >
            <Group gap="sm" wrap="nowrap">
              <Code data-testid="record-host">{box === '' ? '(leave the box empty)' : box}</Code>
              {box !== '' && (
                <CopyValueButton value={box} label={`${name} ${host.hostField.label}`} testId={`copy-${id}-host`} />
              )}
            </Group>
          </Field>
          <Field label="Full name" hint="For panels that want the whole name">
            <Group gap="sm" wrap="nowrap">
              <Code data-testid="record-name">{record.name}</Code>
              <CopyValueButton value={record.name} label={`${name} full name`} testId={`copy-${id}-name`} />
            </Group>
          </Field>
          <Field label={host.valueField.txt}>
            <Group gap="sm" wrap="nowrap" align="flex-start">
              <Code
                block
                style={{ flex: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}
                data-testid="record-value"
              >
                {value}
              </Code>
              <CopyValueButton value={value} label={`${name} value`} testId={`copy-${id}-value`} />
            </Group>
          </Field>
          <Field label="TTL">
            <Text size="sm">{ttlText(record.ttl, host)}</Text>
          </Field>
          {long && (
            <Box>
              {host.longTxtNote && (
                <Text size="sm" c="dimmed" mb={4}>
                  {host.longTxtNote}
                </Text>
              )}
              <Button variant="subtle" size="compact-sm" onClick={split.toggle} data-testid={`record-split-${id}`}>
                {splitOpen ? 'Hide' : 'Show'} the value split into {TXT_STRING_MAX}-character strings
              </Button>
              <Collapse expanded={splitOpen}>
                <Text size="sm" c="dimmed" mt={4}>
                  Only for panels that ask for several strings: enter them in this order, each in its own box.
                </Text>
                <Stack gap={4} mt={4}>
                  {record.strings.map((s, i) => (
                    <Group key={s} gap="sm" wrap="nowrap" align="flex-start">
                      <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
                        {s}
                      </Code>
                      <CopyValueButton value={s} label={`${name} string ${i + 1}`} />
                    </Group>
                  ))}
                </Stack>
              </Collapse>
            </Box>
          )}
        </Stack>
      )}
      {children}
    </Card>
  );
}

function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <Group gap="md" wrap="nowrap" align="flex-start">
      <Box w={170} style={{ flexShrink: 0 }}>
        <Text size="sm" fw={600}>
          {label}
        </Text>
        {hint && (
          <Text size="xs" c="dimmed">
            {hint}
          </Text>
        )}
      </Box>
      <Box style={{ flex: 1, minWidth: 0 }}>{children}</Box>
    </Group>
  );
}
