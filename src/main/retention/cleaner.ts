import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../../shared/domain/durations.ts';
import { assertPragmas, type Db } from '../db/connection.ts';
import { localDay } from '../delivery/dispatcher.ts';
import type { Logger } from '../engine/log.ts';
import { HEADER_READ_BYTES } from '../queue/log-detail.ts';
import type { SettingsService } from '../settings/settings-service.ts';

// Retention: without it every message stays in the database and spool forever, and a
// year of newsletters fills the disk. Two rules, both counted from when a message's
// last delivery finished (its newest updated_at, all deliveries delivered, bounced or
// cancelled), so mail still queued, deferred, being sent or of unknown outcome is never
// touched, however old:
//
// - retention.messageBodies (30 days): the body goes. Inline bytes are cut down to the
//   header section and a spool file is replaced by its header section, so the log's
//   drawer still shows the headers; body_removed_at says when (migration 006).
// - retention.logRows (2 years): the message goes with every delivery and event, and its
//   spool file if it still has one.
//
// Candidates are found by created_at (a message cannot finish before it arrived), then
// checked against their deliveries.
//
// It works in small transactions on the engine's own connection, sized by time: a batch
// that took longer than `batchTargetMs` (20 ms) halves the next one, one that took under
// half of it doubles it (up to `batchRows` messages, `batchDeliveries` deliveries and
// `batchBytes` of inline bodies). After each batch it waits as long as the batch took
// (at most 50 ms), so the relay gets at least half of the time: its commits and 250
// replies go between batches, and no batch holds the event loop or the write lock for
// long (bench/retention.ts measures it). Each pass walks its candidates once with a
// keyset cursor, so mail it must skip is never read twice.
// A spool file is unlinked only after the row that pointed at it is committed; a
// crash in between leaves an orphan that the engine's start-up sweep removes.

const FINISHED = "('delivered', 'bounced', 'cancelled')";

/** A message whose every delivery finished before @cutoff (and that has no other kind). */
const ALL_FINISHED_BEFORE = (alias: string) => `NOT EXISTS (
  SELECT 1 FROM deliveries d WHERE d.message_id = ${alias}.id
    AND (d.status NOT IN ${FINISHED} OR d.updated_at >= @cutoff))`;

/** The cleaner's statements (exported so a test can check their query plans). */
export const RETENTION_SQL = {
  // INDEXED BY: the partial index holds only messages that still have a body; the
  // statement fails to prepare (and the tests fail) if it ever cannot be used.
  bodyCandidates: `SELECT m.id, m.created_at AS createdAt, ${ALL_FINISHED_BEFORE('m')} AS eligible
    FROM messages m INDEXED BY messages_body_kept
    WHERE m.body_removed_at IS NULL AND m.created_at < @cutoff AND (m.created_at, m.id) > (@afterAt, @afterId)
    ORDER BY m.created_at, m.id LIMIT @limit`,
  // The header section ends with the first empty line (CRLF CRLF; stored messages have
  // CRLF line ends only) and is kept with it, capped like the drawer's read.
  removeInline: `UPDATE messages SET body_removed_at = @now,
      body = substr(body, 1, CASE WHEN instr(body, X'0D0A0D0A') > 0
        THEN min(instr(body, X'0D0A0D0A') + 3, ${HEADER_READ_BYTES}) ELSE min(length(body), ${HEADER_READ_BYTES}) END)
    WHERE id = @id AND body_removed_at IS NULL AND spool_path IS NULL AND body IS NOT NULL
      AND source <> 'campaign' AND ${ALL_FINISHED_BEFORE('messages')}`,
  removeSpooled: `UPDATE messages SET body = @head, spool_path = NULL, body_removed_at = @now
    WHERE id = @id AND spool_path = @spoolPath AND body_removed_at IS NULL AND ${ALL_FINISHED_BEFORE('messages')}`,
  logCandidates: `SELECT m.id, m.created_at AS createdAt, ${ALL_FINISHED_BEFORE('m')} AS eligible
    FROM messages m INDEXED BY messages_created
    WHERE m.created_at < @cutoff AND (m.created_at, m.id) > (@afterAt, @afterId)
    ORDER BY m.created_at, m.id LIMIT @limit`,
  // A message, its deliveries and their events are deleted one table at a time, children
  // first: three times quicker than letting ON DELETE CASCADE do it (measured: 1,000
  // messages with 2 deliveries and 2 events each, 110–150 ms against 340–520 ms).
  stillEligible: `SELECT 1 FROM messages WHERE id = @id AND source <> 'campaign' AND ${ALL_FINISHED_BEFORE('messages')}`,
  deleteEvents: 'DELETE FROM delivery_events WHERE delivery_id IN (SELECT id FROM deliveries WHERE message_id = @id)',
  deleteDeliveries: 'DELETE FROM deliveries WHERE message_id = @id',
  // Bounce reports about it lose their bounce_of (ON DELETE SET NULL, through messages_bounce_of).
  deleteMessage: 'DELETE FROM messages WHERE id = @id RETURNING spool_path AS spoolPath',
} as const;

