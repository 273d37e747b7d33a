import fs from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testSmarthost } from '../../src/main/delivery/route-test.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { LiveStatus } from '../../src/main/engine/live-status.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { sendRelayTest } from '../../src/main/relay/send-test.ts';
import { tempDir } from '../helpers/engine.ts';
import { type Sink, startSink } from '../helpers/smtp-sink.ts';
import { selfSignedCert } from '../helpers/tls-cert.ts';

// The engine services behind the window's buttons, against real peers on loopback:
// "Test connection" against a real SMTP server, moving the relay to another port
// while it runs, the relay's Test button, and the live dashboard's change probe.

let dir: string;
let engine: Engine;
let sink: Sink;

beforeAll(async () => {
  dir = tempDir();
  engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  engine.settings.set('relay.port', 0);
  engine.settings.set('delivery.paused', true);
  engine.domains.add('example.com');
  sink = await startSink({ auth: { user: 'u@example.com', pass: 'right' } });
});

afterAll(async () => {
  await engine.close(2000);
  await sink.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const opts = () => ({ settings: engine.settings, ehloName: 'test.example' });

describe('Test connection (route.test)', () => {
  it('connects, logs in and quits; sends nothing', async () => {
    const before = sink.transactions;
    const r = await testSmarthost(
      { host: '127.0.0.1', port: sink.port, security: 'none', username: 'u@example.com', password: 'right' },
      opts(),
    );
    expect(r).toMatchObject({ ok: true, stage: 'done', tls: false });
    expect(r.message).toContain('logged in as u@example.com');
    expect(sink.transactions).toBe(before);
  });

  it("shows the server's exact reply when the login is refused", async () => {
    const r = await testSmarthost(
      { host: '127.0.0.1', port: sink.port, security: 'none', username: 'u@example.com', password: 'wrong' },
      opts(),
    );
    expect(r).toMatchObject({ ok: false, stage: 'auth', code: 535 });
    expect(r.reply).toContain('5.7.8 Username and Password not accepted');
    expect(r.message).toMatch(/refused the user name or password/);
  });

  it('says which step failed: refused port, STARTTLS missing, certificate not trusted', async () => {
    const closed = await freePort();
    const refused = await testSmarthost(
      { host: '127.0.0.1', port: closed, security: 'none', username: '', password: null },
      opts(),
    );
    expect(refused).toMatchObject({ ok: false, stage: 'connect' });
    expect(refused.message).toContain('refused the connection');

    const noTls = await testSmarthost(
      { host: '127.0.0.1', port: sink.port, security: 'starttls', username: 'u@example.com', password: 'right' },
      opts(),
    );
    expect(noTls).toMatchObject({ ok: false, stage: 'tls' });

    const certDir = tempDir();
    const pem = await selfSignedCert(certDir, 'localhost');
    const tlsSink = await startSink({
      tls: { key: fs.readFileSync(pem.key, 'utf8'), cert: fs.readFileSync(pem.cert, 'utf8') },
    });
    try {
      const untrusted = await testSmarthost(
        { host: '127.0.0.1', port: tlsSink.port, security: 'starttls', username: '', password: null },
        opts(),
      );
      expect(untrusted).toMatchObject({ ok: false, stage: 'tls' });
      expect(untrusted.message).toMatch(/certificate|encryption/i);
    } finally {
      await tlsSink.close();
      fs.rmSync(certDir, { recursive: true, force: true });
    }
  });

  it('refuses to send a password unencrypted across the network, before connecting', async () => {
    const r = await testSmarthost(
      { host: 'smtp.example.net', port: 25_000, security: 'none', username: 'u', password: 'p' },
      opts(),
    );
    expect(r).toMatchObject({ ok: false, stage: 'connect' });
    expect(r.message).toContain('allowed only for a smarthost on this computer');
  });

  it('asks for a password when none is saved or typed', async () => {
    const r = await testSmarthost(
      { host: '127.0.0.1', port: sink.port, security: 'none', username: 'u@example.com', password: null },
      opts(),
    );
    expect(r).toMatchObject({ ok: false, stage: 'auth' });
    expect(r.message).toContain('Type the password');
  });
});

describe('the running relay', () => {
  afterEach(async () => {
    await engine.stop(2000);
    engine.settings.set('relay.port', 0);
  });

  it('moves to another port (the new one listens before the old one closes), and stays put when the new port is taken', async () => {
    const first = await engine.start('app', { authFailureDelayMs: 10 });
    const target = await freePort();
    await engine.setRelayPort(target);
    expect(engine.relayAddress()?.port).toBe(target);
    expect(engine.settings.get('relay.port')).toBe(target);
    expect(await canConnect(target)).toBe(true);
    expect(await canConnect(first.port)).toBe(false);

    // The sink holds its port: the relay must not move and the setting must go back.
    await expect(engine.setRelayPort(sink.port)).rejects.toMatchObject({ code: 'RELAY_START' });
    expect(engine.relayAddress()?.port).toBe(target);
    expect(engine.settings.get('relay.port')).toBe(target);
    expect(await canConnect(target)).toBe(true);
  });

  it('runs port moves and stop one at a time: the setting and the listener always agree, nothing is left listening', async () => {
    await engine.start('app', { authFailureDelayMs: 10 });
    const free = await freePort();
    const [taken, moved] = await Promise.allSettled([engine.setRelayPort(sink.port), engine.setRelayPort(free)]);
    expect(taken.status).toBe('rejected');
    expect(moved.status).toBe('fulfilled');
    expect(engine.relayAddress()?.port).toBe(free);
    expect(engine.settings.get('relay.port')).toBe(free);

    const next = await freePort();
    await Promise.all([engine.setRelayPort(next), engine.stop(2000)]);
    expect(engine.isRunning()).toBe(false);
    expect(await canConnect(next)).toBe(false);
    expect(await canConnect(free)).toBe(false);
  });

  it('sends the Test message through its own relay with the real login, into the queue', async () => {
    const address = await engine.start('app', { authFailureDelayMs: 10 });
    const r = await sendRelayTest(address, 'test@example.com', 'me@example.org', {
      settings: engine.settings,
      secrets: engine.secrets,
    });
    expect(r.reply).toMatch(/^250 /);
    expect(r.queueId).toMatch(/\S+/);
    const row = engine.db
      .prepare(
        'SELECT m.subject, d.recipient FROM messages m JOIN deliveries d ON d.message_id = m.id WHERE m.queue_id = ?',
      )
      .get(r.queueId) as { subject: string; recipient: string };
    expect(row).toEqual({ subject: 'Mailroom test message', recipient: 'me@example.org' });

    // From an address that is not one of the user's domains: the relay's refusal, explained.
    await expect(
      sendRelayTest(address, 'someone@elsewhere.example', 'me@example.org', {
        settings: engine.settings,
        secrets: engine.secrets,
      }),
    ).rejects.toThrow(/one of your sending domains/);
  });
});

describe('live dashboard', () => {
  it('rebuilds only after a commit: its own connection or another process', () => {
    const live = new LiveStatus(engine, () => ({ state: 'running', error: null }));
    const seen: number[] = [];
    live.subscribe((d) => seen.push(d.status.sendingDomains.length));
    live.check();
    const base = live.rebuilds;
    for (let i = 0; i < 5; i++) live.check();
    expect(live.rebuilds).toBe(base);

    engine.domains.add('own-change.example');
    live.check();
    expect(live.rebuilds).toBe(base + 1);
    expect(seen.at(-1)).toBe(2);

    // Another connection (as the CLI in another process would be).
    const other = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
    try {
      other.domains.add('other-process.example');
    } finally {
      other.db.close();
    }
    live.check();
    expect(live.rebuilds).toBe(base + 2);
    expect(seen.at(-1)).toBe(3);
    live.check();
    expect(live.rebuilds).toBe(base + 2);
    engine.domains.remove('own-change.example');
    engine.domains.remove('other-process.example');
  });

  it('pushes a change that current() found first, so the tray hears of it', () => {
    const live = new LiveStatus(engine, () => ({ state: 'running', error: null }));
    live.current();
    const pushed: boolean[] = [];
    live.subscribe((d) => pushed.push(d.warnings.some((w) => w.kind === 'sending-paused')));
    engine.settings.set('delivery.paused', false);
    expect(live.current().warnings.some((w) => w.kind === 'sending-paused')).toBe(false);
    live.check();
    expect(pushed).toEqual([false]);
    engine.settings.set('delivery.paused', true);
  });

  it('warns about what needs the user, each with where to fix it', () => {
    engine.settings.setMany({ 'delivery.route': 'smarthost', 'smarthost.host': '' });
    engine.pauses.pause({
      route: 'smarthost',
      reason: 'The provider refused the login: 535 5.7.8 bad credentials.',
      code: 535,
      response: '535 5.7.8 bad credentials',
      fingerprint: null,
    });
    try {
      const live = new LiveStatus(engine, () => ({
        state: 'failed',
        error: { code: 'ENGINE_RUNNING', message: '"mailroom serve" is already running the engine.' },
      }));
      const kinds = live.current().warnings.map((w) => [w.kind, w.action?.route ?? null]);
      expect(kinds).toEqual([
        ['relay-down', '/settings/relay'],
        ['sending-paused', null],
        ['route-paused', '/settings/route'],
        ['route-not-configured', '/settings/route'],
        ['unsigned-domain', '/setup'],
      ]);
    } finally {
      engine.pauses.resume('smarthost');
      engine.settings.set('delivery.route', 'direct');
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
