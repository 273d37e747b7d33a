import type { DeliveryStatus } from '../../shared/domain/delivery.ts';
import type { Db } from '../db/connection.ts';
import type { Enqueuer, NewMessage } from './enqueue.ts';

// The delivery queue's state changes, each one SQL statement or one transaction.
// A delivery moves queued|deferred → sending (claimed, with a lease) → delivered |
// deferred | bounced | unknown. A lease that runs out (the engine died mid-attempt,
// or the outcome was unknown) puts the delivery back on the queue.

export interface ClaimedDelivery {
  id: number;
  messageId: number;
  contactId: number | null;
  recipient: string;
  domain: string;
  /** Attempts including this one. */
  attempts: number;
  createdAt: number;
}

export interface Outcome {
  deliveryId: number;
  status: Extract<DeliveryStatus, 'delivered' | 'deferred' | 'bounced' | 'unknown'>;
  /** deferred: when to try again. */
  nextAttemptAt?: number;
  /** unknown: retried once this passes. */
  leaseUntil?: number;
  route: string;
  remoteHost: string | null;
  tls: boolean | null;
  code: number | null;
  enhanced: string | null;
  response: string | null;
  category: string | null;
  /** A sentence for the log: why this happened, in plain words. */
  detail: string;
}

export interface ClaimOptions {
  now: number;
  leaseMs: number;
  limit: number;
  excludeDomains?: string[];
}

export interface CompletionBatch {
  outcomes: Outcome[];
  /** Recipients handed to a route today (delivered or possibly delivered), for daily caps. */
  routeCounts: { route: string; day: string; n: number }[];
  /** Bounce reports to queue in the same transaction as the bounces they report. */
  bounceReports: NewMessage[];
}

export class DeliveryQueue {
  private readonly db: Db;
  private readonly enqueuer: Enqueuer;
  private readonly claimStmt;
  private readonly extendStmt;
  private readonly releaseStmt;
  private readonly updateStmt;
  private readonly eventStmt;
  private readonly countStmt;
  private readonly nextDueStmt;

  constructor(db: Db, enqueuer: Enqueuer) {
    this.db = db;
    this.enqueuer = enqueuer;
    // One statement claims and leases, so two dispatchers could never take the same
    // row (only one runs per data folder anyway, enforced by the engine lock).
    this.claimStmt = db.prepare(
      `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_until = @leaseUntil, updated_at = @now
       WHERE id IN (
         -- The partial index hands rows over in due order: no sort of every due row.
         SELECT id FROM deliveries INDEXED BY deliveries_waiting
         WHERE status IN ('queued', 'deferred') AND next_attempt_at <= @now
           AND domain NOT IN (SELECT value FROM json_each(@excludeDomains))
         ORDER BY next_attempt_at LIMIT @limit)
       RETURNING id, message_id AS messageId, contact_id AS contactId, recipient, domain, attempts, created_at AS createdAt`,
    );
    this.extendStmt = db.prepare(
      `UPDATE deliveries SET lease_until = @leaseUntil WHERE status = 'sending' AND id IN (SELECT value FROM json_each(@ids))`,
    );
    this.releaseStmt = db.prepare(
      `UPDATE deliveries SET status = 'deferred', attempts = max(attempts - 1, 0), lease_until = NULL,
         next_attempt_at = @nextAttemptAt, updated_at = @now
       WHERE status = 'sending' AND id IN (SELECT value FROM json_each(@ids))`,
    );
    this.updateStmt = db.prepare(
      `UPDATE deliveries SET status = @status, route = @route, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
         lease_until = @leaseUntil, last_code = @code, last_enhanced = @enhanced, last_response = @response,
         category = @category, updated_at = @now
       WHERE id = @deliveryId AND status = 'sending'`,
    );
    this.eventStmt = db.prepare(
      `INSERT INTO delivery_events (delivery_id, at, kind, route, remote_host, tls, code, enhanced, response, detail)
       VALUES (@deliveryId, @now, @status, @route, @remoteHost, @tls, @code, @enhanced, @response, @detail)`,
    );
    this.countStmt = db.prepare(
      `INSERT INTO route_daily_counts (route, day, sent) VALUES (?, ?, ?)
       ON CONFLICT (route, day) DO UPDATE SET sent = sent + excluded.sent`,
    );
    this.nextDueStmt = db
      .prepare(
        `SELECT min(t) FROM (
           SELECT min(next_attempt_at) AS t FROM deliveries WHERE status = 'queued'
           UNION ALL SELECT min(next_attempt_at) FROM deliveries WHERE status = 'deferred'
           UNION ALL SELECT min(lease_until) FROM deliveries WHERE status IN ('sending', 'unknown'))`,
      )
      .pluck();
  }