export interface RetentionStats {
  bodiesRemoved: number;
  spoolFilesRemoved: number;
  messagesDeleted: number;
  deliveriesDeleted: number;
  batches: number;
  /** Longest time one batch kept the event loop (and so the relay) waiting, in ms. */
  longestBatchMs: number;
  /** The 99th percentile of that time over the pass's batches, in ms. */
  batchP99Ms: number;
  ms: number;
}

export interface RetentionCleanerOptions {
  db: Db;
  dataDir: string;
  settings: SettingsService;
  log: Logger;
  /** Most messages looked at per transaction. */
  batchRows?: number;
  /** The time one batch should take; the batch size follows it. */
  batchTargetMs?: number;
  /** Deliveries deleted per transaction (a message takes all of its recipients with it). */
  batchDeliveries?: number;
  /** Inline body bytes rewritten per transaction (1 MB bodies are stored inline). */
  batchBytes?: number;
  /** Time between passes. */
  intervalMs?: number;
  /** Delay of the first pass after start, so starting up stays quick. */
  firstRunDelayMs?: number;
}

interface Candidate {
  id: number;
  createdAt: number;
  eligible: number;
}

export class RetentionCleaner {
  private readonly o: Required<RetentionCleanerOptions>;
  private readonly q;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> | null = null;
  /** Passes are scheduled (between start() and stop()). */
  private active = false;
  /** stop() asks the pass in progress to end after its batch. */
  private halt = false;
  private longest = 0;
  /** Every batch's time in this pass, for the percentile. */
  private times: number[] = [];
  /** Messages per batch right now (see batchTargetMs). */
  private rows = 0;
  /** Time the batch in progress has kept the event loop so far. */
  private batchMs = 0;

  constructor(opts: RetentionCleanerOptions) {
    this.o = {
      batchRows: 500,
      batchTargetMs: 20,
      batchDeliveries: 2000,
      batchBytes: 2 * 1024 * 1024,
      intervalMs: 10 * 60_000,
      firstRunDelayMs: 5_000,
      ...opts,
    };
    const db = opts.db;
    this.q = {
      bodyCandidates: db.prepare(RETENTION_SQL.bodyCandidates),
      bodyDetail: db.prepare('SELECT source, size, spool_path AS spoolPath FROM messages WHERE id = ?'),
      removeInline: db.prepare(RETENTION_SQL.removeInline),
      removeSpooled: db.prepare(RETENTION_SQL.removeSpooled),
      logCandidates: db.prepare(RETENTION_SQL.logCandidates),
      recipients: db.prepare('SELECT count(*) FROM deliveries WHERE message_id = ?').pluck(),
      spooled: db.prepare('SELECT spool_path IS NOT NULL FROM messages WHERE id = ?').pluck(),
      stillEligible: db.prepare(RETENTION_SQL.stillEligible).pluck(),
      deleteEvents: db.prepare(RETENTION_SQL.deleteEvents),
      deleteDeliveries: db.prepare(RETENTION_SQL.deleteDeliveries),
      deleteMessage: db.prepare(RETENTION_SQL.deleteMessage),
      pruneDailyCounts: db.prepare('DELETE FROM route_daily_counts WHERE day < ?'),
    };
  }

  /** Runs a pass soon after start, then every intervalMs, until stop(). */
  start(): void {
    this.active = true;
    this.schedule(this.o.firstRunDelayMs);
  }

