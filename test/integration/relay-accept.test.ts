import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningRelay, readStore, startRelay, storedBytes } from '../helpers/engine.ts';
import { RawSmtp, simpleMessage } from '../helpers/smtp-client.ts';
import { swaks } from '../helpers/swaks.ts';

/** The stored message minus the trace fields Mailroom put in front. */
function withoutPrefix(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  expect(text.startsWith('Received: from ')).toBe(true);
  // Received is folded over several lines; the original starts at the first unfolded field after it.
  const lines = text.split('\r\n');
  let i = 1;
  while (lines[i]?.startsWith('\t')) i++;
  return lines.slice(i).join('\r\n');
}

describe('relay accepts authenticated mail and stores it durably', () => {
  let relay: RunningRelay;
  beforeEach(async () => {
    relay = await startRelay();
  });
  afterEach(async () => {
    await relay.stop();
  });

  it('stores what nodemailer sent, byte for byte after our trace field, with one queued delivery per recipient', async () => {
    for (const method of ['PLAIN', 'LOGIN'] as const) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: relay.port,
        secure: false,
        ignoreTLS: true,
        auth: { user: relay.username, pass: relay.password, method },
      });
      const raw = simpleMessage({ subject: `Via ${method}`, messageId: `<nm-${method}@example.com>` });
      const info = await transport.sendMail({
        envelope: { from: 'news@example.com', to: ['a@example.net', 'b@example.org', 'c@example.net'] },
        raw,
      });
      expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{16}$/);
      transport.close();
      const { messages, deliveries } = readStore(relay.dir);
      const m = messages.find((x) => x.subject === `Via ${method}`);
      expect(m).toBeDefined();
      if (!m) return;
      expect(m.mail_from).toBe('news@example.com');
      expect(m.message_id).toBe(`<nm-${method}@example.com>`);
      expect(m.header_from).toBe('Shop <news@example.com>');
      expect(withoutPrefix(storedBytes(relay.dir, m))).toBe(raw);
      expect(m.size).toBe(storedBytes(relay.dir, m).length);
      const mine = deliveries.filter((d) => d.message_id === m.id);
      expect(mine.map((d) => [d.recipient, d.domain, d.status])).toEqual([
        ['a@example.net', 'example.net', 'queued'],
        ['b@example.org', 'example.org', 'queued'],
        ['c@example.net', 'example.net', 'queued'],
      ]);
    }
  });

  it('accepts a message from swaks (a client nobody here wrote)', async () => {
    const stdout = await swaks(relay, {
      from: 'owner@example.com',
      to: 'customer@example.org',
      extra: ['--header', 'Subject: Spring sale', '--body', 'Everything half price.'],
    });
    expect(stdout).toMatch(/<- {2}250 2\.0\.0 Ok: queued as/);
    const { messages, deliveries } = readStore(relay.dir);
    expect(messages).toHaveLength(1);
    const m = messages[0]!;
    expect(m.subject).toBe('Spring sale');
    expect(m.mail_from).toBe('owner@example.com');
    const text = storedBytes(relay.dir, m).toString();
    expect(text).toContain('Everything half price.');
    expect(text).toContain('with ESMTPA id');
    expect(deliveries).toEqual([
      { message_id: m.id, recipient: 'customer@example.org', domain: 'example.org', status: 'queued' },
    ]);
  });

  it('accepts quoted local parts from swaks ("a b", "a@b"; RFC 5321), with the domain after the last @', async () => {
    const stdout = await swaks(relay, {
      from: '"shop news"@example.com',
      to: '"a b"@dest.test,"a@b"@example.test,"plain"@dest.test',
      extra: ['--header', 'Subject: Quoted'],
    });
    expect(stdout).toMatch(/-> RCPT TO:<"a b"@dest\.test>\s+<- {2}250/);
    expect(stdout).toMatch(/<- {2}250 2\.0\.0 Ok: queued as/);
    const { messages, deliveries } = readStore(relay.dir);
    expect(messages.map((m) => m.mail_from)).toEqual(['"shop news"@example.com']);
    // One spelling per mailbox: "plain" needs no quotes.
    expect(deliveries.map((d) => [d.recipient, d.domain])).toEqual([
      ['"a b"@dest.test', 'dest.test'],
      ['"a@b"@example.test', 'example.test'],
      ['plain@dest.test', 'dest.test'],
    ]);
  });

  it('adds Message-ID and Date when the message has none, and keeps the rest unchanged', async () => {
    const c = await RawSmtp.connect(relay.port);
    await c.expect(await c.reply(), 220);
    await c.login(relay.username, relay.password);
    await c.openData('news@example.com', ['x@example.net']);
    const body = 'From: news@example.com\r\nSubject: bare\r\n\r\nNo id, no date.\r\n';
    c.write(`${body}.\r\n`);
    await c.expect(await c.reply(), 250);
    c.close();
    const m = readStore(relay.dir).messages[0]!;
    const text = storedBytes(relay.dir, m).toString();
    expect(m.message_id).toMatch(/^<[0-9A-F]{16}\.[0-9a-f]{12}@example\.com>$/);
    expect(text).toContain(`Message-ID: ${m.message_id}\r\n`);
    expect(text).toMatch(/\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\n/);
    expect(text.endsWith(body)).toBe(true);
  });

  it('streams a large message to a spool file instead of memory, and stores it exactly', async () => {
    const line = `${'x'.repeat(76)}\r\n`;
    const raw = simpleMessage({ subject: 'big', messageId: '<big@example.com>', body: line.repeat(40_000) }); // about 3 MB
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: relay.port,
      ignoreTLS: true,
      auth: { user: relay.username, pass: relay.password },
    });
    await transport.sendMail({ envelope: { from: 'news@example.com', to: ['big@example.net'] }, raw });
    transport.close();
    const m = readStore(relay.dir).messages[0]!;
    expect(m.body).toBeNull();
    expect(m.spool_path).toMatch(/^spool\/[0-9A-F]{16}\.eml$/);
    expect(withoutPrefix(storedBytes(relay.dir, m))).toBe(raw);
  });
});
