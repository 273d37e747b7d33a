import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/main/engine/dashboard.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import type { Logger } from '../../src/main/engine/log.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { mailroom } from '../helpers/cli.ts';
import { type RunningRelay, readStore, startRelay } from '../helpers/engine.ts';
import { hasIpv6Loopback } from '../helpers/ipv6.ts';
import { RawSmtp, simpleMessage } from '../helpers/smtp-client.ts';
import { waitFor } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';

// Issue 13, parts 3 and 4: password guessing is counted per client across connections,
// and connections that never log in cannot lock a mail program out.

let relay: RunningRelay | null = null;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await relay?.stop();
  relay = null;
});

function recorder(): Logger & { lines: { message: string; fields: Record<string, unknown> }[] } {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const push = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields: fields ?? {} });
  return { lines, info: push, warn: push, error: push };
}

async function greeted(r: RunningRelay, host = '127.0.0.1'): Promise<RawSmtp> {
  const c = await RawSmtp.connect(r.port, host);
  await c.expect(await c.reply(), 220);
  await c.expect(await c.cmd('EHLO client.test'), 250);
  return c;
}

const plain = (user: string, pass: string) => `AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString('base64')}`;

describe('password guessing is counted per client, across connections', () => {
  it('slows every fresh connection more, blocks the client (the right password too) until the block ends, and logs the real count', async () => {
    const log = recorder();
    relay = await startRelay({ log, authFailureDelayMs: 5, loginBlockMs: 1500 });
    const r = relay;
    // A connection opened before the guessing, as the user's Outlook might hold one.
    const early = await greeted(r);

    const answers: number[] = [];
    for (let i = 0; i < 10; i++) {
      // A fresh connection for every guess, alternating 127.0.0.1 and ::1 where it exists.
      const c = await greeted(r, hasIpv6Loopback && i % 2 ? '::1' : '127.0.0.1');
      answers.push((await c.cmd(plain(r.username, `guess-${i}`)))?.code ?? 0);
      c.close();
    }
    expect(answers).toEqual([535, 535, 535, 535, 535, 535, 535, 535, 535, 421]);
    const failed = log.lines.filter((l) => l.message === 'relay login failed');
    expect(failed.map((l) => l.fields.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(failed.map((l) => l.fields.pauseMs)).toEqual([5, 10, 20, 40, 80, 80, 80, 80, 80, 80]);
    expect(failed.every((l) => l.fields.client === 'this computer (127.0.0.1 and ::1)')).toBe(true);
    const started = log.lines.find((l) => /someone keeps guessing the relay password/.test(l.message));
    expect(started?.fields).toMatchObject({ client: 'this computer (127.0.0.1 and ::1)', failures: 10 });

    // Blocked at connect, with a sentence saying why and for how long.
    const refused = await RawSmtp.connect(r.port);
    const atConnect = await refused.reply();
    expect(atConnect?.code).toBe(421);
    expect(atConnect?.text).toMatch(/Too many wrong passwords from this computer: .* for \d+ more minute/);
    await refused.waitClosed();
    // The right password on a connection opened before the block is refused too.
    const right = await early.cmd(plain(r.username, r.password));
    expect(right?.code).toBe(421);
    await early.waitClosed();

    // The block ends by itself; then the right password works and mail goes through.
    const after = await waitFor(
      async () => {
        const c = await RawSmtp.connect(r.port);
        const g = await c.reply();
        if (g?.code === 220) return c;
        c.close();
        return null;
      },
      10_000,
      'the end of the block',
    );
    await after.login(r.username, r.password);
    await after.openData('news@example.com', ['friend@example.net']);
    after.write(`${simpleMessage({ subject: 'after the block' })}.\r\n`);
    expect((await after.reply())?.code).toBe(250);
    after.close();
    expect(readStore(r.dir).messages.map((m) => m.subject)).toEqual(['after the block']);
    await waitFor(() => log.lines.some((l) => /block for wrong passwords ended/.test(l.message)), 5000, 'the end line');
  }, 30_000);

  it('the dashboard says plainly who is refused, until when and what to do, then that it ended; later it goes', async () => {
    relay = await startRelay({ authFailureDelayMs: 1, loginBlockMs: 60_000 });
    const r = relay;
    for (let i = 0; i < 10; i++) {
      const c = await greeted(r);
      await c.cmd(plain(r.username, 'wrong'));
      c.close();
    }
    // Any process reading the data folder sees it: `mailroom status`, a separate process…
    const env = { ...process.env, MAILROOM_DATA_DIR: r.dir, MAILROOM_SECRET_STORE: 'file' };
    const json = JSON.parse((await mailroom(['status', '--json'], env)).stdout).relay.loginBlock;
    expect(json).toMatchObject({ thisComputer: true, failures: 10, active: true });
    const text = (await mailroom(['status'], env)).stdout;
    expect(text).toMatch(
      /Relay logins: +REFUSED from this computer \(127\.0\.0\.1 and ::1\) until .*10 wrong passwords/,
    );
    // …and the app's window, which may be another process than the relay's: its dashboard.
    const reader = new Engine({ dataDir: r.dir, secretStore: 'file', log: silentLogger });
    try {
      const now = Date.now();
      const warning = buildDashboard(reader, { state: 'running', error: null }, now).warnings.find(
        (w) => w.kind === 'relay-password-guessing',
      );
      expect(warning).toMatchObject({
        severity: 'error',
        title: 'Someone is guessing your relay password',
        action: { route: '/settings/relay' },
      });
      expect(warning?.message).toMatch(/^10 wrong relay passwords came from a program on this computer/);
      expect(warning?.message).toMatch(
        /refuses every relay login from this computer until \d\d:\d\d, your own mail programs’ too/,
      );
      expect(warning?.message).toMatch(/make a new password/);

      // The row says when the block ends: the clock moves, not the test.
      const until = reader.loginBlocks.latest()?.blockedUntil as number;
      const later = (ms: number) =>
        buildDashboard(reader, { state: 'running', error: null }, ms).warnings.find(
          (w) => w.kind === 'relay-password-guessing',
        );
      expect(later(until + 60_000)).toMatchObject({
        severity: 'warning',
        title: 'Someone was guessing your relay password',
      });
      expect(later(until + 60_000)?.message).toMatch(/Mail programs can log in again/);
      expect(later(until + 16 * 60_000)).toBeUndefined();
    } finally {
      await reader.close();
    }
  });
});

describe('connections that never log in cannot lock out a mail program', () => {
  function silentSocket(port: number, host = '127.0.0.1'): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(s));
      s.on('error', () => {});
      s.once('error', reject);
      sockets.push(s);
    });
  }

  it('35 silent sockets with relay.maxClients 30: swaks still logs in and sends', async () => {
    relay = await startRelay({ settings: { 'relay.maxClients': '30' } });
    for (let i = 0; i < 35; i++) await silentSocket(relay.port);
    const out = await swaks(relay, { from: 'news@example.com', to: 'friend@example.net' });
    expect(out).toMatch(/250 2\.0\.0 Ok: queued as/);
    expect(readStore(relay.dir).deliveries).toHaveLength(1);
  });

  it('sockets that keep sending NOOP without logging in get 421 at the login deadline; a mail program sends meanwhile', async () => {
    relay = await startRelay({ settings: { 'relay.maxClients': '30' }, loginTimeoutMs: 2000 });
    const r = relay;
    const idlers = await Promise.all(Array.from({ length: 8 }, () => greeted(r)));
    const timer = setInterval(() => {
      for (const c of idlers) if (!c.closed) c.write('NOOP\r\n');
    }, 500);
    try {
      const out = await swaks(r, { from: 'news@example.com', to: 'friend@example.net' });
      expect(out).toMatch(/250 2\.0\.0 Ok: queued as/);
      for (const c of idlers) {
        // Replies to the NOOPs, then the 421 (the connection may have closed already; its replies are buffered).
        let last = await c.reply(5000);
        for (let i = 0; i < 100 && last?.code === 250; i++) last = await c.reply(5000);
        expect(last?.code).toBe(421);
        expect(last?.text).toMatch(/No login within 2 seconds/);
        await c.waitClosed();
      }
    } finally {
      clearInterval(timer);
    }
    // A logged-in connection is not held to the login deadline.
    const c = await RawSmtp.connect(r.port);
    await c.expect(await c.reply(), 220);
    await c.login(r.username, r.password);
    await new Promise((res) => setTimeout(res, 2500));
    await c.expect(await c.cmd('NOOP'), 250);
    c.close();
  }, 30_000);

  it('a newcomer pushes out the oldest connection that has not logged in; logged-in ones are never pushed out', async () => {
    relay = await startRelay({ settings: { 'relay.maxClients': '2' } });
    const r = relay;
    const waiting = await greeted(r);
    const loggedIn = await RawSmtp.connect(r.port);
    await loggedIn.expect(await loggedIn.reply(), 220);
    await loggedIn.login(r.username, r.password);

    const newcomer = await RawSmtp.connect(r.port);
    await newcomer.expect(await newcomer.reply(), 220);
    const pushed = await waiting.reply();
    expect(pushed?.code).toBe(421);
    expect(pushed?.text).toMatch(/has not logged in, and a new connection needs its place/);
    await newcomer.login(r.username, r.password);

    // Both places are now held by logged-in connections: the next one is refused.
    const refused = await RawSmtp.connect(r.port);
    const reply = await refused.reply();
    expect(reply?.code).toBe(421);
    expect(reply?.text).toMatch(/relay\.maxClients/);
    await loggedIn.expect(await loggedIn.cmd('NOOP'), 250);
    await newcomer.expect(await newcomer.cmd('NOOP'), 250);
    for (const x of [loggedIn, newcomer, refused]) x.close();
  });
});
