import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/main/db/connection.ts';
import type { Logger } from '../../src/main/engine/log.ts';
import { admit, FULL, TOO_MANY_FROM_CLIENT } from '../../src/main/relay/admission.ts';
import { LoginBlocks } from '../../src/main/relay/login-blocks.ts';
import { clientKey, LoginGuard, THIS_COMPUTER } from '../../src/main/relay/login-guard.ts';
import { tempDir } from '../helpers/engine.ts';

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

const dirs: string[] = [];
const guards: LoginGuard[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const g of guards.splice(0)) g.close();
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function recorder(): Logger & { lines: { message: string; fields: Record<string, unknown> }[] } {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const push = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields: fields ?? {} });
  return { lines, info: push, warn: push, error: push };
}

function store(): LoginBlocks {
  const dir = tempDir();
  dirs.push(dir);
  const db = openDatabase(path.join(dir, 'mailroom.db'));
  dbs.push(db);
  return new LoginBlocks(db);
}

function guard(opts: { store?: LoginBlocks; log?: Logger } = {}, now = T0): LoginGuard {
  const g = new LoginGuard(
    { log: opts.log ?? recorder(), store: opts.store, firstDelayMs: 1000, blockMs: 5 * 60_000 },
    now,
  );
  guards.push(g);
  return g;
}

describe('which client a connection counts as', () => {
  it('every loopback address is "this computer"; IPv4 by address; IPv6 by its /64', () => {
    for (const a of ['127.0.0.1', '127.0.0.2', '127.255.1.9', '::1', '::ffff:127.0.0.1']) {
      expect(clientKey(a)).toBe(THIS_COMPUTER);
    }
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('the login guard', () => {
  it('counts failures per client across connections: the pause grows, the count runs on, then a block', () => {
    const log = recorder();
    const g = guard({ log });
    const seen = [];
    // Every failure from a different loopback address, as a local guesser could make them.
    for (let i = 1; i <= 10; i++) seen.push(g.failed(`127.0.0.${i}`, T0 + i * 1000));
    expect(seen.map((s) => s.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.map((s) => s.pauseMs)).toEqual([1000, 2000, 4000, 8000, 16000, 16000, 16000, 16000, 16000, 16000]);
    expect(seen.slice(0, 9).every((s) => s.blockedUntil === null)).toBe(true);
    expect(seen[9]?.blockedUntil).toBe(T0 + 10_000 + 5 * 60_000);
    // Blocked at connect and at AUTH, from ::1 too: the same client.
    expect(g.blockedUntil('::1', T0 + 11_000)).toBe(T0 + 10_000 + 5 * 60_000);
    expect(g.blockedUntil('127.0.0.1', T0 + 10_000 + 5 * 60_000 - 1)).not.toBeNull();
    // The block ends by itself.
    expect(g.blockedUntil('127.0.0.1', T0 + 10_000 + 5 * 60_000)).toBeNull();
    expect(log.lines.filter((l) => /someone keeps guessing/.test(l.message))).toHaveLength(1);
  });

  it('forgives the occasional typo: the count decays, so mistakes hours apart never block', () => {
    const g = guard();
    let last = null;
    for (let i = 0; i < 40; i++) last = g.failed('127.0.0.1', T0 + i * 2 * HOUR);
    expect(last?.blockedUntil).toBeNull();
    expect(last?.failures).toBe(40);
    expect(last?.recent).toBeLessThan(2);
    expect(last?.pauseMs).toBe(1000);
  });

  it('a block after a block lasts twice as long; another client is not affected', () => {
    const g = guard();
    let t = T0;
    let r = g.failed('192.0.2.1', t);
    for (let i = 0; i < 9; i++) {
      t += 1000;
      r = g.failed('192.0.2.1', t);
    }
    const first = (r.blockedUntil as number) - t;
    // Guessing resumes the moment the block ends: the count is still high, one more miss blocks again.
    t = r.blockedUntil as number;
    r = g.failed('192.0.2.1', t);
    expect((r.blockedUntil as number) - t).toBe(2 * first);
    expect(g.blockedUntil('192.0.2.2', t)).toBeNull();
    expect(g.blockedUntil('127.0.0.1', t)).toBeNull();
  });

  it('keeps memory bounded whatever number of addresses an attack uses', () => {
    const g = guard();
    for (let i = 0; i < 3000; i++) g.failed(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0 + i);
    expect(g.size).toBeLessThanOrEqual(1000);
  });

  it('writes a block to the database, and a restarted relay keeps refusing until it ends', () => {
    const blocks = store();
    const g = guard({ store: blocks });
    let r = g.failed('127.0.0.1', T0);
    for (let i = 1; i < 10; i++) r = g.failed('::1', T0 + i);
    const until = r.blockedUntil as number;
    expect(blocks.latest()).toEqual({
      client: THIS_COMPUTER,
      failures: 10,
      firstFailureAt: T0,
      blockedAt: T0 + 9,
      blockedUntil: until,
    });
    const restarted = guard({ store: blocks }, T0 + 60_000);
    expect(restarted.blockedUntil('127.0.0.1', T0 + 60_000)).toBe(until);
    expect(restarted.blockedUntil('127.0.0.1', until)).toBeNull();
    // After the block the count carries on from the stored one.
    expect(restarted.failed('127.0.0.1', until + 1).failures).toBe(11);
  });
});

describe('admission: connections that have not logged in give way', () => {
  const local = (loggedIn: boolean) => ({ client: THIS_COMPUTER, loggedIn });
  const remote = (client: string, loggedIn: boolean) => ({ client, loggedIn });

  it('a newcomer pushes out the oldest connection waiting to log in when the relay is full', () => {
    const open = [local(true), local(false), local(false), local(true)];
    expect(admit(open, THIS_COMPUTER, 4)).toEqual({ evict: [open[1]], refuse: null });
  });

  it('the newcomer is refused only when every place is taken by a logged-in connection', () => {
    const open = [local(true), local(true)];
    expect(admit(open, THIS_COMPUTER, 2)).toEqual({ evict: [], refuse: FULL });
  });

  it('this computer has no cap of its own below relay.maxClients (a script may send over many connections)', () => {
    const open = Array.from({ length: 99 }, () => local(false));
    expect(admit(open, THIS_COMPUTER, 100)).toEqual({ evict: [], refuse: null });
    expect(admit([...open, local(false)], THIS_COMPUTER, 100)).toEqual({ evict: [open[0]], refuse: null });
  });

  it('another computer has at most 10 connections; when all are logged in, the 11th is refused', () => {
    const full = Array.from({ length: 10 }, () => remote('192.0.2.9', true));
    expect(admit(full, '192.0.2.9', 100)).toEqual({ evict: [], refuse: TOO_MANY_FROM_CLIENT });
    // A different computer still gets in, and so does this computer.
    expect(admit(full, '192.0.2.10', 100).refuse).toBeNull();
    expect(admit(full, THIS_COMPUTER, 100).refuse).toBeNull();
    const mixed = [remote('192.0.2.9', false), ...full.slice(1)];
    expect(admit(mixed, '192.0.2.9', 100)).toEqual({ evict: [mixed[0]], refuse: null });
  });

  it('a full relay takes the oldest waiting connection of anybody, never a logged-in one', () => {
    const open = [remote('192.0.2.9', true), remote('192.0.2.8', false), local(true)];
    expect(admit(open, THIS_COMPUTER, 3)).toEqual({ evict: [open[1]], refuse: null });
  });
});
