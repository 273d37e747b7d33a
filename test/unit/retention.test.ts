import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { Enqueuer } from '../../src/main/queue/enqueue.ts';
import { deliveryDetail } from '../../src/main/queue/log-detail.ts';
import { RETENTION_SQL, RetentionCleaner } from '../../src/main/retention/cleaner.ts';
import { tempDir } from '../helpers/engine.ts';

// The retention cleaner on a real data folder: real SQLite, real spool files. Messages
// are put on the queue the way the relay does (Enqueuer), and their deliveries are moved
// to each state with the times a real run would leave.

const DAY = 86_400_000;
const NOW = Date.UTC(2027, 0, 1);

const engines: Engine[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(): Engine {
  const dir = tempDir();
  dirs.push(dir);
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  engines.push(engine);
  return engine;
}

const HEAD =
  'Received: from test\r\nFrom: Shop <news@example.com>\r\nSubject: Old news\r\nMessage-ID: <m@example.com>\r\n\r\n';

function message(subject: string, bodyBytes = 5000): Buffer {
  return Buffer.from(`${HEAD.replace('Old news', subject)}${'x'.repeat(bodyBytes - 2)}\r\n`);
}

/** One message with a delivery per recipient, each left in the given status at the given time. */
function seed(
  engine: Engine,
  opts: {
    subject: string;
    createdAt: number;
    deliveries: { status: string; at: number }[];
    spool?: boolean;
    bounceOf?: number;
  },
): number {
  const enqueuer = new Enqueuer(engine.db);
  const raw = message(opts.subject, opts.spool ? 1_200_000 : 5000);
  let spoolPath: string | null = null;
  if (opts.spool) {
    spoolPath = path.join('spool', `${opts.subject.replace(/\W/g, '')}.eml`);
    fs.writeFileSync(path.join(engine.paths.dataDir, spoolPath), raw);
  }
  const id = engine.db.transaction(() =>
    enqueuer.insert(
      {
        source: opts.bounceOf ? 'bounce' : 'relay',
        queueId: `q-${opts.subject}`,
        mailFrom: 'news@example.com',
        recipients: opts.deliveries.map((_, i) => `r${i}@example.net`),
        subject: opts.subject,
        size: raw.length,
        body: spoolPath ? null : raw,
        spoolPath,
        bounceOf: opts.bounceOf ?? null,
      },
      opts.createdAt,
    ),
  )();
  const ids = engine.db
    .prepare('SELECT id FROM deliveries WHERE message_id = ? ORDER BY id')
    .pluck()
    .all(id) as number[];
  opts.deliveries.forEach((d, i) => {
    engine.db
      .prepare('UPDATE deliveries SET status = ?, updated_at = ? WHERE id = ?')
      .run(d.status, d.at, ids[i] as number);
    engine.db
      .prepare('INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, ?, ?)')
      .run(ids[i] as number, d.at, d.status, 'test');
  });
  return id;
}

function row(engine: Engine, id: number) {
  return engine.db
    .prepare(
      'SELECT body, spool_path AS spoolPath, body_removed_at AS bodyRemovedAt, bounce_of AS bounceOf FROM messages WHERE id = ?',
    )
    .get(id) as
    | { body: Buffer | null; spoolPath: string | null; bodyRemovedAt: number | null; bounceOf: number | null }
    | undefined;
}

const count = (engine: Engine, sql: string, ...args: unknown[]) =>
  engine.db
    .prepare(sql)
    .pluck()
    .get(...args) as number;

describe('retention cleaner', () => {
  it('removes bodies 30 days after the last delivery finished and keeps headers, rows and unfinished mail', async () => {
    const engine = open();
    const ago = (days: number) => NOW - days * DAY;
    const delivered = seed(engine, {
      subject: 'delivered',
      createdAt: ago(45),
      deliveries: [
        { status: 'delivered', at: ago(44) },
        { status: 'bounced', at: ago(40) },
      ],
    });
    const spooled = seed(engine, {
      subject: 'spooled',
      createdAt: ago(45),
      deliveries: [{ status: 'cancelled', at: ago(35) }],
      spool: true,
    });
    const oneStillWaiting = seed(engine, {
      subject: 'waiting',
      createdAt: ago(45),
      deliveries: [
        { status: 'delivered', at: ago(44) },
        { status: 'deferred', at: ago(44) },
      ],
    });
    // Old, but it finished only five days ago: the 30 days count from the finish.
    const finishedLately = seed(engine, {
      subject: 'late',
      createdAt: ago(45),
      deliveries: [{ status: 'delivered', at: ago(5) }],
    });
    const unfinished = ['queued', 'sending', 'unknown'].map((status) =>
      seed(engine, { subject: status, createdAt: ago(60), deliveries: [{ status, at: ago(59) }] }),
    );
    const spoolFile = path.join(engine.paths.dataDir, row(engine, spooled)?.spoolPath as string);
    expect(fs.existsSync(spoolFile)).toBe(true);
    const eventsBefore = count(engine, 'SELECT count(*) FROM delivery_events');

    const stats = await engine.retention.runOnce(NOW);
    expect(stats).toMatchObject({ bodiesRemoved: 2, spoolFilesRemoved: 1, messagesDeleted: 0 });

    for (const id of [delivered, spooled]) {
      const r = row(engine, id);
      expect(r?.bodyRemovedAt).toBe(NOW);
      expect(r?.spoolPath).toBeNull();
      // The header section stays, with its empty line, and nothing of the body.
      expect(r?.body?.toString()).toMatch(/^Received: from test\r\n.*\r\n\r\n$/s);
      expect(r?.body?.toString()).not.toContain('xxx');
    }
    expect(fs.existsSync(spoolFile)).toBe(false);
    for (const id of [oneStillWaiting, finishedLately, ...unfinished]) {
      expect(row(engine, id)?.bodyRemovedAt).toBeNull();
      expect(row(engine, id)?.body?.toString()).toMatch(/\r\n\r\nx{4998}\r\n$/);
    }
    // The log keeps every delivery and event, and the drawer still shows the headers.
    expect(count(engine, 'SELECT count(*) FROM delivery_events')).toBe(eventsBefore);
    const deliveryId = count(engine, 'SELECT min(id) FROM deliveries WHERE message_id = ?', spooled);
    const detail = deliveryDetail(engine.db, engine.paths.dataDir, deliveryId);
    expect(detail.message.bodyRemovedAt).toBe(NOW);
    expect(detail.message.headers).toContainEqual({ name: 'Subject', value: 'spooled' });
    expect(detail.message.size).toBe(message('spooled', 1_200_000).length); // the size as received stays

    // A second pass finds nothing more to do.
    expect((await engine.retention.runOnce(NOW)).bodiesRemoved).toBe(0);
  });

  it('deletes finished messages with their log rows after two years, and nothing unfinished', async () => {
    const engine = open();
    const ago = (days: number) => NOW - days * DAY;
    const old = seed(engine, {
      subject: 'ancient',
      createdAt: ago(800),
      deliveries: [
        { status: 'delivered', at: ago(799) },
        { status: 'bounced', at: ago(798) },
      ],
      spool: true,
    });
    // The bounce report about it is younger: it stays, and forgets what it reported on.
    const report = seed(engine, {
      subject: 'report',
      createdAt: ago(700),
      deliveries: [{ status: 'delivered', at: ago(700) }],
      bounceOf: old,
    });
    const stuck = seed(engine, {
      subject: 'stuck',
      createdAt: ago(800),
      deliveries: [{ status: 'deferred', at: ago(1) }],
    });
    const halfDone = seed(engine, {
      subject: 'half',
      createdAt: ago(800),
      deliveries: [
        { status: 'delivered', at: ago(799) },
        { status: 'queued', at: ago(799) },
      ],
    });
    const spoolFile = path.join(engine.paths.dataDir, row(engine, old)?.spoolPath as string);
    const oldDeliveries = JSON.stringify(
      engine.db.prepare('SELECT id FROM deliveries WHERE message_id = ?').pluck().all(old),
    );
    const eventsOf = () =>
      count(
        engine,
        'SELECT count(*) FROM delivery_events WHERE delivery_id IN (SELECT value FROM json_each(?))',
        oldDeliveries,
      );
    expect(eventsOf()).toBe(4);
    engine.db.prepare("INSERT INTO route_daily_counts (route, day, sent) VALUES ('direct', '2020-01-01', 3)").run();

    const stats = await engine.retention.runOnce(NOW);
    expect(stats).toMatchObject({ messagesDeleted: 1, deliveriesDeleted: 2, spoolFilesRemoved: 1 });
    expect(row(engine, old)).toBeUndefined();
    expect(count(engine, 'SELECT count(*) FROM deliveries WHERE message_id = ?', old)).toBe(0);
    expect(eventsOf()).toBe(0);
    expect(fs.existsSync(spoolFile)).toBe(false);
    expect(row(engine, report)?.bounceOf).toBeNull();
    expect(row(engine, report)?.bodyRemovedAt).toBe(NOW);
    // Unfinished mail stays whole, even the finished half of a message.
    expect(row(engine, stuck)?.bodyRemovedAt).toBeNull();
    expect(count(engine, 'SELECT count(*) FROM deliveries WHERE message_id = ?', halfDone)).toBe(2);
    expect(row(engine, halfDone)?.bodyRemovedAt).toBeNull();
    expect(count(engine, 'SELECT count(*) FROM route_daily_counts')).toBe(0);
  });

  it('follows the settings, which refuse less than a day', async () => {
    const engine = open();
    const id = seed(engine, {
      subject: 'm',
      createdAt: NOW - 20 * DAY,
      deliveries: [{ status: 'delivered', at: NOW - 20 * DAY }],
    });
    expect(() => engine.settings.set('retention.messageBodies', '12h')).toThrow(/at least 86400 seconds/);
    expect(() => engine.settings.set('retention.logRows', 'forever')).toThrow(/not a duration/);
    expect(engine.settings.get('retention.messageBodies')).toBe('30d');
    await engine.retention.runOnce(NOW);
    expect(row(engine, id)?.bodyRemovedAt).toBeNull();
    engine.settings.set('retention.messageBodies', '14d');
    await engine.retention.runOnce(NOW);
    expect(row(engine, id)?.bodyRemovedAt).toBe(NOW);
    engine.settings.set('retention.logRows', '15d');
    await engine.retention.runOnce(NOW);
    expect(row(engine, id)).toBeUndefined();
  });

  it('works in small transactions and lets the event loop run between them', async () => {
    const engine = open();
    for (let i = 0; i < 40; i++) {
      seed(engine, {
        subject: `n${i}`,
        createdAt: NOW - (100 - i) * DAY,
        deliveries: [
          { status: 'delivered', at: NOW - 90 * DAY },
          { status: 'delivered', at: NOW - 90 * DAY },
        ],
      });
    }
    const cleaner = new RetentionCleaner({
      db: engine.db,
      dataDir: engine.paths.dataDir,
      settings: engine.settings,
      log: silentLogger,
      batchRows: 7,
    });
    let turns = 0;
    let done = false;
    const counting = (async () => {
      while (!done) {
        await nextTurn();
        turns++;
      }
    })();
    const stats = await cleaner.runOnce(NOW);
    done = true;
    await counting;
    expect(stats.bodiesRemoved).toBe(40);
    expect(stats.batches).toBe(6); // ceil(40 / 7)
    // Other work ran between the batches (the relay's commits would, here a counter).
    expect(turns).toBeGreaterThanOrEqual(stats.batches - 1);
    expect(count(engine, 'SELECT count(*) FROM messages WHERE body_removed_at IS NULL')).toBe(0);

    // Deleting: a message never splits across batches, and the delivery cap bounds a batch.
    const small = new RetentionCleaner({
      db: engine.db,
      dataDir: engine.paths.dataDir,
      settings: engine.settings,
      log: silentLogger,
      batchDeliveries: 3,
    });
    engine.settings.set('retention.logRows', '30d');
    const deleted = await small.runOnce(NOW);
    expect(deleted).toMatchObject({ messagesDeleted: 40, deliveriesDeleted: 80, batches: 20 });
    expect(count(engine, 'SELECT count(*) FROM deliveries')).toBe(0);
  });

  it('stops after the batch in progress when the engine stops', async () => {
    const engine = open();
    for (let i = 0; i < 30; i++) {
      seed(engine, {
        subject: `s${i}`,
        createdAt: NOW - 50 * DAY,
        deliveries: [{ status: 'delivered', at: NOW - 40 * DAY }],
      });
    }
    const cleaner = new RetentionCleaner({
      db: engine.db,
      dataDir: engine.paths.dataDir,
      settings: engine.settings,
      log: silentLogger,
      batchRows: 4,
    });
    const run = cleaner.runOnce(NOW);
    await nextTurn();
    await cleaner.stop();
    const stats = await run;
    // The first batch finished whole; the rest was left for the next pass.
    expect(stats.bodiesRemoved).toBe(4);
    expect(count(engine, 'SELECT count(*) FROM messages WHERE body_removed_at IS NOT NULL')).toBe(4);
    expect((await cleaner.runOnce(NOW)).bodiesRemoved).toBe(26);
  });

  it('commits without an fsync of its own, and always leaves the connection at synchronous=FULL', async () => {
    const engine = open();
    const sync = () => engine.db.pragma('synchronous', { simple: true });
    seed(engine, {
      subject: 'a',
      createdAt: NOW - 40 * DAY,
      deliveries: [{ status: 'delivered', at: NOW - 40 * DAY }],
    });
    await engine.retention.runOnce(NOW);
    expect(sync()).toBe(2);
    // A batch that fails half way rolls back and still puts FULL back.
    seed(engine, {
      subject: 'b',
      createdAt: NOW - 800 * DAY,
      deliveries: [{ status: 'delivered', at: NOW - 800 * DAY }],
    });
    engine.db.exec(
      "CREATE TEMP TRIGGER refuse BEFORE DELETE ON messages BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    await expect(engine.retention.runOnce(NOW)).rejects.toThrow(/disk trouble/);
    expect(sync()).toBe(2);
    expect(count(engine, 'SELECT count(*) FROM messages')).toBe(2);
  });

  it('uses its indexes: no statement scans a table or sorts', () => {
    const engine = open();
    const plan = (sql: string) =>
      (
        engine.db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all({ cutoff: 1, afterAt: 0, afterId: 0, limit: 5, id: 1, now: 1, head: null, spoolPath: 'x' }) as {
          detail: string;
        }[]
      ).map((r) => r.detail);
    for (const [name, sql] of Object.entries(RETENTION_SQL)) {
      const steps = plan(sql);
      for (const step of steps) {
        expect(step, name).not.toMatch(/^SCAN|TEMP B-TREE/);
        if (step.startsWith('SEARCH d ')) expect(step, name).toContain('deliveries_message');
      }
    }
    expect(plan(RETENTION_SQL.bodyCandidates)[0]).toContain(
      'USING INDEX messages_body_kept (created_at>? AND created_at<?)',
    );
    // Deleting a message sets bounce_of to NULL in the reports about it: by index, not a scan.
    expect(plan(RETENTION_SQL.deleteMessage)).toContain(
      'SEARCH messages USING COVERING INDEX messages_bounce_of (bounce_of=?)',
    );
    // The events of its deliveries, found by index both ways.
    expect(plan(RETENTION_SQL.deleteEvents).join('; ')).toMatch(/delivery_events_delivery/);
    expect(plan(RETENTION_SQL.deleteEvents).join('; ')).toMatch(/deliveries_message/);
  });
});
