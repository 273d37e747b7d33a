import type { MemberStatus, SuppressionReason } from '../../../../shared/domain/contacts.ts';

// The words the contacts pages use for stored values, in one place.

export const REASON_LABELS: Record<SuppressionReason, string> = {
  unsubscribed: 'Unsubscribed',
  bounced: 'Bounced (address does not work)',
  complaint: 'Marked as spam',
  manual: 'Added by hand',
  imported: 'Imported from another service',
  erased: 'Erased contact',
};

export const STATUS_LABELS: Record<MemberStatus, string> = {
  subscribed: 'Subscribed',
  unsubscribed: 'Unsubscribed',
  pending: 'Waiting for confirmation',
};

export const STATUS_COLORS: Record<MemberStatus, string> = {
  subscribed: 'green',
  unsubscribed: 'gray',
  pending: 'yellow',
};

export function formatDate(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
