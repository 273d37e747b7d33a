import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningRelay, readStore, startRelay } from '../helpers/engine.ts';
import { RawSmtp, simpleMessage } from '../helpers/smtp-client.ts';

let relay: RunningRelay | null = null;
afterEach(async () => {
  await relay?.stop();
  relay = null;
});

async function session(r: RunningRelay, login = true): Promise<RawSmtp> {
  const c = await RawSmtp.connect(r.port);
  await c.expect(await c.reply(), 220);
  if (login) await c.login(r.username, r.password);
  else await c.expect(await c.cmd('EHLO client.test'), 250);
  return c;
}

describe('relay refuses what it must, with the right codes, and stores nothing', () => {
  it('530 without AUTH', async () => {
    relay = await startRelay();
    const c = await session(relay, false);
    const r = await c.cmd('MAIL FROM:<news@example.com>');
    expect(r?.code).toBe(530);
    c.close();
  });

  it('535 for a wrong password, slower each time, and 421 with a disconnect after repeated failures', async () => {
    relay = await startRelay({ authFailureDelayMs: 100 });
    const c = await session(relay, false);
    const bad = Buffer.from(`\0${relay.username}\0wrong`).toString('base64');
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t = Date.now();
      expect((await c.cmd(`AUTH PLAIN ${bad}`))?.code).toBe(535);
      times.push(Date.now() - t);
    }
    expect(times[1]!).toBeGreaterThanOrEqual(times[0]! + 50);
    expect((await c.cmd(`AUTH PLAIN ${bad}`))?.code).toBe(421);
    await c.waitClosed();
    expect(readStore(relay.dir).messages).toHaveLength(0);
  });

  it('553 when MAIL FROM is not at a sending domain', async () => {
    relay = await startRelay();
    const c = await session(relay);
    const r = await c.cmd('MAIL FROM:<someone@elsewhere.org>');
    expect(r?.code).toBe(553);
    expect(r?.text).toContain('mailroom domains add elsewhere.org');
    c.close();
  });

  it('553 when the header From is not at a sending domain, even if MAIL FROM is', async () => {
    relay = await startRelay();
    const c = await session(relay);
    await c.openData('news@example.com', ['x@example.net']);
    c.write(`${simpleMessage({ from: 'ceo@bank.example' })}.\r\n`);
    const r = await c.reply();
    expect(r?.code).toBe(553);
    expect(r?.text).toContain('From: ceo@bank.example');
    c.close();
    expect(readStore(relay.dir).messages).toHaveLength(0);
  });

  it('501 with the reason for a quoted local part that breaks RFC 5321; the sender check reads the domain after the last @', async () => {
    relay = await startRelay();
    const c = await session(relay);
    const refused = await c.cmd('MAIL FROM:<"x@example.com"@elsewhere.org>');
    expect(refused?.code).toBe(553);
    expect(refused?.text).toContain('mailroom domains add elsewhere.org');
    const bad = await c.cmd('MAIL FROM:<"news@example.com>');
    expect(bad?.code).toBe(501);
    expect(bad?.text).toMatch(/^5\.1\.7 <"news@example\.com> is not a valid address: .*never closed/);
    await c.expect(await c.cmd('MAIL FROM:<"shop news"@example.com>'), 250);
    for (const [rcpt, why] of [
      ['<"a b"dest.test>', /followed by @ and a domain/],
      ['<"a\tb"@dest.test>', /control character/],
      ['<""@dest.test>', /empty/],
      ['<"a>b"@dest.test>', /< or >/],
    ] as const) {
      const r = await c.cmd(`RCPT TO:${rcpt}`);
      expect(r?.code, rcpt).toBe(501);
      expect(r?.text, rcpt).toMatch(/^5\.1\.3 .* is not a valid address: /);
      expect(r?.text, rcpt).toMatch(why);
    }
    // smtp-server still checks the domain of a quoted address, and its own 501 still applies.
    expect((await c.cmd('RCPT TO:<"a b"@bad..domain>'))?.code).toBe(501);
    await c.expect(await c.cmd('RCPT TO:<"a b"@dest.test>'), 250);
    c.close();
    expect(readStore(relay.dir).messages).toHaveLength(0);
  });

  it('553 that explains why when no sending domain is configured', async () => {
    relay = await startRelay({ domains: [] });
    const c = await session(relay);
    const r = await c.cmd('MAIL FROM:<news@example.com>');
    expect(r?.code).toBe(553);
    expect(r?.text).toMatch(/no sending domain yet/);
    c.close();
  });

  it('452 from the 101st recipient on', async () => {
    relay = await startRelay();
    const c = await session(relay);
    await c.expect(await c.cmd('MAIL FROM:<news@example.com>'), 250);
    for (let i = 1; i <= 100; i++) await c.expect(await c.cmd(`RCPT TO:<r${i}@example.net>`), 250);
    expect((await c.cmd('RCPT TO:<r101@example.net>'))?.code).toBe(452);
    expect((await c.cmd('RCPT TO:<r102@example.net>'))?.code).toBe(452);
    await c.expect(await c.cmd('DATA'), 354);
    c.write(`${simpleMessage()}.\r\n`);
    await c.expect(await c.reply(), 250);
    c.close();
    expect(readStore(relay.dir).deliveries).toHaveLength(100);
  });

  it('552 for a declared SIZE over the limit at MAIL, and after DATA for an undeclared one, storing nothing', async () => {
    relay = await startRelay({ settings: { 'relay.maxMessageBytes': '100000' } });
    const c = await session(relay);
    expect((await c.cmd('MAIL FROM:<news@example.com> SIZE=200000'))?.code).toBe(552);
    await c.openData('news@example.com', ['x@example.net']);
    c.write(`${simpleMessage({ body: `${'y'.repeat(998)}\r\n`.repeat(150) })}.\r\n`);
    const r = await c.reply();
    expect(r?.code).toBe(552);
    expect(r?.text).toMatch(/too big/);
    // The session is still usable afterwards.
    await c.expect(await c.cmd('MAIL FROM:<news@example.com>'), 250);
    c.close();
    expect(readStore(relay.dir).messages).toHaveLength(0);
  });

  it('554 for a message with a NUL byte, storing nothing', async () => {
    relay = await startRelay();
    const c = await session(relay);
    await c.openData('news@example.com', ['x@example.net']);
    c.write(`${simpleMessage({ body: 'bad \0 byte' })}.\r\n`);
    const r = await c.reply();
    expect(r?.code).toBe(554);
    expect(r?.text).toMatch(/NUL/);
    c.close();
    expect(readStore(relay.dir).messages).toHaveLength(0);
  });

  it('554 for header sections that different programs could read differently (two From:, an indented first line)', async () => {
    relay = await startRelay();
    const c = await session(relay);
    const tricks = [
      'From: <news@example.com>\r\nFrom: CEO <ceo@bank.example>\r\nSubject: hi\r\n\r\nbody\r\n',
      ' From: <news@example.com>\r\nFrom: <ceo@bank.example>\r\nSubject: hi\r\n\r\nbody\r\n',
      'Hello\r\n From: <news@example.com>\r\nSubject: hi\r\n\r\nbody\r\n',
    ];
    for (const raw of tricks) {
      await c.openData('news@example.com', ['x@example.net']);
      c.write(`${raw}.\r\n`);
      const r = await c.reply();
      expect(r?.code).toBe(554);
      expect(r?.text).toMatch(
        /Message refused: (it has more than one from header|its first header line is indented|the header line "Hello")/,
      );
    }
    c.close();
    expect(readStore(relay.dir).messages).toHaveLength(0);
  });

  it('leaves no spool file behind for a large message it refuses', async () => {
    relay = await startRelay();
    const c = await session(relay);
    await c.openData('news@example.com', ['x@example.net']);
    c.write(`${simpleMessage({ from: 'ceo@bank.example', body: `${'q'.repeat(998)}\r\n`.repeat(2000) })}.\r\n`);
    expect((await c.reply())?.code).toBe(553);
    c.close();
    const spool = path.join(relay.dir, 'spool');
    expect(fs.readdirSync(spool).filter((f) => f !== 'tmp')).toEqual([]);
    expect(fs.readdirSync(path.join(spool, 'tmp'))).toEqual([]);
  });

  it('554 for a message without a From header', async () => {
    relay = await startRelay();
    const c = await session(relay);
    await c.openData('news@example.com', ['x@example.net']);
    c.write('Subject: no from\r\n\r\nbody\r\n.\r\n');
    expect((await c.reply())?.code).toBe(554);
    c.close();
  });

  it('421 for an early talker', async () => {
    relay = await startRelay();
    const socket = net.connect(relay.port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
    });
    await new Promise((r) => socket.once('connect', r));
    socket.write('EHLO hasty.test\r\n'); // before the greeting
    await new Promise((r) => socket.once('close', r));
    expect(got).toMatch(/^421 /m);
  });

  it('421 and a disconnect for a command line far over the RFC 5321 limit', async () => {
    relay = await startRelay();
    const c = await session(relay);
    const r = await c.cmd(`MAIL FROM:<${'a'.repeat(1200)}@example.com>`);
    expect(r?.code).toBe(421);
    await c.waitClosed();
  });

  it('421 when the relay already has its maximum number of logged-in clients', async () => {
    relay = await startRelay({ settings: { 'relay.maxClients': '2' } });
    // (Connections that have not logged in give way instead: see relay-guard.test.ts.)
    const a = await session(relay);
    const b = await session(relay);
    const c = await RawSmtp.connect(relay.port);
    const r = await c.reply();
    expect(r?.code).toBe(421);
    for (const x of [a, b, c]) x.close();
  });

  it('ends a session that outlives relay.maxSessionSeconds with 421 (slow clients cannot hold connections)', async () => {
    relay = await startRelay({ settings: { 'relay.maxSessionSeconds': '5' } });
    const c = await session(relay);
    // Keep the connection busy with a trickle that never lets the idle timeout fire.
    const trickle = setInterval(() => c.write('NOOP\r\n'), 500);
    try {
      let last: Awaited<ReturnType<RawSmtp['reply']>> = null;
      for (let i = 0; i < 40 && !c.closed; i++) {
        last = await c.reply(8000);
        if (!last || last.code === 421) break;
      }
      expect(last?.code).toBe(421);
      expect(last?.text).toMatch(/time limit/);
      await c.waitClosed(5000);
    } finally {
      clearInterval(trickle);
    }
  }, 20_000);

  it('lets a message in progress at the deadline finish, then closes; nothing is taken after the 421', async () => {
    relay = await startRelay({ settings: { 'relay.maxSessionSeconds': '5' } });
    const c = await session(relay);
    await c.openData('news@example.com', ['x@example.net']);
    const raw = simpleMessage({ subject: 'slow', messageId: '<slow@example.com>' });
    c.write(raw.slice(0, 30));
    await new Promise((r) => setTimeout(r, 5500));
    c.write(`${raw.slice(30)}.\r\n`);
    expect((await c.reply())?.code).toBe(250);
    expect((await c.reply())?.code).toBe(421);
    // A client that keeps talking after the 421 is not listened to.
    c.write(
      `MAIL FROM:<news@example.com>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n${simpleMessage({ subject: 'late' })}.\r\n`,
    );
    await c.waitClosed(5000);
    expect(readStore(relay.dir).messages.map((m) => m.subject)).toEqual(['slow']);
  }, 20_000);
});
