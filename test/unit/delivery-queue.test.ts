import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/main/db/connection.ts';
import { DeliveryQueue } from '../../src/main/queue/delivery-queue.ts';
import { Enqueuer } from '../../src/main/queue/enqueue.ts';
import { RetryPolicy } from '../../src/main/queue/retry-policy.ts';
import {
  describeElapsed,
  formatDuration,
  parseDuration,
  parseRetrySchedule,
} from '../../src/shared/domain/durations.ts';
import { tempDir } from '../helpers/engine.ts';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(recipients: string[], now = 1_000_000) {
  const dir = tempDir();
  dirs.push(dir);
  const db = openDatabase(path.join(dir, 'mailroom.db'));
  dbs.push(db);
  const enqueuer = new Enqueuer(db);
  enqueuer.insert(
    { source: 'relay', queueId: 'q1', mailFrom: 'a@ours.test', recipients, size: 1, body: Buffer.from('x') },
    now,
  );
  return { db, queue: new DeliveryQueue(db, enqueuer) };
}

const status = (db: Db) => db.prepare('SELECT status, attempts FROM deliveries ORDER BY id').all();

describe('retry schedule and durations', () => {
  it('reads and writes durations people type', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2 days')).toMatch(/not a duration/);
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(parseRetrySchedule('5m,10m,1h')).toEqual([300_000, 600_000, 3_600_000]);
    expect(parseRetrySchedule('10m,5m')).toMatch(/shorter than the step before/);
    expect(parseRetrySchedule('5m,,1h')).toMatch(/separated by commas/);
    expect(parseRetrySchedule('500ms')).toMatch(/not a duration/);
  });

  it('waits per the schedule with jitter, repeats the last step, and expires by lifetime', () => {
    const p = new RetryPolicy({ 'retry.schedule': '5m,1h', 'retry.lifetime': '5d', 'retry.bounceLifetime': '1d' });
    expect(p.nextAttemptAt(1, 0, () => 0.5)).toBe(300_000);
    expect(p.nextAttemptAt(2, 0, () => 0.5)).toBe(3_600_000);
    expect(p.nextAttemptAt(9, 0, () => 0.5)).toBe(3_600_000);
    expect(p.nextAttemptAt(1, 0, () => 0)).toBe(270_000);
    expect(p.nextAttemptAt(1, 0, () => 1)).toBe(330_000);
    expect(p.expired(0, 5 * 86_400_000 - 1, false)).toBe(false);
    expect(p.expired(0, 5 * 86_400_000, false)).toBe(true);
    expect(p.expired(0, 86_400_000, true)).toBe(true);
  });

  it('refuses a bad schedule as a setting and keeps the old one', async () => {
    const { SettingsService } = await import('../../src/main/settings/settings-service.ts');
    const { db } = setup([]);
    const settings = new SettingsService(db);
    expect(() => settings.setFromText('retry.schedule', '1h,5m')).toThrow(
      /shorter than the step before.*Nothing was changed/,
    );
    expect(() => settings.setFromText('retry.lifetime', '10s')).toThrow(/at least 60 seconds/);
    expect(settings.get('retry.schedule')).toBe('5m,10m,20m,40m,1h,2h,4h');
  });

  it('bounds every duration setting with a sentence naming the bound, and never overflows', async () => {
    const { SettingsService } = await import('../../src/main/settings/settings-service.ts');
    const { db } = setup([]);
    const settings = new SettingsService(db);
    // The value from the issue: accepted before, it would have kept mail for 270 billion years.
    expect(() => settings.setFromText('retry.lifetime', '99999999999999d')).toThrow(
      /retry\.lifetime cannot be "99999999999999d": .*at most 30d \(30 days\).*Nothing was changed/,
    );
    expect(() => settings.setFromText('retry.lifetime', '30d1s')).toThrow(/at most 30d \(30 days\)/);
    expect(settings.setFromText('retry.lifetime', '30d')).toBe('30d');
    expect(() => settings.setFromText('retry.bounceLifetime', '31d')).toThrow(/at most 30d \(30 days\)/);
    expect(() => settings.setFromText('retry.schedule', '5m,1h,8d')).toThrow(
      /"8d" is too long; use at most 7d \(7 days\)/,
    );
    expect(settings.setFromText('retry.schedule', '5m,1h,7d')).toBe('5m,1h,7d');
    expect(settings.get('retry.lifetime')).toBe('30d');
    // Numbers too big for exact arithmetic are refused as text, not turned into Infinity or a wrong sum.
    expect(parseDuration(`${'9'.repeat(400)}s`)).toMatch(/^"9{37}\.\.\." is far too long .*ten years/);
    expect(parseDuration('9007199254740993s')).toMatch(/far too long/);
    expect(parseDuration('3650d')).toBe(3650 * 86_400_000);
    expect(parseDuration('3650d1s')).toMatch(/far too long/);
  });

  it('says how long something took in the unit that reads best', () => {
    expect(describeElapsed(20_000)).toBe('1 minute');
    expect(describeElapsed(29 * 60_000)).toBe('29 minutes');
    expect(describeElapsed(90 * 60_000)).toBe('2 hours');
    expect(describeElapsed(3_600_000)).toBe('1 hour');
    expect(describeElapsed(5 * 86_400_000 + 3_600_000)).toBe('5 days');
    expect(describeElapsed(86_400_000)).toBe('1 day');
  });
});

