import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  inspectMessage,
  normaliseLineEndings,
  prepareForHop,
  readMessage,
} from '../../src/main/delivery/prepare-message.ts';

const OLD = { eightBitMime: false, smtpUtf8: false }; // a 7-bit-only hop
const MODERN = { eightBitMime: true, smtpUtf8: true };

interface ParsedPart {
  type: string;
  cte: string | null;
  payload: string | null; // base64 of the decoded body, null for containers
  preamble: string | null;
  epilogue: string | null;
  defects: string[];
}

// An independent reader: Python's email package. The message goes in on stdin.
const PY = `
import sys, json, base64, email, email.policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
out = []
for p in msg.walk():
    body = None if p.is_multipart() else p.get_payload(decode=True)
    out.append({'type': p.get_content_type(), 'cte': p.get('Content-Transfer-Encoding'),
                'payload': None if body is None else base64.b64encode(body).decode(),
                'preamble': p.preamble, 'epilogue': p.epilogue,
                'defects': [type(d).__name__ for d in p.defects]})
print(json.dumps(out))
`;
function parse(message: Buffer): ParsedPart[] {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: message });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as ParsedPart[];
}
const decoded = (p: ParsedPart | undefined) => Buffer.from(p?.payload ?? '', 'base64');
const msg = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8');

function prepared(input: Buffer, hop = OLD): Buffer {
  const r = prepareForHop(input, hop);
  if (!r.ok) throw new Error(r.reason);
  expect(r.converted).toBe(true);
  return r.message;
}
/** The promises every prepared message keeps: CRLF only, lines <= 998, 7-bit for an old hop. */
function expectValid(out: Buffer, sevenBit = true) {
  expect(normaliseLineEndings(out)).toBe(out);
  for (const line of out.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
  if (sevenBit) expect(out.every((b) => b < 0x80)).toBe(true);
}
/** Decoded leaf bodies must match what the reader got from the original. */
function expectSameContent(input: Buffer, out: Buffer) {
  const before = parse(input);
  const after = parse(out);
  expect(after.map((p) => p.type)).toEqual(before.map((p) => p.type));
  expect(after.map((p) => p.payload)).toEqual(before.map((p) => p.payload));
  expect(after.flatMap((p) => p.defects)).toEqual([]);
  return after;
}

const TEXT = 'Grüße aus Köln – ça va? 日本語\n-- \nJörg\n';

describe('normaliseLineEndings / inspectMessage', () => {
  it('returns the very same buffer when already CRLF, and fixes bare CR and LF', () => {
    const clean = Buffer.from('a\r\nb\r\n');
    expect(normaliseLineEndings(clean)).toBe(clean);
    expect(normaliseLineEndings(Buffer.from('a\nb\rc\r\r\nd')).toString()).toBe('a\r\nb\r\nc\r\n\r\nd');
  });

  it('reports 8-bit headers, 8-bit body and long lines', () => {
    expect(inspectMessage(msg('Subject: hi\n\nbody\n'))).toEqual({
      eightBit: false,
      eightBitHeaders: false,
      longLines: false,
    });
    expect(inspectMessage(msg('Subject: hé\n\nbody\n'))).toMatchObject({ eightBit: true, eightBitHeaders: true });
    expect(inspectMessage(msg('Subject: hi\n\nbödy\n'))).toMatchObject({ eightBit: true, eightBitHeaders: false });
    expect(inspectMessage(msg(`Subject: hi\n\n${'x'.repeat(998)}\n`)).longLines).toBe(false);
    expect(inspectMessage(msg(`Subject: hi\n\n${'x'.repeat(999)}\n`)).longLines).toBe(true);
  });
});

describe('inspectMessage / readMessage on random messages', () => {
  // What the functions promise, written plainly: a fixed-seed generator makes messages
  // with every kind of line end, long lines, 8-bit bytes in and out of the header.
  const reference = (buf: Buffer) => {
    const lines = buf.toString('latin1').split(/\r\n|\r|\n/);
    const blank = lines.indexOf('');
    const header = blank < 0 ? lines : lines.slice(0, blank);
    const high = (l: string) => /[\x80-\xff]/.test(l);
    return {
      eightBit: lines.some(high),
      eightBitHeaders: header.some(high),
      longLines: lines.some((l) => l.length > 998),
    };
  };
  it('agree with the plain definitions, with CRLF only and with bare line ends', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 400; round++) {
      const crlfOnly = round % 2 === 0;
      const ends = crlfOnly ? ['\r\n'] : ['\r\n', '\r', '\n'];
      let text = '';
      for (let i = rand(12); i > 0; i--) {
        const len = rand(5) === 0 ? 990 + rand(20) : rand(60);
        let line = 'x'.repeat(len);
        if (rand(6) === 0) line = `${line.slice(0, len >> 1)}\xe9${line.slice(len >> 1)}`;
        text += line + ends[rand(ends.length)];
      }
      const buf = Buffer.from(text, 'latin1');
      expect(inspectMessage(buf)).toEqual(reference(buf));
      const read = readMessage(buf);
      expect(read.bytes.toString('latin1')).toBe(text.replace(/\r\n|\r|\n/g, '\r\n'));
      expect(read.info).toEqual(reference(buf));
      if (crlfOnly) expect(read.bytes).toBe(buf);
    }
  });
});

