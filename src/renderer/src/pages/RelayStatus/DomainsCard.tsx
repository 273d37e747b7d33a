import { Badge, Card, Code, Group, Text, Title } from '@mantine/core';

/** The relay accepts mail only from these domains, so an empty list is worth explaining. */
export function DomainsCard({ domains }: { domains: string[] }) {
  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb="sm">
        Sending domains
      </Title>
      {domains.length === 0 ? (
        <Text c="dimmed" size="sm">
          None yet. The relay only accepts mail from your own domains; add one with{' '}
          <Code>mailroom domains add example.com</Code>.
        </Text>
      ) : (
        <Group gap="xs" data-testid="sending-domains">
          {domains.map((d) => (
            <Badge key={d} variant="outline" size="lg" tt="none">
              {d}
            </Badge>
          ))}
        </Group>
      )}
    </Card>
  );
}
