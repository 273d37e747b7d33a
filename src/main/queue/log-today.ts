import type { TodayCounts } from '../../shared/domain/delivery-log.ts';
import type { Db } from '../db/connection.ts';

// Today's outcomes (delivered, deferred, bounced), counted from the delivery log's
// events for the dashboard.

/**
 * Since `dayStart`: deliveries that reached delivered or bounced, and deferrals (each
 * one counts). These are the dispatcher's outcome events (kind = the new status); the
 * partial index delivery_events_outcome holds only those, so only today's are read.
 */
export function todayCounts(db: Db, dayStartMs: number): TodayCounts {
  const counts: TodayCounts = { delivered: 0, deferred: 0, bounced: 0 };
  const rows = db
    .prepare(
      `SELECT kind, count(*) AS n FROM delivery_events INDEXED BY delivery_events_outcome
       WHERE kind IN ('delivered', 'bounced', 'deferred') AND at >= ? GROUP BY kind`,
    )
    .all(dayStartMs) as { kind: keyof TodayCounts; n: number }[];
  for (const r of rows) counts[r.kind] = r.n;
  return counts;
}
