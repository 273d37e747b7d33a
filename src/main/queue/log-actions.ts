import type { DeliveryStatus } from '../../shared/domain/delivery.ts';
import type { LogActionResult } from '../../shared/domain/delivery-log.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import type { DeliveryQueue } from './delivery-queue.ts';

// Cancel and "retry now" for deliveries picked in the log screen. Each answers how many
// changed and, for every one left alone, why in plain words.

const CANCELLED_DETAIL = 'Cancelled by you; it will not be sent.';
// After a lost connection the last attempt may have arrived: say only what is sure.
const CANCELLED_UNKNOWN_DETAIL = 'Cancelled by you: no more attempts. The last attempt may have arrived.';

const CANCEL_SKIPPED: Partial<Record<DeliveryStatus, string>> = {
  delivered: 'already delivered',
  bounced: 'already bounced',
  sending: 'being sent right now; try again in a moment',
  cancelled: 'already cancelled',
};

const RETRY_SKIPPED: Partial<Record<DeliveryStatus, string>> = {
  delivered: 'already delivered',
  bounced: 'already bounced',
  sending: 'being sent right now',
  cancelled: 'cancelled',
  unknown: 'waiting to learn whether the last attempt arrived; it is retried automatically',
};

function uniqueIds(ids: readonly number[]): number[] {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new MailroomError(
        'VALIDATION',
        `"${id}" is not a delivery number; pick deliveries in the log and try again.`,
      );
    }
  }
  return [...new Set(ids)];
}

/** The ones left alone, in the order asked, each with the reason in plain words. */
function skippedOf(
  db: Db,
  ids: readonly number[],
  changed: readonly number[],
  reasons: Partial<Record<DeliveryStatus, string>>,
): LogActionResult['skipped'] {
  const done = new Set(changed);
  const rest = ids.filter((id) => !done.has(id));
  if (!rest.length) return [];
  const status = new Map(
    (
      db
        .prepare('SELECT id, status FROM deliveries WHERE id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify(rest)) as { id: number; status: DeliveryStatus }[]
    ).map((r) => [r.id, r.status]),
  );
  return rest.map((id) => {
    const s = status.get(id);
    return { id, reason: s === undefined ? 'no such delivery' : (reasons[s] ?? s) };
  });
}

/**
 * Cancels deliveries that have not gone out: queued, deferred, and unknown (the last
 * attempt may have arrived; no more are made). One statement picks them by status, so
 * one the dispatcher has just claimed (sending) is never touched; with the events it is
 * one transaction.
 */
export function cancelDeliveries(db: Db, ids: readonly number[], now: number): LogActionResult {
  const list = uniqueIds(ids);
  if (!list.length) return { changed: 0, skipped: [] };
  return db
    .transaction(() => {
      // Read inside the same (immediate) transaction, so nothing changes in between.
      const wasUnknown = new Set(
        db
          .prepare("SELECT id FROM deliveries WHERE status = 'unknown' AND id IN (SELECT value FROM json_each(?))")
          .pluck()
          .all(JSON.stringify(list)) as number[],
      );
      const changed = db
        .prepare(
          `UPDATE deliveries SET status = 'cancelled', lease_until = NULL, updated_at = @now
           WHERE status IN ('queued', 'deferred', 'unknown') AND id IN (SELECT value FROM json_each(@ids))
           RETURNING id`,
        )
        .pluck()
        .all({ now, ids: JSON.stringify(list) }) as number[];
      const event = db.prepare(
        `INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, 'cancelled', ?)`,
      );
      for (const id of changed) event.run(id, now, wasUnknown.has(id) ? CANCELLED_UNKNOWN_DETAIL : CANCELLED_DETAIL);
      return { changed: changed.length, skipped: skippedOf(db, list, changed, CANCEL_SKIPPED) };
    })
    .immediate();
}

/**
 * "Retry now" for deliveries picked in the log: queued and deferred ones become due at
 * once (DeliveryQueue.retryNowIds). Poke the dispatcher afterwards so it looks now.
 */
export function retryDeliveries(queue: DeliveryQueue, db: Db, ids: readonly number[], now: number): LogActionResult {
  const list = uniqueIds(ids);
  if (!list.length) return { changed: 0, skipped: [] };
  return db
    .transaction(() => {
      const changed = queue.retryNowIds(list, now);
      return { changed: changed.length, skipped: skippedOf(db, list, changed, RETRY_SKIPPED) };
    })
    .immediate();
}
