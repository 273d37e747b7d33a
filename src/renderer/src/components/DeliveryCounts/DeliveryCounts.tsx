import { Paper, SimpleGrid, Text } from '@mantine/core';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../../shared/domain/delivery.ts';

const LABELS: Record<DeliveryStatus, { label: string; color: string; hint: string }> = {
  queued: { label: 'Queued', color: 'blue', hint: 'waiting for their turn' },
  sending: { label: 'Sending', color: 'cyan', hint: 'being handed over now' },
  deferred: { label: 'Deferred', color: 'yellow', hint: 'will be retried' },
  delivered: { label: 'Delivered', color: 'green', hint: 'accepted by the recipient’s server' },
  bounced: { label: 'Bounced', color: 'red', hint: 'refused for good' },
  cancelled: { label: 'Cancelled', color: 'gray', hint: 'stopped before sending' },
  unknown: { label: 'Unknown', color: 'orange', hint: 'interrupted mid-handover' },
};

/** One tile per delivery status, always all of them, so a zero is visible as a zero. */
export function DeliveryCounts({ counts }: { counts: Partial<Record<DeliveryStatus, number>> }) {
  return (
    <SimpleGrid cols={{ base: 2, xs: 3, sm: 4 }} spacing="sm">
      {DELIVERY_STATUSES.map((status) => {
        const { label, color, hint } = LABELS[status];
        return (
          <Paper key={status} withBorder p="sm" data-status={status} aria-label={`${label} deliveries`}>
            <Text size="xs" tt="uppercase" fw={700} c={color}>
              {label}
            </Text>
            <Text fz={28} fw={700} lh={1.2} data-testid={`count-${status}`}>
              {(counts[status] ?? 0).toLocaleString()}
            </Text>
            <Text size="xs" c="dimmed">
              {hint}
            </Text>
          </Paper>
        );
      })}
    </SimpleGrid>
  );
}
