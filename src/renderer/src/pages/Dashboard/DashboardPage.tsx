import {
  Alert,
  Button,
  Card,
  Center,
  Code,
  Group,
  Loader,
  Paper,
  Progress,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import type { Dashboard } from '../../../../shared/domain/dashboard.ts';
import { DeliveryCounts } from '../../components/DeliveryCounts/DeliveryCounts.tsx';
import { call } from '../../lib/ipc.ts';
import { notifyError } from '../../lib/notify.ts';
import { hrefOf } from '../../lib/router.ts';
import { useDashboard } from '../../lib/use-dashboard.ts';
import { WarningList } from './WarningList.tsx';

export function DashboardPage() {
  const { data, error } = useDashboard();
  return (
    <Stack gap="lg" maw={1000}>
      <Title order={2}>Dashboard</Title>
      {error && (
        <Alert color="red" variant="light" title="Mailroom could not read its status" role="alert">
          <Text size="sm">{error.message}</Text>
          <Text size="xs" c="dimmed" mt={4}>
            {error.description} Code {error.code}.
          </Text>
        </Alert>
      )}
      {!data && !error && (
        <Center py="xl">
          <Loader aria-label="Loading the dashboard" />
        </Center>
      )}
      {data && <DashboardBody data={data} />}
    </Stack>
  );
}

function DashboardBody({ data }: { data: Dashboard }) {
  const { status, today } = data;
  return (
    <>
      <WarningList warnings={data.warnings} />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <RelayCard data={data} />
        <SendingCard data={data} />
      </SimpleGrid>
      <Card withBorder padding="lg">
        <Group justify="space-between" mb="sm" align="baseline">
          <Title order={3} size="h4">
            Today
          </Title>
          <Text size="sm" c="dimmed">
            since midnight
          </Text>
        </Group>
        <SimpleGrid cols={3} spacing="sm">
          <TodayTile label="Delivered" value={today.delivered} color="green" testId="today-delivered" />
          <TodayTile label="Deferred" value={today.deferred} color="yellow" testId="today-deferred" />
          <TodayTile label="Bounced" value={today.bounced} color="red" testId="today-bounced" />
        </SimpleGrid>
      </Card>
      <Card withBorder padding="lg">
        <Group justify="space-between" mb="sm" align="baseline">
          <Title order={3} size="h4">
            Queue
          </Title>
          <Text size="sm" c="dimmed" data-testid="message-count">
            {status.messages.toLocaleString()} {status.messages === 1 ? 'message' : 'messages'} in all ·{' '}
            <a href={hrefOf('/log')}>open the delivery log</a>
          </Text>
        </Group>
        <DeliveryCounts counts={status.deliveries} />
      </Card>
      <Text size="xs" c="dimmed" data-testid="updated-at">
        Data folder {status.dataDir} · updated {new Date(data.at).toLocaleTimeString()}
      </Text>
    </>
  );
}

function TodayTile({ label, value, color, testId }: { label: string; value: number; color: string; testId: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" tt="uppercase" fw={700} c={color}>
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.2} data-testid={testId}>
        {value.toLocaleString()}
      </Text>
    </Paper>
  );
}

function RelayCard({ data }: { data: Dashboard }) {
  const { relay } = data.status;
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4">
          Local relay
        </Title>
        <Text size="sm" fw={600} c={relay.running ? 'green' : 'red'} data-testid="relay-state">
          {relay.running ? 'Running' : 'Not running'}
        </Text>
      </Group>
      <Text size="sm">
        Mail programs on this computer send through <Code data-testid="relay-address">{relay.address}</Code>
        {relay.username && (
          <>
            {' '}
            as <Code data-testid="relay-username">{relay.username}</Code>
          </>
        )}
        .
      </Text>
      <Button component="a" href={hrefOf('/settings/relay')} variant="light" size="xs" mt="md">
        Settings for Outlook and other mail programs
      </Button>
    </Card>
  );
}

function SendingCard({ data }: { data: Dashboard }) {
  const { delivery } = data.status;
  const paused = data.warnings.some((w) => w.kind === 'sending-paused');
  // A warning above already explains pauses and caps; other waits (a rate limit) are said here.
  const explained = data.warnings.some((w) => ['sending-paused', 'route-paused', 'daily-cap'].includes(w.kind));
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    try {
      await call('sending.setPaused', { paused: !paused });
    } catch (err) {
      notifyError(err, paused ? 'Sending could not be resumed' : 'Sending could not be paused');
    } finally {
      setBusy(false);
    }
  };
  const cap = delivery.dailyCap;
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4">
          Sending
        </Title>
        <Button
          size="xs"
          variant={paused ? 'filled' : 'default'}
          loading={busy}
          onClick={toggle}
          data-testid="toggle-sending"
        >
          {paused ? 'Resume sending' : 'Pause sending'}
        </Button>
      </Group>
      <Text size="sm" data-testid="route-target">
        {delivery.route === 'direct' ? 'Directly to ' : 'Through your provider, '}
        {delivery.target}
      </Text>
      {delivery.waiting && !explained && (
        <Text size="sm" c="orange" mt="xs" data-testid="route-waiting">
          {delivery.waiting}
        </Text>
      )}
      {cap && (
        <Stack gap={4} mt="sm">
          <Text size="xs" c="dimmed">
            Today {cap.sentToday.toLocaleString()} of {cap.cap.toLocaleString()} recipients (daily limit)
          </Text>
          <Progress value={Math.min(100, (cap.sentToday / cap.cap) * 100)} aria-label="Daily limit used" />
        </Stack>
      )}
    </Card>
  );
}
