import type { DeliveryStatus } from '../../../../shared/domain/delivery.ts';

export const STATUS_COLORS: Record<DeliveryStatus, string> = {
  queued: 'blue',
  sending: 'cyan',
  deferred: 'yellow',
  delivered: 'green',
  bounced: 'red',
  cancelled: 'gray',
  unknown: 'orange',
};

export const STATUS_LABELS: Record<DeliveryStatus, string> = {
  queued: 'Queued',
  sending: 'Sending',
  deferred: 'Deferred',
  delivered: 'Delivered',
  bounced: 'Bounced',
  cancelled: 'Cancelled',
  unknown: 'Unknown',
};

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