describe('prepareForHop', () => {
  it('returns the same Buffer, unconverted, when the hop takes it as it is', () => {
    const input = msg(
      `Subject: hi\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${TEXT}`,
    );
    expect(prepareForHop(input, MODERN)).toEqual({ ok: true, message: input, converted: false });
    expect(prepareForHop(input, { eightBitMime: true, smtpUtf8: false }).ok && true).toBe(true);
    const ascii = msg('Subject: hi\n\nplain\n');
    const r = prepareForHop(ascii, OLD);
    expect(r.ok && r.message === ascii && !r.converted).toBe(true);
  });

  it('normalises bare LF input', () => {
    const input = Buffer.from('Subject: hi\nFrom: a@b.test\n\nline one\nline two\n');
    const r = prepareForHop(input, OLD);
    expect(r).toEqual({
      ok: true,
      message: msg('Subject: hi\nFrom: a@b.test\n\nline one\nline two\n'),
      converted: true,
    });
  });

  it('turns an 8-bit non-MIME message into a quoted-printable MIME one', () => {
    const input = msg(`From: a@b.test\nSubject: hi\n\n${TEXT}`);
    const out = prepared(input);
    expectValid(out);
    const head = out.toString('latin1').split('\r\n\r\n')[0];
    expect(head).toContain('MIME-Version: 1.0');
    expect(head).toContain('Content-Type: text/plain; charset=utf-8');
    expect(head).toContain('Content-Transfer-Encoding: quoted-printable');
    const [part] = parse(out);
    expect(part?.cte).toBe('quoted-printable');
    expect(decoded(part).equals(Buffer.from(TEXT.replace(/\n/g, '\r\n')))).toBe(true);
  });

  it('converts both halves of a multipart/alternative', () => {
    const input = msg(`From: a@b.test
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

${TEXT}
--alt
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<p>${TEXT}</p>
--alt--
`);
    const out = prepared(input);
    expectValid(out);
    const parts = expectSameContent(input, out);
    expect(parts.map((p) => p.cte)).toEqual([null, 'quoted-printable', 'quoted-printable']);
  });

  it('walks nested multiparts and leaves a base64 attachment byte for byte', () => {
    const attachment = `Content-Type: application/pdf; name="a.pdf"
Content-Disposition: attachment; filename="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl
Y29kZT4+CnN0cmVhbQp4nDPQM1Qo5ypUMFAwALJMLY31jBQsTAz1LBSKUrnCtRTyuQIBAP/fB/8K`;
    const input = msg(`From: a@b.test
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

${TEXT}
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<p>already =C3=A9ncoded</p>
--inner--

--outer
${attachment}
--outer--
`);
    const out = prepared(input);
    expectValid(out);
    expectSameContent(input, out);
    expect(out.includes(msg(`--outer\n${attachment}\n--outer--\n`))).toBe(true);
    expect(out.includes(msg('<p>already =C3=A9ncoded</p>\n--inner--'))).toBe(true);
  });

  it('re-encodes inside an attached message/rfc822 and relabels it 7bit', () => {
    const input = msg(`From: a@b.test
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

See the forwarded message.
--b
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

From: c@d.test
Subject: inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

${TEXT}
--b--
`);
    const out = prepared(input);
    expectValid(out);
    const parts = expectSameContent(input, out);
    expect(parts.map((p) => [p.type, p.cte])).toEqual([
      ['multipart/mixed', null],
      ['text/plain', null],
      ['message/rfc822', '7bit'],
      ['text/plain', 'quoted-printable'],
    ]);
  });

  it('refuses an attached message whose own headers are 8-bit when the hop lacks 8BITMIME', () => {
    const input = msg(`MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: message/rfc822

Subject: Grüße

body
--b--
`);
    const r = prepareForHop(input, OLD);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/attached message .*non-ASCII/);
    expect(prepareForHop(input, MODERN)).toMatchObject({ ok: true, converted: false });
  });

  it('fails on 8-bit headers without SMTPUTF8 and leaves them untouched with it', () => {
    const input = msg(`From: Jörg <j@b.test>\nSubject: Grüße\n\n${TEXT}`);
    for (const hop of [OLD, { eightBitMime: true, smtpUtf8: false }]) {
      const r = prepareForHop(input, hop);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(/non-ASCII characters in its headers.*SMTPUTF8/);
    }
    expect(prepareForHop(input, MODERN)).toEqual({ ok: true, message: input, converted: false });
    // SMTPUTF8 without 8BITMIME: the headers pass, the body is still made 7-bit.
    const out = prepared(input, { eightBitMime: false, smtpUtf8: true });
    const [head, ...rest] = out.toString('utf8').split('\r\n\r\n');
    expect(head).toContain('From: Jörg <j@b.test>\r\nSubject: Grüße\r\n');
    expect(Buffer.from(rest.join('\r\n\r\n'), 'utf8').every((b) => b < 0x80)).toBe(true);
  });

  it('re-encodes a 7bit body with a 2000-character line even for an 8BITMIME hop', () => {
    const long = `${'lorem ipsum dolor '.repeat(111)}end`.slice(0, 2000);
    const input = msg(
      `Subject: long\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nshort\n${long}\nbye\n`,
    );
    const out = prepared(input, MODERN);
    expectValid(out);
    const body = out.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    for (const line of body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    const [part] = expectSameContent(input, out);
    expect(part?.cte).toBe('quoted-printable');
    expect(decoded(part).toString()).toBe(`short\r\n${long}\r\nbye\r\n`);
  });

  it('folds an over-long header line at whitespace, and refuses one that cannot be folded', () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const input = msg(`Subject: ${words}\nFrom: a@b.test\n\nhi\n`);
    const out = prepared(input, MODERN);
    expectValid(out);
    expect(out.toString().replace(/\r\n(?=[ \t])/g, '')).toBe(input.toString());
    const r = prepareForHop(msg(`Subject: ${'x'.repeat(1200)}\n\nhi\n`), MODERN);
    expect(!r.ok && r.reason).toMatch(/header line longer than 998/);
  });

  it('turns Content-Transfer-Encoding: binary into base64', () => {
    const data = Buffer.concat([
      Buffer.from('%PDF-1.4\r\n'),
      Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]),
      Buffer.alloc(1500, 0x41),
    ]);
    const input = Buffer.concat([
      msg(
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: binary\n\n',
      ),
      data,
      msg('\n--b--\n'),
    ]);
    const out = prepared(input, MODERN);
    expectValid(out);
    const parts = expectSameContent(input, out);
    expect(parts[1]?.cte).toBe('base64');
    expect(decoded(parts[1]).equals(data)).toBe(true);
  });

  it('keeps preamble and epilogue, and handles a quoted boundary with special characters', () => {
    const boundary = '=_a+?(b) "c".*[x]';
    const input = msg(`MIME-Version: 1.0
Content-Type: multipart/mixed;
 boundary="=_a+?(b) \\"c\\".*[x]"

This is a multi-part message in MIME format.
--${boundary}x is not a delimiter
--${boundary}
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

${TEXT}
--${boundary}  
Content-Type: text/plain

plain ascii
--${boundary}--
epilogue line 1
epilogue line 2
`);
    const out = prepared(input);
    expectValid(out);
    const parts = expectSameContent(input, out);
    expect(parts[0]?.preamble).toBe(
      `This is a multi-part message in MIME format.\r\n--${boundary}x is not a delimiter`,
    );
    expect(parts[0]?.epilogue).toBe('epilogue line 1\r\nepilogue line 2\r\n');
    expect(parts.map((p) => p.cte)).toEqual([null, 'quoted-printable', null]);
    expect(
      out.includes(msg(`\n--${boundary}  \nContent-Type: text/plain\n\nplain ascii\n--${boundary}--\nepilogue line 1`)),
    ).toBe(true);
  });

  it('encodes a non-text 8-bit part as base64 and leaves 7-bit siblings alone', () => {
    const input = msg(`MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: application/json
Content-Transfer-Encoding: 8bit

{"name": "Zoë"}
--b--
`);
    const out = prepared(input);
    expectValid(out);
    expect(expectSameContent(input, out)[1]?.cte).toBe('base64');
  });
  it('base64-encodes a message/global whole when its 8-bit headers cannot be made 7-bit', () => {
    const input = msg(`MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: message/global

Subject: Grüße
From: jörg@b.test

${TEXT}
--b--
`);
    const out = prepared(input);
    expectValid(out);
    expect(out.toString()).toContain('Content-Type: message/global\r\nContent-Transfer-Encoding: base64\r\n');
  });

  it('re-wraps a single-line base64 attachment and drops an 8-bit preamble the hop cannot carry', () => {
    const data = Buffer.alloc(3000, 0xab);
    const input = msg(`MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

Vorspann für alte Programme
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

${data.toString('base64')}
--b--
`);
    const out = prepared(input);
    expectValid(out);
    const parts = parse(out);
    expect(parts[0]?.preamble ?? '').toBe('');
    expect(decoded(parts[1]).equals(data)).toBe(true);
  });
});
