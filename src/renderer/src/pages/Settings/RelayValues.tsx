import { Card, Code, Group, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import type { RelayDetails } from '../../../../shared/ipc/contract.ts';
import { CopyValueButton } from '../../components/CopyValueButton/CopyValueButton.tsx';
import { RelayPassword } from './RelayPassword.tsx';

/** The exact values a mail program needs, each with a copy button where copying is allowed. */
export function RelayValues({ details, onChange }: { details: RelayDetails; onChange: (d: RelayDetails) => void }) {
  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb={4}>
        Values for your mail program
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Type these into the outgoing mail (SMTP) server settings. The tabs below show where each one goes.
      </Text>
      <Table variant="vertical" verticalSpacing="sm" layout="fixed">
        <Table.Tbody>
          <Row label="Server">
            <Value testId="relay-host" value={details.host} copyLabel="server name" />
            <Text size="sm" c="dimmed" data-testid="relay-host-note">
              {details.host === 'localhost'
                ? 'This computer. Mailroom answers on both of its addresses (127.0.0.1 and ::1), whichever your mail program tries.'
                : details.host === '127.0.0.1'
                  ? 'This computer’s own address. (Mailroom does not answer on ::1 here, so “localhost” might not reach it.)'
                  : 'The address Mailroom listens on.'}
            </Text>
          </Row>
          <Row label="Port">
            <Value testId="relay-port" value={String(details.port)} copyLabel="port" />
          </Row>
          <Row label="Security (encryption)">
            <Text fw={600} data-testid="relay-security">
              None
            </Text>
            <Text size="sm" c="dimmed">
              The connection never leaves this computer, so it needs no encryption. Outlook calls this encryption method
              “None”, Thunderbird connection security “None”; in Apple Mail, untick “Use TLS/SSL”.
            </Text>
          </Row>
          <Row label="Authentication">
            <Text fw={600}>Normal password</Text>
            <Text size="sm" c="dimmed">
              Thunderbird: “Normal password”. Apple Mail: “Password”. Outlook: tick “My outgoing server (SMTP) requires
              authentication” and log on with the user name and password below.
            </Text>
          </Row>
          <Row label="User name">
            {details.username ? (
              <Value testId="relay-username" value={details.username} copyLabel="user name" />
            ) : (
              <Text c="dimmed">Made when the relay first starts.</Text>
            )}
          </Row>
          <Row label="Password">
            <RelayPassword details={details} onChange={onChange} />
          </Row>
        </Table.Tbody>
      </Table>
    </Card>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={170} style={{ verticalAlign: 'top' }}>
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  );
}

function Value({ testId, value, copyLabel }: { testId: string; value: string; copyLabel: string }) {
  return (
    <Group gap="sm" wrap="nowrap">
      <Code fz="sm" data-testid={testId}>
        {value}
      </Code>
      <CopyValueButton value={value} label={copyLabel} />
    </Group>
  );
}