  /**
   * Puts back deliveries whose lease ran out: `sending` ones were cut off by a crash
   * or a kill, `unknown` ones lost their connection after the final dot. Either way
   * the receiving server may already have the message, so the retry is logged as a
   * possible duplicate. Runs at start and whenever the dispatcher looks for work.
   */
  reclaimExpired(now: number, holding: ReadonlySet<number> = new Set()): number {
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare(
            `UPDATE deliveries SET status = 'deferred', next_attempt_at = @now, lease_until = NULL, updated_at = @now
           WHERE status IN ('sending', 'unknown') AND lease_until <= @now
             AND id NOT IN (SELECT value FROM json_each(@holding))
           RETURNING id`,
          )
          .all({ now, holding: JSON.stringify([...holding]) }) as { id: number }[];
        const event = this.db.prepare(
          `INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, 'reclaimed', ?)`,
        );
        for (const r of rows) {
          event.run(
            r.id,
            now,
            'An attempt did not finish (Mailroom stopped, or the connection was lost after the message was sent). Trying again; the recipient may receive this message twice.',
          );
        }
        return rows.length;
      })
      .immediate();
  }

  claim(opts: ClaimOptions): ClaimedDelivery[] {
    if (opts.limit <= 0) return [];
    return this.claimStmt.all({
      now: opts.now,
      leaseUntil: opts.now + opts.leaseMs,
      limit: opts.limit,
      excludeDomains: JSON.stringify(opts.excludeDomains ?? []),
    }) as ClaimedDelivery[];
  }

  /** Pushes the lease forward for deliveries about to be attempted after waiting in memory. */
  extendLease(ids: number[], leaseUntil: number): void {
    if (ids.length) this.extendStmt.run({ ids: JSON.stringify(ids), leaseUntil });
  }

  /**
   * Gives claimed deliveries back without counting an attempt: the route was paused
   * or the dispatcher is stopping before they were tried.
   */
  release(ids: number[], nextAttemptAt: number, now: number, detail: string | null): void {
    if (!ids.length) return;
    this.db.transaction(() => {
      this.releaseStmt.run({ ids: JSON.stringify(ids), nextAttemptAt, now });
      if (detail) {
        const event = this.db.prepare(
          `INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, 'waiting', ?)`,
        );
        for (const id of ids) event.run(id, now, detail);
      }
    })();
  }

  /** Records outcomes, counts and bounce reports in one transaction: all or none. */
  complete(batch: CompletionBatch, now: number): void {
    this.db.transaction(() => {
      for (const o of batch.outcomes) {
        const row = {
          deliveryId: o.deliveryId,
          status: o.status,
          route: o.route,
          nextAttemptAt: o.nextAttemptAt ?? null,
          leaseUntil: o.leaseUntil ?? null,
          code: o.code,
          enhanced: o.enhanced,
          response: o.response,
          category: o.category,
          remoteHost: o.remoteHost,
          tls: o.tls === null ? null : o.tls ? 1 : 0,
          detail: o.detail,
          now,
        };
        // Only a delivery still being sent takes an outcome; anything else would
        // overwrite a newer state.
        if (this.updateStmt.run(row).changes === 1) this.eventStmt.run(row);
      }
      for (const c of batch.routeCounts) this.countStmt.run(c.route, c.day, c.n);
      for (const m of batch.bounceReports) this.enqueuer.insert(m, now);
    })();
  }

  /** The earliest time something becomes due (a queued/deferred delivery or a lease), or null. */
  nextDueAt(): number | null {
    return this.nextDueStmt.get() as number | null;
  }

  sentToday(route: string, day: string): number {
    return (
      (this.db.prepare('SELECT sent FROM route_daily_counts WHERE route = ? AND day = ?').pluck().get(route, day) as
        | number
        | undefined) ?? 0
    );
  }

  /**
   * After the computer slept or the clock jumped forward, every deferred delivery is
   * due at once. Spread the overdue retries over `windowMs` so waking up is not a
   * burst; first attempts (queued) are not held back.
   */
  spreadOverdue(now: number, windowMs: number): number {
    return this.db
      .prepare(
        `UPDATE deliveries SET next_attempt_at = @now + (abs(random()) % @window)
         WHERE status = 'deferred' AND next_attempt_at <= @now`,
      )
      .run({ now, window: Math.max(1, windowMs) }).changes;
  }

  /** After the clock jumped backwards, no retry should be further away than the longest step. */
  clampFuture(now: number, maxStepMs: number): number {
    return this.db
      .prepare(`UPDATE deliveries SET next_attempt_at = @limit WHERE status = 'deferred' AND next_attempt_at > @limit`)
      .run({ limit: now + maxStepMs }).changes;
  }

  /** "Retry now": due immediately. Returns how many deliveries were affected. */
  retryNow(filter: { deliveryId?: number; route?: string; all?: boolean }, now: number): number {
    const where =
      filter.deliveryId !== undefined
        ? 'id = @deliveryId'
        : filter.route !== undefined
          ? '(route = @route OR route IS NULL)'
          : filter.all
            ? '1'
            : '0';
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `UPDATE deliveries SET next_attempt_at = @now, updated_at = @now
           WHERE status IN ('queued', 'deferred') AND ${where} RETURNING id`,
        )
        .all({ now, deliveryId: filter.deliveryId ?? null, route: filter.route ?? null }) as { id: number }[];
      const event = this.db.prepare(
        `INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, 'retry-now', 'Retry requested.')`,
      );
      for (const r of rows) event.run(r.id, now);
      return rows.length;
    })();
  }

  /** "Retry now" for the deliveries picked in the log: the ones that were queued or deferred, due now. */
  retryNowIds(ids: readonly number[], now: number): number[] {
    if (!ids.length) return [];
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `UPDATE deliveries SET next_attempt_at = @now, updated_at = @now
           WHERE status IN ('queued', 'deferred') AND id IN (SELECT value FROM json_each(@ids)) RETURNING id`,
        )
        .all({ now, ids: JSON.stringify(ids) }) as { id: number }[];
      const event = this.db.prepare(
        `INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, 'retry-now', 'Retry requested.')`,
      );
      for (const r of rows) event.run(r.id, now);
      return rows.map((r) => r.id);
    })();
  }
}