  private schedule(ms: number): void {
    if (!this.active) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .catch((err: Error) =>
          this.o.log.error('retention clean-up failed; it tries again later', { error: err.message }),
        )
        .finally(() => this.schedule(this.o.intervalMs));
    }, ms);
    this.timer.unref();
  }

  /** Stops after the batch in progress; nothing is left half done (each batch is one transaction). */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.halt = true;
    try {
      await this.current;
    } finally {
      this.halt = false;
    }
  }

  /** One full pass: old log rows first (their bodies then need no rewriting), then old bodies. */
  async runOnce(now: number = Date.now()): Promise<RetentionStats> {
    const run = this.pass(now);
    this.current = run;
    try {
      return await run;
    } finally {
      if (this.current === run) this.current = null;
    }
  }

  private async pass(now: number): Promise<RetentionStats> {
    const started = performance.now();
    const s = this.o.settings.all();
    const logCutoff = now - (parseDuration(s['retention.logRows']) as number);
    const bodyCutoff = now - (parseDuration(s['retention.messageBodies']) as number);
    const stats: RetentionStats = {
      bodiesRemoved: 0,
      spoolFilesRemoved: 0,
      messagesDeleted: 0,
      deliveriesDeleted: 0,
      batches: 0,
      longestBatchMs: 0,
      batchP99Ms: 0,
      ms: 0,
    };
    this.longest = 0;
    this.times = [];
    this.batchMs = 0;
    this.rows = Math.min(100, this.o.batchRows);
    await this.deleteOldMessages(logCutoff, stats);
    await this.removeOldBodies(bodyCutoff, now, stats);
    this.timed(() => this.q.pruneDailyCounts.run(localDay(logCutoff)));
    await this.endBatch(null);
    stats.longestBatchMs = Math.round(this.longest * 10) / 10;
    const sorted = this.times.sort((a, b) => a - b);
    stats.batchP99Ms = Math.round((sorted[Math.ceil(sorted.length * 0.99) - 1] ?? 0) * 10) / 10;
    stats.ms = Math.round(performance.now() - started);
    if (stats.bodiesRemoved || stats.messagesDeleted) {
      this.o.log.info('retention clean-up', { ...stats });
    }
    return stats;
  }

  /**
   * One batch's transaction. The clean-up's own changes need no fsync of their own: lost
   * in a power cut, they are made again by the next pass. So a batch that unlinks no
   * file commits with synchronous=NORMAL: in WAL mode that skips the fsync (the batch's
   * longest part on a busy disk), and the relay's next FULL commit makes it durable with
   * its own. The setting is back to FULL, and checked, before anything else can run on
   * this connection (all of this is synchronous), so every relay commit keeps FULL. A
   * batch that unlinks spool files commits with FULL first: a file is never removed
   * while a power cut could bring back the row that points at it.
   */
  private commit(fn: () => void, durable: boolean): void {
    const db = this.o.db;
    if (durable) {
      db.transaction(fn).immediate();
      return;
    }
    db.pragma('synchronous = NORMAL');
    try {
      db.transaction(fn).immediate();
    } finally {
      db.pragma('synchronous = FULL');
      assertPragmas(db);
    }
  }

  /** Runs synchronous database work, counting the time toward the batch in progress. */
  private timed<T>(fn: () => T): T {
    const t = performance.now();
    try {
      return fn();
    } finally {
      this.batchMs += performance.now() - t;
    }
  }

  /** Closes a batch: adjusts the next one's size to the target time, then lets the relay have as long. */
  private async endBatch(stats: RetentionStats | null): Promise<void> {
    const ms = this.batchMs;
    this.batchMs = 0;
    this.longest = Math.max(this.longest, ms);
    if (stats) this.times.push(ms);
    if (!stats) return;
    stats.batches++;
    const smallest = Math.min(10, this.o.batchRows);
    if (ms > this.o.batchTargetMs) this.rows = Math.max(smallest, Math.floor(this.rows / 2));
    else if (ms < this.o.batchTargetMs / 2) this.rows = Math.min(this.o.batchRows, this.rows * 2);
    if (ms >= 1) await sleep(Math.min(ms, 50));
    else await nextTurn();
  }

  private async deleteOldMessages(cutoff: number, stats: RetentionStats): Promise<void> {
    let after = { at: -1, id: 0 };
    while (!this.halt) {
      const spool: string[] = [];
      const done = this.timed(() => {
        const rows = this.q.logCandidates.all({
          cutoff,
          afterAt: after.at,
          afterId: after.id,
          limit: this.rows,
        }) as Candidate[];
        if (rows.length === 0) return true;
        const take: { id: number; n: number }[] = [];
        let deliveries = 0;
        let spooled = false;
        for (const r of rows) {
          after = { at: r.createdAt, id: r.id };
          if (!r.eligible) continue;
          const n = this.q.recipients.get(r.id) as number;
          spooled ||= this.q.spooled.get(r.id) === 1;
          take.push({ id: r.id, n });
          deliveries += n;
          if (deliveries >= this.o.batchDeliveries) break;
        }
        this.commit(() => {
          for (const { id, n } of take) {
            // Looked at again inside the write lock: one changed since is left alone.
            if (!this.q.stillEligible.get({ id, cutoff })) continue;
            this.q.deleteEvents.run({ id });
            this.q.deleteDeliveries.run({ id });
            const gone = this.q.deleteMessage.get({ id }) as { spoolPath: string | null };
            stats.messagesDeleted++;
            stats.deliveriesDeleted += n;
            if (gone.spoolPath) spool.push(gone.spoolPath);
          }
        }, spooled);
        return false;
      });
      if (done) return this.endBatch(null);
      stats.spoolFilesRemoved += this.timed(() => this.unlinkSpool(spool));
      await this.endBatch(stats);
    }
  }

  private async removeOldBodies(cutoff: number, now: number, stats: RetentionStats): Promise<void> {
    let after = { at: -1, id: 0 };
    while (!this.halt) {
      const take: { id: number; spoolPath: string | null }[] = [];
      const done = this.timed(() => {
        const rows = this.q.bodyCandidates.all({
          cutoff,
          afterAt: after.at,
          afterId: after.id,
          limit: this.rows,
        }) as Candidate[];
        if (rows.length === 0) return true;
        let bytes = 0;
        for (const r of rows) {
          after = { at: r.createdAt, id: r.id };
          if (!r.eligible) continue;
          const d = this.q.bodyDetail.get(r.id) as { source: string; size: number; spoolPath: string | null };
          // A campaign's message is its template, rendered per recipient: the campaign owns it.
          if (d.source === 'campaign') continue;
          take.push({ id: r.id, spoolPath: d.spoolPath });
          if (!d.spoolPath) bytes += d.size;
          if (bytes >= this.o.batchBytes) break;
        }
        return false;
      });
      if (done) return this.endBatch(null);
      // Spool files are read off the event loop, before the transaction.
      const heads = new Map<number, Buffer>();
      for (const t of take) if (t.spoolPath) heads.set(t.id, await this.spoolHead(t.spoolPath));
      const unlink: string[] = [];
      this.timed(() =>
        this.commit(() => {
          for (const t of take) {
            const changed = t.spoolPath
              ? this.q.removeSpooled.run({ id: t.id, spoolPath: t.spoolPath, head: heads.get(t.id), now, cutoff })
                  .changes
              : this.q.removeInline.run({ id: t.id, now, cutoff }).changes;
            stats.bodiesRemoved += changed;
            if (changed && t.spoolPath) unlink.push(t.spoolPath);
          }
        }, heads.size > 0),
      );
      stats.spoolFilesRemoved += this.timed(() => this.unlinkSpool(unlink));
      await this.endBatch(stats);
    }
  }

  /** The header section of a spooled message (with its empty line), or nothing when the file is gone. */
  private async spoolHead(spoolPath: string): Promise<Buffer> {
    const file = this.spoolFile(spoolPath);
    if (!file) return Buffer.alloc(0);
    let fh: fs.promises.FileHandle | null = null;
    try {
      fh = await fs.promises.open(file, 'r');
      const buf = Buffer.alloc(HEADER_READ_BYTES);
      let n = 0;
      while (n < buf.length) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      return headerSection(buf.subarray(0, n));
    } catch {
      return Buffer.alloc(0);
    } finally {
      await fh?.close();
    }
  }

  /** The file a spool path names, only if it is inside the data folder. */
  private spoolFile(spoolPath: string): string | null {
    const file = path.resolve(this.o.dataDir, spoolPath);
    const rel = path.relative(this.o.dataDir, file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? null : file;
  }

  private unlinkSpool(paths: string[]): number {
    let n = 0;
    for (const p of paths) {
      const file = this.spoolFile(p);
      if (!file) continue;
      try {
        fs.unlinkSync(file);
        n++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          // The row no longer points at it: the start-up sweep removes it next time.
          this.o.log.warn('a spool file could not be removed', { file: p, error: (err as Error).message });
        }
      }
    }
    return n;
  }
}

/** Bytes up to and including the first empty line (CRLF CRLF); all of `raw` when there is none. */
export function headerSection(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  return end >= 0 ? raw.subarray(0, end + 4) : raw;
}
