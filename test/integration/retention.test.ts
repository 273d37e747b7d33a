import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { Enqueuer } from '../../src/main/queue/enqueue.ts';
import { deliveryDetail } from '../../src/main/queue/log-detail.ts';
import { logFor, sendRaw, settled, startSmarthostEngine } from '../helpers/delivery.ts';
import { type RunningRelay, tempDir } from '../helpers/engine.ts';
import { simpleMessage } from '../helpers/smtp-client.ts';
import { type Sink, startSink, waitFor } from '../helpers/smtp-sink.ts';

// Retention end to end: mail accepted by the real relay and delivered through a loopback
// smarthost, then cleaned as it would be a month and two years later; and the engine
// running the cleaner by itself once started.

const DAY = 86_400_000;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('retention', () => {
  it('removes delivered bodies after 30 days, keeping headers and the log, and the log rows after two years', async () => {
    const sink: Sink = await startSink();
    cleanup.push(() => sink.close());
    const relay: RunningRelay = await startSmarthostEngine(sink.port);
    cleanup.push(() => relay.stop());

    await sendRaw(
      relay,
      'news@example.com',
      ['a@example.net', 'b@example.org'],
      simpleMessage({ subject: 'Small one' }),
    );
    const big = simpleMessage({ subject: 'Big one', body: `${'y'.repeat(998)}\r\n`.repeat(1300) });
    await sendRaw(relay, 'news@example.com', ['c@example.net'], big);
    await settled(relay, ['delivered']);
    expect(sink.messages).toHaveLength(2);

    const db = relay.engine.db;
    const spoolPath = db.prepare("SELECT spool_path FROM messages WHERE subject = 'Big one'").pluck().get() as string;
    expect(spoolPath).toMatch(/^spool\/.+\.eml$/);
    const spoolFile = path.join(relay.dir, spoolPath);
    expect(fs.statSync(spoolFile).size).toBeGreaterThan(1_000_000);
    const events = db.prepare('SELECT count(*) FROM delivery_events').pluck().get();

    // A day early nothing goes; a month after delivery the bodies do.
    expect((await relay.engine.retention.runOnce(Date.now() + 29 * DAY)).bodiesRemoved).toBe(0);
    const month = await relay.engine.retention.runOnce(Date.now() + 31 * DAY);
    expect(month).toMatchObject({ bodiesRemoved: 2, spoolFilesRemoved: 1, messagesDeleted: 0 });
    expect(fs.existsSync(spoolFile)).toBe(false);
    expect(db.prepare('SELECT count(*) FROM delivery_events').pluck().get()).toBe(events);
    for (const entry of logFor(relay)) {
      const detail = deliveryDetail(db, relay.dir, entry.id);
      expect(detail.delivery.status).toBe('delivered');
      expect(detail.message.bodyRemovedAt).not.toBeNull();
      // The drawer still shows the headers the relay stored, including its own Received:.
      const names = detail.message.headers.map((h) => h.name);
      expect(names).toEqual(expect.arrayContaining(['Received', 'From', 'To', 'Subject', 'Message-ID']));
      expect(detail.events.length).toBeGreaterThanOrEqual(2);
    }
    const sizes = db.prepare('SELECT length(body) FROM messages').pluck().all() as number[];
    for (const n of sizes) expect(n).toBeLessThan(1000);

    const years = await relay.engine.retention.runOnce(Date.now() + 731 * DAY);
    expect(years).toMatchObject({ messagesDeleted: 2, deliveriesDeleted: 3 });
    expect(db.prepare('SELECT count(*) FROM delivery_events').pluck().get()).toBe(0);
    expect(fs.readdirSync(path.join(relay.dir, 'spool')).filter((f) => f.endsWith('.eml'))).toEqual([]);
  });

  it('runs by itself soon after the engine starts', async () => {
    const dir = tempDir();
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
    cleanup.push(() => engine.close());
    engine.settings.set('relay.port', 0);
    engine.settings.set('delivery.paused', true);
    const old = Date.now() - 40 * DAY;
    const id = engine.db.transaction(() =>
      new Enqueuer(engine.db).insert(
        {
          source: 'relay',
          queueId: 'old1',
          mailFrom: 'news@example.com',
          recipients: ['a@example.net'],
          size: 40,
          body: Buffer.from('Subject: old\r\n\r\nA body nobody needs.\r\n'),
        },
        old,
      ),
    )();
    engine.db.prepare("UPDATE deliveries SET status = 'delivered', updated_at = ?").run(old);
    await engine.start('serve', { authFailureDelayMs: 10 });
    const removed = () =>
      engine.db.prepare('SELECT body_removed_at FROM messages WHERE id = ?').pluck().get(id) as number | null;
    await waitFor(() => removed() !== null, 20_000);
    expect((engine.db.prepare('SELECT body FROM messages WHERE id = ?').pluck().get(id) as Buffer).toString()).toBe(
      'Subject: old\r\n\r\n',
    );
  });
});