describe('delivery queue', () => {
  it('claims due deliveries once, with a lease, and counts the attempt', () => {
    const { db, queue } = setup(['a@x.test', 'b@y.test']);
    const first = queue.claim({ now: 1_000_000, leaseMs: 60_000, limit: 10 });
    expect(first.map((d) => [d.recipient, d.attempts])).toEqual([
      ['a@x.test', 1],
      ['b@y.test', 1],
    ]);
    expect(queue.claim({ now: 1_000_000, leaseMs: 60_000, limit: 10 })).toEqual([]);
    expect(status(db)).toEqual([
      { status: 'sending', attempts: 1 },
      { status: 'sending', attempts: 1 },
    ]);
  });

  it('skips excluded domains and respects the limit', () => {
    const { queue } = setup(['a@x.test', 'b@y.test', 'c@y.test']);
    expect(
      queue.claim({ now: 1_000_000, leaseMs: 1000, limit: 10, excludeDomains: ['y.test'] }).map((d) => d.recipient),
    ).toEqual(['a@x.test']);
    expect(queue.claim({ now: 1_000_000, leaseMs: 1000, limit: 1 })).toHaveLength(1);
  });

  it('puts back expired leases as possible duplicates, except those still being worked on', () => {
    const { db, queue } = setup(['a@x.test', 'b@x.test']);
    const [a, b] = queue.claim({ now: 1_000_000, leaseMs: 1000, limit: 10 });
    expect(queue.reclaimExpired(1_000_500)).toBe(0);
    expect(queue.reclaimExpired(1_002_000, new Set([b!.id]))).toBe(1);
    expect(status(db)).toEqual([
      { status: 'deferred', attempts: 1 },
      { status: 'sending', attempts: 1 },
    ]);
    const ev = db
      .prepare("SELECT detail FROM delivery_events WHERE kind = 'reclaimed' AND delivery_id = ?")
      .pluck()
      .get(a!.id);
    expect(ev).toMatch(/may receive this message twice/);
  });

  it('records outcomes and their events in one transaction; release does not count an attempt', () => {
    const { db, queue } = setup(['a@x.test', 'b@x.test']);
    const [a, b] = queue.claim({ now: 1_000_000, leaseMs: 1000, limit: 10 });
    const base = { route: 'direct', remoteHost: 'mx[127.0.0.1]', tls: true, enhanced: null, category: null };
    queue.complete(
      {
        outcomes: [
          { ...base, deliveryId: a!.id, status: 'delivered', code: 250, response: '250 ok', detail: 'Delivered.' },
        ],
        routeCounts: [{ route: 'direct', day: '2026-11-22', n: 1 }],
        bounceReports: [],
      },
      1_000_100,
    );
    queue.release([b!.id], 1_000_200, 1_000_100, 'Waiting: paused');
    expect(status(db)).toEqual([
      { status: 'delivered', attempts: 1 },
      { status: 'deferred', attempts: 0 },
    ]);
    expect(queue.sentToday('direct', '2026-11-22')).toBe(1);
    expect(db.prepare('SELECT tls, code FROM delivery_events WHERE kind = ?').get('delivered')).toEqual({
      tls: 1,
      code: 250,
    });
  });

  it('spreads retries that all fell due during a sleep, and pulls in ones a backwards clock pushed too far', () => {
    const { db, queue } = setup(Array.from({ length: 50 }, (_, i) => `r${i}@x.test`));
    db.prepare("UPDATE deliveries SET status = 'deferred', next_attempt_at = 0").run();
    expect(queue.spreadOverdue(10_000_000, 300_000)).toBe(50);
    const times = db.prepare('SELECT next_attempt_at FROM deliveries').pluck().all() as number[];
    expect(Math.min(...times)).toBeGreaterThanOrEqual(10_000_000);
    expect(Math.max(...times)).toBeLessThan(10_300_000);
    expect(new Set(times).size).toBeGreaterThan(10);
    db.prepare('UPDATE deliveries SET next_attempt_at = 99_000_000_000').run();
    expect(queue.clampFuture(10_000_000, 4 * 3_600_000)).toBe(50);
    expect(db.prepare('SELECT max(next_attempt_at) FROM deliveries').pluck().get()).toBe(10_000_000 + 4 * 3_600_000);
  });

  it('"retry now" makes one delivery or a whole route due at once', () => {
    const { db, queue } = setup(['a@x.test', 'b@x.test']);
    db.prepare("UPDATE deliveries SET status = 'deferred', next_attempt_at = 5_000_000, route = 'smarthost'").run();
    expect(queue.retryNow({ deliveryId: 1 }, 2_000_000)).toBe(1);
    expect(queue.nextDueAt()).toBe(2_000_000);
    expect(queue.retryNow({ route: 'direct' }, 2_000_000)).toBe(0);
    expect(queue.retryNow({ route: 'smarthost' }, 2_000_000)).toBe(2);
  });
});
