import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, mailroom, startServe } from '../helpers/cli.ts';
import { tempDir } from '../helpers/engine.ts';
import { type Sink, startSink, waitFor } from '../helpers/smtp-sink.ts';

// Issue: "Crash: kill -9 the engine during a 1,000-message run against a sink, then
// restart. Every accepted recipient is delivered exactly once, except those recorded
// `unknown`." A delivery the engine was working on when it died comes back with a
// `reclaimed` event once its lease runs out; only those may reach the sink twice.

const TOTAL = 1000;
const KILL_AFTER = 200;

interface LogEntry {
  id: number;
  recipient: string;
  status: string;
  attempts: number;
  events: { kind: string; code: number | null; detail: string | null }[];
}

const children: ChildProcess[] = [];
const sinks: Sink[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && !c.signalCode) c.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const recipientOf = (i: number) => `r${i}@example.net`;
const messageIdOf = (i: number) => `<crash-${i}@example.com>`;

function raw(i: number): string {
  return [
    'From: Shop <news@example.com>',
    `To: ${recipientOf(i)}`,
    `Subject: Crash run ${i}`,
    'Date: Sun, 22 Nov 2026 10:00:00 +0000',
    `Message-ID: ${messageIdOf(i)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Message number ${i}.`,
    '',
  ].join('\r\n');
}

describe('delivery survives kill -9 of the engine', () => {
  it(`delivers every acknowledged message of a ${TOTAL}-message run at least once; only reclaimed ones twice`, async () => {
    const dir = tempDir();
    dirs.push(dir);
    const env = { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_SECRET_STORE: 'file' };
    const cli = async (args: string[]) => {
      const r = await mailroom(args, env);
      if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };

    let serve: ChildProcess | null = null;
    let received = 0;
    let receivedAtKill = -1;
    const sink = await startSink({
      onData: () => {
        received++;
        if (received === KILL_AFTER && serve) {
          receivedAtKill = received;
          serve.kill('SIGKILL');
        }
        return 'accept';
      },
    });
    sinks.push(sink);

    await cli(['domains', 'add', 'example.com']);
    await cli(['settings', 'set', 'relay.port', '0']);
    // Nothing leaves until the route points at the loopback sink.
    await cli(['settings', 'set', 'delivery.paused', 'true']);
    await cli(['settings', 'set', 'delivery.route', 'smarthost']);
    await cli(['settings', 'set', 'smarthost.host', '127.0.0.1']);
    await cli(['settings', 'set', 'smarthost.port', String(sink.port)]);
    await cli(['settings', 'set', 'smarthost.security', 'none']);
    await cli(['settings', 'set', 'delivery.leaseSeconds', '5']);
    await cli(['settings', 'set', 'delivery.replyTimeoutSeconds', '10']);
    await cli(['settings', 'set', 'retry.schedule', '1s']);
    const creds = JSON.parse(await cli(['relay', 'credentials', '--show-password', '--json']));

    const first = await startServe(env);
    children.push(first.child);
    serve = first.child;

    // Submit everything while sending is paused, with a few parallel connections.
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 4,
      maxMessages: Number.POSITIVE_INFINITY,
      host: '127.0.0.1',
      port: first.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: creds.username, pass: creds.password },
    });
    const acked = new Set<number>();
    try {
      await Promise.all(
        Array.from({ length: TOTAL }, async (_, i) => {
          const info = await transport.sendMail({
            envelope: { from: 'news@example.com', to: [recipientOf(i)] },
            raw: raw(i),
          });
          if (/^250\b/.test(info.response)) acked.add(i);
        }),
      );
    } finally {
      transport.close();
    }
    expect(acked.size).toBe(TOTAL);

    // Turn sending on; the running dispatcher rereads the settings within a second,
    // and the sink kills the engine once it has received KILL_AFTER messages.
    await cli(['settings', 'set', 'delivery.paused', 'false']);
    await waitFor(() => first.child.signalCode ?? first.child.exitCode !== null, 60_000, 'the engine to be killed');
    await exited(first.child);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(receivedAtKill).toBe(KILL_AFTER);
    // Let connections the dead engine left half-open settle before counting.
    await new Promise((r) => setTimeout(r, 200));
    const beforeRestart = sink.messages.length;
    expect(beforeRestart).toBeLessThan(TOTAL);

    // Restart: reclaimed leases come back after delivery.leaseSeconds (5 s) and the
    // next reclaim pass; everything else continues where it stopped.
    const second = await startServe(env);
    children.push(second.child);
    await waitFor(
      async () => {
        const s = JSON.parse(await cli(['status', '--json'])) as { deliveries: Record<string, number> };
        const total = Object.values(s.deliveries).reduce((a, b) => a + b, 0);
        return total >= TOTAL && (s.deliveries.delivered ?? 0) + (s.deliveries.bounced ?? 0) === total;
      },
      90_000,
      'every delivery to finish after the restart',
    );
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);

    const log = (JSON.parse(await cli(['log', '--json', '--limit', '5000'])) as { deliveries: LogEntry[] }).deliveries;
    expect(log).toHaveLength(TOTAL);
    const byRecipient = new Map(log.map((d) => [d.recipient, d]));

    // Receipts per message, by Message-ID.
    const counts = new Map<string, number>();
    for (const m of sink.messages) {
      const id = /^Message-ID:\s*(\S+)/im.exec(m.data.toString('latin1'))?.[1] ?? '(none)';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const missing = [...acked].filter((i) => !counts.has(messageIdOf(i)));
    const duplicated = [...acked].filter((i) => (counts.get(messageIdOf(i)) ?? 0) > 1);
    const reclaimed = log.filter((d) => d.events.some((e) => e.kind === 'reclaimed'));
    const unknown = log.filter((d) => d.events.some((e) => e.kind === 'unknown'));
    const extraReceipts = [...counts.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
    console.log(
      `delivery crash run: acknowledged ${acked.size}, received ${sink.messages.length} (${beforeRestart} before the restart), ` +
        `distinct ${counts.size}, duplicated messages ${duplicated.length} (extra receipts ${extraReceipts}), ` +
        `reclaimed deliveries ${reclaimed.length}, unknown ${unknown.length}`,
    );

    // Nothing acknowledged is missing, and nothing arrived that was not sent.
    expect(missing).toEqual([]);
    expect(counts.get('(none)')).toBeUndefined();
    expect([...counts.keys()].every((id) => /^<crash-\d+@example\.com>$/.test(id))).toBe(true);
    // Nothing bounced; everything ended delivered.
    expect(log.filter((d) => d.status !== 'delivered').map((d) => [d.recipient, d.status])).toEqual([]);
    // A message received twice was in flight when the engine died: its delivery says so.
    for (const i of duplicated) {
      const d = byRecipient.get(recipientOf(i));
      expect(d, recipientOf(i)).toBeDefined();
      const kinds = d!.events.map((e) => e.kind);
      expect(kinds.includes('reclaimed') || kinds.includes('unknown'), `${recipientOf(i)}: ${kinds.join(',')}`).toBe(
        true,
      );
      expect(counts.get(messageIdOf(i))).toBe(2);
    }
    // At most one extra copy per delivery that was in flight (an `unknown` one is
    // reclaimed too once its lease runs out).
    expect(extraReceipts).toBeLessThanOrEqual(reclaimed.length);
    // Every reclaimed event carries the possible-duplicate warning.
    for (const d of reclaimed) {
      const ev = d.events.find((e) => e.kind === 'reclaimed')!;
      expect(ev.detail).toMatch(/may receive this message twice/);
    }
  }, 180_000);
});
