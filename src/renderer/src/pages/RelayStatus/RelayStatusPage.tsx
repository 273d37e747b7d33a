import { Alert, Card, Center, Container, Group, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { DeliveryCounts } from '../../components/DeliveryCounts/DeliveryCounts.tsx';
import { call, subscribe } from '../../lib/ipc.ts';
import { usePolling } from '../../lib/use-polling.ts';
import { DomainsCard } from './DomainsCard.tsx';
import { RelayCard } from './RelayCard.tsx';

const REFRESH_MS = 2000;

async function loadStatus() {
  const [status, info] = await Promise.all([call('relay.status'), call('app.info')]);
  return { status, info };
}

export function RelayStatusPage() {
  const { data, error, updatedAt, refresh } = usePolling(loadStatus, REFRESH_MS);
  // The engine says when the relay comes up or fails; show it now rather than at the next tick.
  useEffect(() => subscribe('engine.state', refresh), [refresh]);

  const engineError = data?.info.engine.state === 'failed' ? data.info.engine.error : null;

  return (
    <Container size="md" py="xl">
      <Stack gap="lg">
        <Group justify="space-between" align="baseline">
          <Title order={1} size="h2">
            Mailroom
          </Title>
          {data && (
            <Text c="dimmed" size="sm">
              version {data.info.version}
            </Text>
          )}
        </Group>

        {error && (
          <Alert color="red" variant="light" title="Mailroom could not read the relay status" role="alert">
            <Text size="sm">{error.message}</Text>
            <Text size="xs" c="dimmed" mt={4}>
              {error.description} Code {error.code}; trying again every {REFRESH_MS / 1000} seconds.
            </Text>
          </Alert>
        )}

        {engineError && (
          <Alert color="orange" variant="light" title="The relay did not start" data-testid="engine-error">
            <Text size="sm">{engineError.message}</Text>
          </Alert>
        )}

        {!data && !error && (
          <Center py="xl">
            <Loader aria-label="Loading the relay status" />
          </Center>
        )}

        {data && (
          <>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="lg">
              <RelayCard relay={data.status.relay} secretStore={data.status.secretStore} />
              <DomainsCard domains={data.status.sendingDomains} />
            </SimpleGrid>
            <Card withBorder padding="lg">
              <Group justify="space-between" mb="sm" align="baseline">
                <Title order={3} size="h4">
                  Deliveries
                </Title>
                <Text size="sm" c="dimmed" data-testid="message-count">
                  {data.status.messages.toLocaleString()} {data.status.messages === 1 ? 'message' : 'messages'} accepted
                </Text>
              </Group>
              <DeliveryCounts counts={data.status.deliveries} />
            </Card>
            <Text size="xs" c="dimmed">
              Data folder {data.status.dataDir}
              {updatedAt && ` · updated ${updatedAt.toLocaleTimeString()}`}
            </Text>
          </>
        )}
      </Stack>
    </Container>
  );
}
