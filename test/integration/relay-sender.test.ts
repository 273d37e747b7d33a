// The sender check through the real relay: From: and Sender: forms that readers could
// read as someone else's are refused with a sentence and nothing is queued; a tricky but
// unambiguous From: is accepted, delivered through a loopback smarthost, and its DKIM
// signature verifies with python3-dkim. The mail client is swaks (nobody here wrote it),
// or the raw test client for header bytes swaks cannot express (a folded header).
import { afterEach, describe, expect, it } from 'vitest';
import { settled, startSmarthostEngine } from '../helpers/delivery.ts';
import { verifyDkim } from '../helpers/dkim-verify.ts';
import { type RunningRelay, readStore } from '../helpers/engine.ts';
import { RawSmtp } from '../helpers/smtp-client.ts';
import { type Sink, startSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';

let relay: RunningRelay | null = null;
let sink: Sink | null = null;
afterEach(async () => {
  await relay?.stop();
  relay = null;
  await sink?.close();
  sink = null;
});

async function start(): Promise<RunningRelay> {
  sink = await startSink();
  relay = await startSmarthostEngine(sink.port);
  return relay;
}

/** From: values that passed the old check as news@example.com, each with the reply it now gets. */
const REFUSED: [string, number, RegExp][] = [
  ['x@evil.test <news@example.com', 554, /its From: header has a < with no > after it/],
  ['x@evil.test\\<news@example.com>', 554, /its From: header has a backslash outside quotes/],
  ['<x@evil.test <news@example.com>', 554, /its From: header has a < inside another < >/],
  ['<news@example.com> x@evil.test', 554, /second address after news@example.com without a comma/],
  ['news@example.com (comment) x@evil.test', 554, /second address after news@example.com/],
  ['x@example.com.', 554, /its From: header has an address that ends with a dot/],
  ['x@evil.test@example.com', 554, /its From: header has an address with more than one @/],
  ['"x@evil.test" <news@example.com>', 553, /shows x@evil.test in a name or comment/],
];

describe('the relay refuses a From: or Sender: that could be read as another sender', () => {
  it('answers each smuggling form from swaks with 554 or 553 and a sentence, and queues nothing', async () => {
    const r = await start();
    for (const [from, code, why] of REFUSED) {
      const out = await swaks(r, {
        from: 'news@example.com',
        to: 'customer@example.org',
        extra: ['--header', `From: ${from}`, '--header', 'Subject: Spring sale'],
        refusalExpected: true,
      });
      const answer = out.split('\n').find((l) => /^ *<\*\* +\d{3} /.test(l)) ?? out;
      expect(answer, from).toMatch(new RegExp(`<\\*\\* +${code} `));
      expect(answer, from).toMatch(why);
      expect(answer, from).toMatch(/Nothing was queued|mailroom domains add/);
    }
    expect(readStore(r.dir).messages).toHaveLength(0);
    expect(sink?.messages).toHaveLength(0);
  });

  it('refuses a From: folded onto a second line with a second address, and a foreign Sender:', async () => {
    const r = await start();
    const c = await RawSmtp.connect(r.port);
    await c.expect(await c.reply(), 220);
    await c.login(r.username, r.password);
    const cases: [string, number, RegExp][] = [
      ['From: news@example.com\r\n x@evil.test\r\n', 554, /second address after news@example.com/],
      ['From: news@example.com\r\nSender: x@evil.test\r\n', 553, /Sender: x@evil.test is not at one of your/],
      ['From: news@example.com, owner@example.com\r\n', 554, /From: header names 2 addresses .* no Sender: header/],
    ];
    for (const [head, code, why] of cases) {
      await c.openData('news@example.com', ['customer@example.org']);
      c.write(`${head}Subject: hi\r\n\r\nbody\r\n.\r\n`);
      const reply = await c.reply();
      expect(reply?.code, head).toBe(code);
      expect(reply?.text, head).toMatch(why);
    }
    c.close();
    expect(readStore(r.dir).messages).toHaveLength(0);
  });

  it('accepts a tricky but unambiguous From: and Sender:, and the delivered message verifies with python3-dkim', async () => {
    const r = await start();
    const rec = await r.engine.dkim.generate('example.com');
    // An encoded word, an obs-phrase dot, comments in odd places, a quoted comma.
    const from =
      '=?utf-8?q?Caf=C3=A9?= J. Smith (shop) <news(desk)@example.com> (letters), "Owner, The" <owner@example.com>';
    const out = await swaks(r, {
      from: 'news@example.com',
      to: 'customer@example.org',
      extra: [
        '--header',
        `From: ${from}`,
        '--header',
        'Sender: News Desk <news@example.com>',
        '--header',
        'Subject: Tricky',
      ],
    });
    expect(out).toMatch(/<- {2}250 2\.0\.0 Ok: queued as/);
    const log = await settled(r, ['delivered']);
    expect(log).toHaveLength(1);
    expect(sink?.messages).toHaveLength(1);
    const data = sink?.messages[0]?.data as Buffer;
    // Delivered with the From: exactly as written, signed by the user's domain.
    expect(data.toString('utf8')).toContain(`\r\nFrom: ${from}\r\n`);
    const results = await verifyDkim(data, { [rec.name]: rec.value });
    expect(results.map((v) => [v.domain, v.ok])).toEqual([['example.com', true]]);
  });

  it('signs with the domain of the From: address, not the envelope sender, when a name stands before it', async () => {
    const r = await start();
    r.engine.domains.add('brand.example');
    const rec = await r.engine.dkim.generate('brand.example');
    await r.engine.dkim.generate('example.com');
    // The envelope sender (bounces) is at one sending domain, the From: at another: DMARC
    // aligns with the From: domain, so that is the key that must sign.
    const out = await swaks(r, {
      from: 'bounces@example.com',
      to: 'customer@example.org',
      extra: ['--header', 'From: Brand Shop <news@brand.example>', '--header', 'Subject: Aligned'],
    });
    expect(out).toMatch(/<- {2}250 2\.0\.0 Ok: queued as/);
    await settled(r, ['delivered']);
    const data = sink?.messages[0]?.data as Buffer;
    const results = await verifyDkim(data, { [rec.name]: rec.value });
    expect(results.map((v) => [v.domain, v.ok])).toEqual([['brand.example', true]]);
  });
});
