import { Badge, Card, Code, Group, Table, Text, Title } from '@mantine/core';
import type { StatusReport } from '../../../../shared/domain/delivery.ts';

/** Where mail programs connect, and with which user name (the password stays in the keychain). */
export function RelayCard({ relay, secretStore }: { relay: StatusReport['relay']; secretStore: string }) {
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4">
          Relay
        </Title>
        <Badge color={relay.running ? 'green' : 'gray'} variant="light" data-testid="relay-state">
          {relay.running ? 'Running' : 'Not running'}
        </Badge>
      </Group>
      <Table variant="vertical" withRowBorders={false} verticalSpacing={6}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={120}>Address</Table.Th>
            <Table.Td>
              <Code data-testid="relay-address">{relay.address}</Code>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>User name</Table.Th>
            <Table.Td data-testid="relay-username">
              {relay.username ? (
                <Code>{relay.username}</Code>
              ) : (
                <Text c="dimmed">created when the relay first starts</Text>
              )}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Process</Table.Th>
            <Table.Td>{relay.runningPid ? `pid ${relay.runningPid}` : '—'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Passwords</Table.Th>
            <Table.Td>{secretStore}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
    </Card>
  );
}
