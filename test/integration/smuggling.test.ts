import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningRelay, readStore, startRelay, storedBytes } from '../helpers/engine.ts';
import { RawSmtp } from '../helpers/smtp-client.ts';

// SMTP smuggling: a body containing a non-standard end-of-data sequence followed by
// a second transaction. A server that is lax about line ends could see two messages;
// Mailroom must see exactly one, and store it with every line end normalised so the
// next hop dot-stuffs the stray dot instead of ending the message there.
const VARIANTS: Record<string, string> = {
  'LF.CRLF': '\n.\r\n',
  'LF.LF': '\n.\n',
  'CRLF.LF': '\r\n.\n',
  'CR.CR': '\r.\r',
};

describe('SMTP smuggling', () => {
  let relay: RunningRelay;
  beforeEach(async () => {
    relay = await startRelay();
  });
  afterEach(async () => {
    await relay.stop();
  });

  for (const [name, seq] of Object.entries(VARIANTS)) {
    it(`${name} followed by smuggled commands yields one message and no smuggled one`, async () => {
      const c = await RawSmtp.connect(relay.port);
      await c.expect(await c.reply(), 220);
      await c.login(relay.username, relay.password);
      await c.openData('news@example.com', ['real@example.net']);
      const smuggled =
        'MAIL FROM:<news@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n' +
        'From: news@example.com\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n';
      c.write(
        `From: news@example.com\r\nTo: real@example.net\r\nSubject: outer\r\n\r\nfirst part${seq}${smuggled}.\r\n`,
      );
      const first = await c.expect(await c.reply(), 250);
      expect(first.text).toMatch(/queued as/);
      // Nothing else is answered: the "commands" were message content.
      const quit = await c.cmd('QUIT');
      expect(quit?.code).toBe(221);
      c.close();

      const { messages, deliveries } = readStore(relay.dir);
      expect(messages).toHaveLength(1);
      expect(messages[0]?.subject).toBe('outer');
      expect(deliveries.map((d) => d.recipient)).toEqual(['real@example.net']);
      const stored = storedBytes(relay.dir, messages[0]!);
      // Only CRLF line ends remain.
      expect(/\r(?!\n)|(?<!\r)\n/.test(stored.toString('latin1'))).toBe(false);
      expect(stored.toString()).toContain('first part\r\n.\r\nMAIL FROM:<news@example.com>\r\n');
    });
  }
});
