import {
  Alert,
  Badge,
  Button,
  Code,
  Drawer,
  Group,
  Loader,
  ScrollArea,
  Stack,
  Table,
  Text,
  Timeline,
  Title,
} from '@mantine/core';
import type { LogDetail, LogEvent } from '../../../../shared/domain/delivery-log.ts';
import { call } from '../../lib/ipc.ts';
import { useLoad } from '../../lib/use-load.ts';
import { formatTime, STATUS_COLORS, STATUS_LABELS } from './status-style.ts';

const EVENT_COLORS: Record<string, string> = {
  delivered: 'green',
  bounced: 'red',
  deferred: 'yellow',
  cancelled: 'gray',
  unknown: 'orange',
  reclaimed: 'orange',
};

/** One delivery: its state, every attempt with the server's words and TLS use, and the message's headers. */
export function DeliveryDrawer({
  id,
  onClose,
  onAction,
  refreshKey,
}: {
  id: number | null;
  onClose: () => void;
  onAction: (action: 'retry' | 'cancel', ids: number[]) => Promise<void>;
  refreshKey: number;
}) {
  const detail = useLoad(() => (id ? call('log.detail', { id }) : Promise.resolve(null)), [id, refreshKey]);
  const d = detail.data;
  return (
    <Drawer
      opened={id !== null}
      onClose={onClose}
      position="right"
      size="xl"
      title={<Title order={3}>Delivery {id ? `#${id}` : ''}</Title>}
      scrollAreaComponent={ScrollArea.Autosize}
      data-testid="log-drawer"
    >
      {detail.error && (
        <Alert color="red" variant="light" title="This delivery could not be read">
          {detail.error.message}
        </Alert>
      )}
      {!d && !detail.error && <Loader aria-label="Loading the delivery" />}
      {d && <DrawerBody d={d} onAction={onAction} />}
    </Drawer>
  );
}

function DrawerBody({
  d,
  onAction,
}: {
  d: LogDetail;
  onAction: (a: 'retry' | 'cancel', ids: number[]) => Promise<void>;
}) {
  const { delivery, message, events } = d;
  const waiting = delivery.status === 'queued' || delivery.status === 'deferred';
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text fw={600} data-testid="drawer-recipient">
          {delivery.recipient}
        </Text>
        <Badge color={STATUS_COLORS[delivery.status]} data-testid="drawer-status">
          {STATUS_LABELS[delivery.status]}
        </Badge>
      </Group>
      <Table variant="vertical" withRowBorders={false} verticalSpacing={4}>
        <Table.Tbody>
          <Row label="Subject" value={message.subject ?? '(no subject)'} />
          <Row label="From" value={message.headerFrom ?? message.mailFrom} />
          <Row label="Envelope sender" value={message.mailFrom || '<> (a bounce report)'} />
          <Row label="Queue id" value={message.queueId} />
          <Row label="Queued" value={formatTime(delivery.createdAt)} />
          <Row label="Attempts" value={String(delivery.attempts)} />
          {delivery.nextAttemptAt && <Row label="Next attempt" value={formatTime(delivery.nextAttemptAt)} />}
          <Row label="Recipients" value={`${message.recipients} in this message`} />
          <Row label="Size" value={`${Math.max(1, Math.round(message.size / 1024)).toLocaleString()} KB`} />
        </Table.Tbody>
      </Table>
      {(waiting || delivery.status === 'unknown') && (
        <Group>
          {waiting && (
            <Button size="xs" onClick={() => onAction('retry', [delivery.id])} data-testid="drawer-retry">
              Retry now
            </Button>
          )}
          <Button
            size="xs"
            color="red"
            variant="light"
            onClick={() => onAction('cancel', [delivery.id])}
            data-testid="drawer-cancel"
          >
            Cancel this delivery
          </Button>
        </Group>
      )}
      <Title order={4}>What happened</Title>
      <Timeline bulletSize={14} lineWidth={2} data-testid="drawer-events">
        {events.map((e, i) => (
          <Timeline.Item
            // biome-ignore lint/suspicious/noArrayIndexKey: events are append-only and never reordered.
            key={i}
            color={EVENT_COLORS[e.kind] ?? 'blue'}
            title={<EventTitle e={e} />}
          >
            <EventBody e={e} />
          </Timeline.Item>
        ))}
      </Timeline>
      <Title order={4}>Message headers</Title>
      {message.bodyRemovedAt !== null && (
        <Text size="sm" c="dimmed" data-testid="drawer-body-removed">
          The text of this message was removed on {formatTime(message.bodyRemovedAt)}, once every delivery had finished
          and the time to keep message bodies had passed (Settings → App). Its headers and this log are kept.
        </Text>
      )}
      {message.headers.length === 0 ? (
        <Text size="sm" c="dimmed">
          No stored headers (this message is put together when it is sent).
        </Text>
      ) : (
        <Code block data-testid="drawer-headers" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
          {message.headers.map((h) => `${h.name}: ${h.value}`).join('\n')}
        </Code>
      )}
    </Stack>
  );
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <Table.Tr>
      <Table.Th w={150}>{label}</Table.Th>
      <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
    </Table.Tr>
  );
}

function EventTitle({ e }: { e: LogEvent }) {
  return (
    <Group gap="xs">
      <Text size="sm" fw={600} tt="capitalize">
        {e.kind}
      </Text>
      <Text size="xs" c="dimmed">
        {formatTime(e.at)}
      </Text>
      {e.tls !== null && (
        <Badge size="xs" variant="outline" color={e.tls ? 'green' : 'gray'} data-testid="event-tls">
          {e.tls ? 'encrypted (TLS)' : 'not encrypted'}
        </Badge>
      )}
    </Group>
  );
}

function EventBody({ e }: { e: LogEvent }) {
  const where = [e.route && (e.route === 'direct' ? 'direct' : 'through the provider'), e.remoteHost]
    .filter(Boolean)
    .join(' · ');
  return (
    <Stack gap={2}>
      {where && (
        <Text size="xs" c="dimmed">
          {where}
        </Text>
      )}
      {e.response && (
        <Code block style={{ whiteSpace: 'pre-wrap' }} data-testid="event-reply">
          {e.response}
        </Code>
      )}
      {e.detail && <Text size="sm">{e.detail}</Text>}
    </Stack>
  );
}
