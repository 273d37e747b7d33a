import { execFile, execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/main/engine/log.ts';
import { type RunningRelay, readStore, startRelay } from '../helpers/engine.ts';
import { hasIpv6Loopback } from '../helpers/ipv6.ts';
import { pythonSend } from '../helpers/python-smtp.ts';
import { RawSmtp } from '../helpers/smtp-client.ts';

// Issue 13, part 8: "localhost" as mail programs mean it. Windows and macOS resolve
// localhost to ::1 first, so the relay listens on ::1 as well as 127.0.0.1 (same port,
// same rules), and tells mail programs "localhost" only when both listen.

const run = promisify(execFile);

let relay: RunningRelay | null = null;
const servers: net.Server[] = [];
afterEach(async () => {
  await relay?.stop();
  relay = null;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function connects(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, host, () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string, f?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(f ?? {})}`);
  return { lines, info: push, warn: push, error: push };
}

describe.skipIf(!hasIpv6Loopback)('the relay on ::1 as well as 127.0.0.1', () => {
  it('listens on both on the same port (relay.port 0 too), says "localhost", and takes mail over ::1 with the same rules', async () => {
    relay = await startRelay();
    const status = relay.engine.status().relay;
    expect(status.listening).toEqual(['127.0.0.1', '::1']);
    expect(status.host).toBe('localhost');
    expect(status.address).toBe(`localhost:${relay.port}`);
    expect(relay.engine.relayAddress()).toEqual({
      host: '127.0.0.1',
      port: relay.port,
      listening: ['127.0.0.1', '::1'],
    });

    // Python's smtplib over ::1, then over 127.0.0.1: both reach the relay, log in and send.
    expect((await pythonSend('::1', relay, 'news@example.com', 'a@example.net')).peer).toBe('::1');
    expect((await pythonSend('127.0.0.1', relay, 'news@example.com', 'b@example.net')).peer).toBe('127.0.0.1');
    expect(readStore(relay.dir).deliveries.map((d) => d.recipient)).toEqual(['a@example.net', 'b@example.net']);
    // The same rules: a sender outside the sending domains is refused over ::1 too, and nothing is stored.
    await expect(pythonSend('::1', relay, 'someone@elsewhere.org', 'c@example.net')).rejects.toThrow(/553/);
    // And so is a login without the password.
    const c = await RawSmtp.connect(relay.port, '::1');
    await c.expect(await c.reply(), 220);
    await c.expect(await c.cmd('EHLO v6.test'), 250);
    expect((await c.cmd('MAIL FROM:<news@example.com>'))?.code).toBe(530);
    c.close();
    expect(readStore(relay.dir).messages).toHaveLength(2);
  });

  it('a port move and a stop cover both listeners', async () => {
    relay = await startRelay();
    const r = relay;
    const old = r.port;
    const probe = net.createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const next = (probe.address() as net.AddressInfo).port;
    await new Promise((res) => probe.close(res));
    await r.engine.setRelayPort(next);
    expect(r.engine.status().relay.listening).toEqual(['127.0.0.1', '::1']);
    expect(await connects(next, '::1')).toBe('connected');
    expect(await connects(next, '127.0.0.1')).toBe('connected');
    expect(await connects(old, '::1')).toBe('ECONNREFUSED');
    expect(await connects(old, '127.0.0.1')).toBe('ECONNREFUSED');
    await r.engine.stop(1000);
    expect(await connects(next, '::1')).toBe('ECONNREFUSED');
    expect(await connects(next, '127.0.0.1')).toBe('ECONNREFUSED');
  });

  it('when another program has the port on ::1, the relay runs on 127.0.0.1 alone and says 127.0.0.1, not localhost', async () => {
    const other = net.createServer((s) => s.end('220 somebody else\r\n'));
    servers.push(other);
    await new Promise<void>((res) => other.listen({ port: 0, host: '::1', ipv6Only: true }, res));
    const port = (other.address() as net.AddressInfo).port;
    const log = recorder();
    relay = await startRelay({ settings: { 'relay.port': String(port) }, log });
    const status = relay.engine.status().relay;
    expect(status.listening).toEqual(['127.0.0.1']);
    expect(status.host).toBe('127.0.0.1');
    expect(log.lines.some((l) => /127\.0\.0\.1 only: another program uses this port on ::1/.test(l))).toBe(true);
    expect((await pythonSend('127.0.0.1', relay, 'news@example.com', 'a@example.net')).peer).toBe('127.0.0.1');
  });
});

/** Whether this machine can make a network namespace whose loopback has no ::1 (needs unshare and ip). */
function canDropIpv6(): boolean {
  try {
    execFileSync(
      'unshare',
      ['-rn', 'sh', '-c', 'ip link set lo up && echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6'],
      {
        stdio: 'ignore',
      },
    );
    return true;
  } catch {
    return false;
  }
}
const noIpv6Possible = canDropIpv6();
if (!noIpv6Possible)
  console.warn(
    'skipped: cannot make a network namespace without ::1 here (needs "unshare -rn" and "ip" from iproute2)',
  );

describe.skipIf(!noIpv6Possible)('a computer without an IPv6 loopback', () => {
  it('starts on 127.0.0.1 alone, takes mail there, and tells mail programs 127.0.0.1', async () => {
    const script = path.resolve('test/fixtures/relay-without-ipv6.ts');
    const { stdout } = await run('unshare', [
      '-rn',
      'sh',
      '-c',
      'ip link set lo up && echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6 && exec "$0" "$1"',
      process.execPath,
      script,
    ]);
    const r = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(r.address.listening).toEqual(['127.0.0.1']);
    expect(r.sent).toBe(250);
    expect(r.v6).toMatch(/EADDRNOTAVAIL|ECONNREFUSED|ENETUNREACH/);
    expect(r.host).toBe('127.0.0.1');
    expect(r.address2).toBe(`127.0.0.1:${r.address.port}`);
    expect(r.logLines.join('')).toMatch(/this computer has no IPv6 loopback/);
  }, 30_000);
});
