import { describe, expect, it } from 'vitest';
import { summariseHeaders } from '../../src/main/relay/headers.ts';
import { LineEndingNormaliser } from '../../src/main/relay/intake.ts';

function normaliseInChunks(input: string, size: number): string {
  const n = new LineEndingNormaliser();
  const bytes = Buffer.from(input, 'latin1');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(n.push(bytes.subarray(i, i + size)));
  out.push(n.end());
  return Buffer.concat(out).toString('latin1');
}

describe('line-ending normaliser', () => {
  const cases: [string, string][] = [
    ['a\r\nb\r\n', 'a\r\nb\r\n'],
    ['a\nb\n', 'a\r\nb\r\n'],
    ['a\rb\r', 'a\r\nb\r\n'],
    ['a\r\r\nb', 'a\r\n\r\nb'],
    ['a\n\rb', 'a\r\n\r\nb'],
    ['\r', '\r\n'],
    ['x\n.\ny', 'x\r\n.\r\ny'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)} whatever the chunking`, () => {
      for (const size of [1, 2, 3, 64]) expect(normaliseInChunks(input, size)).toBe(expected);
    });
  }
  it('matches the policy (every CR, LF or CRLF becomes one CRLF) on random text in random chunks', () => {
    // A fixed-seed generator, so a failure repeats.
    let seed = 13;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['\r\n', '\r\n', '\r', '\n', 'a', '.', ' ', '\xe9', 'word '];
    for (let round = 0; round < 300; round++) {
      let input = '';
      for (let i = rand(400); i > 0; i--) input += alphabet[rand(alphabet.length)];
      const expected = input.replace(/\r\n|\r|\n/g, '\r\n');
      for (const size of [1 + rand(7), 8 + rand(200), 4096]) expect(normaliseInChunks(input, size)).toBe(expected);
    }
  });
  it('hands chunks that are already CRLF back as they are (no copy)', () => {
    const n = new LineEndingNormaliser();
    const chunk = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    expect(n.push(chunk)).toBe(chunk);
  });
  it('flags NUL bytes', () => {
    const n = new LineEndingNormaliser();
    n.push(Buffer.from('ok'));
    expect(n.sawNul).toBe(false);
    n.push(Buffer.from([0x41, 0x00]));
    expect(n.sawNul).toBe(true);
  });
});

describe('header summary', () => {
  it('unfolds, decodes encoded words, and finds every From address', () => {
    const s = summariseHeaders(
      Buffer.from(
        'From: "Caf\u00e9" <owner@example.com>, other@Example.COM\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n  aus Berlin\r\nMessage-ID: <a@b>\r\n',
      ),
    );
    expect(s.fromAddresses).toEqual(['owner@example.com', 'other@example.com']);
    expect(s.subject).toBe('Grüße aus Berlin');
    expect(s.messageId).toBe('<a@b>');
    expect(s.hasDate).toBe(false);
    // Two authors and no Sender: RFC 5322 requires one, and readers show it.
    expect(s.malformed).toMatch(/names 2 addresses .* no Sender: header/);
  });

  it('reads Sender:, and accepts two authors when Sender: says who sent the message', () => {
    const s = summariseHeaders(
      Buffer.from('From: owner@example.com,\r\n  other@example.com\r\nSender: Owner <owner@example.com>\r\n'),
    );
    expect(s.malformed).toBeNull();
    expect(s.fromAddresses).toEqual(['owner@example.com', 'other@example.com']);
    expect(s.senderAddress).toBe('owner@example.com');
  });

  it('finds addresses written in names and comments, and reports a From: the strict reader refuses', () => {
    const s = summariseHeaders(Buffer.from('From: "x@Bank.example" <news@example.com> (or y@other.example)\r\n'));
    expect(s.malformed).toBeNull();
    expect(s.shownAddresses).toEqual(['x@bank.example', 'y@other.example']);
    const bad = summariseHeaders(Buffer.from('From: <news@example.com> x@bank.example\r\n'));
    expect(bad.malformed).toBe(
      'its From: header has a second address after news@example.com without a comma between them (x@bank.example). Write it as an address, or a name and an address in < >, such as: Shop <news@your-domain>',
    );
    expect(bad.fromAddresses).toEqual([]);
  });
});
