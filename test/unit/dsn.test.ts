import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildDsn, type DsnInput, deriveStatus, quotedPrintable, utf8AddrXtext } from '../../src/main/bounce/dsn.ts';

// The report is checked with an independent parser: Python's email package.
const PARSE = `
import sys, json, email
from email import policy
raw = sys.stdin.buffer.read()
msg = email.message_from_bytes(raw)
parts = msg.get_payload()
text = parts[0].get_payload(decode=True).decode(parts[0].get_content_charset())
status = parts[1].get_payload()
strict = email.message_from_bytes(raw, policy=policy.default)
print(json.dumps({
  'contentType': msg.get_content_type(),
  'reportType': msg.get_param('report-type'),
  'headers': dict(msg.items()),
  'parts': [p.get_content_type() for p in parts],
  'text': text,
  'perMessage': dict(status[0].items()),
  'perRecipient': [dict(b.items()) for b in status[1:]],
  'originalHeaders': parts[2].get_payload(decode=True).decode('utf-8'),
  'defects': [type(d).__name__ for part in strict.walk() for d in part.defects],
}))
`;

interface Parsed {
  contentType: string;
  reportType: string;
  headers: Record<string, string>;
  parts: string[];
  text: string;
  perMessage: Record<string, string>;
  perRecipient: Record<string, string>[];
  originalHeaders: string;
  defects: string[];
}

function parse(raw: Buffer): Parsed {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', PARSE], { input: raw }).toString('utf8')) as Parsed;
}

const ORIGINAL_HEADERS = Buffer.from(
  [
    'Received: from [127.0.0.1] by mailroom.local with ESMTPSA id q1',
    'From: Shop <news@shop.example>',
    'To: alice@example.com, bob@example.net',
    'Subject: Spring sale starts today',
    'Message-ID: <orig-1@shop.example>',
    'Date: Tue, 01 Apr 2025 09:00:00 +0000',
    '',
    '',
  ].join('\r\n'),
);

const GMAIL_NO_SUCH_USER = [
  '550-5.1.1 The email account that you tried to reach does not exist. Please try',
  "550-5.1.1 double-checking the recipient's email address for typos or",
  '550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si - gsmtp',
].join('\n');

function input(over: Partial<DsnInput> = {}): DsnInput {
  return {
    reportingMta: 'mailroom.shop.example',
    fromDomain: 'shop.example',
    to: 'news@shop.example',
    originalEnvelopeId: 'QQ314159',
    arrivalDate: new Date('2025-04-01T09:00:01Z'),
    originalHeaders: ORIGINAL_HEADERS,
    originalMessageId: '<orig-1@shop.example>',
    originalSubject: 'Spring sale starts today',
    recipients: [
      {
        recipient: 'alice@example.com',
        status: '5.1.1',
        remoteMta: 'gmail-smtp-in.l.google.com',
        diagnostic: { code: 550, text: GMAIL_NO_SUCH_USER },
        lastAttemptDate: new Date('2025-04-01T09:00:05Z'),
        reason: 'The address does not exist at the receiving server.',
      },
      {
        recipient: 'bob@example.net',
        status: '',
        remoteMta: 'mx.example.net',
        diagnostic: { code: 552, text: '5.2.2 <bob@example.net>: Mailbox full' },
        lastAttemptDate: new Date('2025-04-06T09:00:00Z'),
        reason: 'The mailbox is full and stayed full until Mailroom gave up.',
      },
    ],
    now: new Date('2025-04-06T09:00:01Z'),
    messageId: 'dsn-1@mailroom.shop.example',
    ...over,
  };
}

function expectWireSafe(raw: Buffer): void {
  for (const b of raw) expect(b).toBeLessThan(128);
  const s = raw.toString('latin1');
  expect(s.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  expect(s.endsWith('\r\n')).toBe(true);
  for (const line of s.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
}

describe('buildDsn', () => {
  it('is a multipart/report that an independent parser reads field by field', () => {
    const raw = buildDsn(input());
    expectWireSafe(raw);
    const p = parse(raw);
    expect(p.defects).toEqual([]);
    expect(p.contentType).toBe('multipart/report');
    expect(p.reportType).toBe('delivery-status');
    expect(p.parts).toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);

    expect(p.headers.From).toBe('Mail Delivery System <MAILER-DAEMON@shop.example>');
    expect(p.headers.To).toBe('<news@shop.example>');
    expect(p.headers.Subject).toBe('Undelivered Mail Returned to Sender');
    expect(p.headers['Auto-Submitted']).toBe('auto-replied');
    expect(p.headers['MIME-Version']).toBe('1.0');
    expect(p.headers['Message-ID']).toBe('<dsn-1@mailroom.shop.example>');
    expect(p.headers.Date).toBe('Sun, 06 Apr 2025 09:00:01 +0000');
    expect(p.headers.References).toBe('<orig-1@shop.example>');

    expect(p.perMessage).toEqual({
      'Reporting-MTA': 'dns; mailroom.shop.example',
      'Original-Envelope-Id': 'QQ314159',
      'Arrival-Date': 'Tue, 01 Apr 2025 09:00:01 +0000',
    });
    expect(p.perRecipient).toHaveLength(2);
    const [a, b] = p.perRecipient as [Record<string, string>, Record<string, string>];
    expect(a['Final-Recipient']).toBe('rfc822; alice@example.com');
    expect(a.Action).toBe('failed');
    expect(a.Status).toBe('5.1.1');
    expect(a['Remote-MTA']).toBe('dns; gmail-smtp-in.l.google.com');
    expect(a['Diagnostic-Code']).toBe(
      "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser a1si - gsmtp",
    );
    expect(a['Last-Attempt-Date']).toBe('Tue, 01 Apr 2025 09:00:05 +0000');
    expect(b['Final-Recipient']).toBe('rfc822; bob@example.net');
    expect(b.Action).toBe('failed');
    expect(b.Status).toBe('5.2.2'); // derived from the reply
    expect(b['Remote-MTA']).toBe('dns; mx.example.net');
    expect(b['Diagnostic-Code']).toBe('smtp; 552 5.2.2 <bob@example.net>: Mailbox full');

    expect(p.originalHeaders).toContain('Subject: Spring sale starts today');
    expect(p.originalHeaders).toContain('Message-ID: <orig-1@shop.example>');
    expect(p.originalHeaders.endsWith('\r\n\r\n')).toBe(false);

    expect(p.text).toContain('Spring sale starts today');
    expect(p.text).toContain('alice@example.com');
    expect(p.text).toContain('The address does not exist at the receiving server.');
    expect(p.text).toContain('550 5.1.1  https://support.google.com/mail/?p=NoSuchUser');
    expect(p.text).toContain('The mailbox is full');
  });

  it('stays 7-bit with non-ASCII recipients, subject and original headers', () => {
    const headers = Buffer.from(
      `From: Café <news@shop.example>\r\nSubject: Soldes d’été — 30 %\r\nX-Long: ${'x'.repeat(1200)}\r\n\r\n`,
      'utf8',
    );
    const raw = buildDsn(
      input({
        to: 'josé@café.example',
        originalHeaders: headers,
        originalSubject: 'Soldes d’été — 30 %',
        originalEnvelopeId: null,
        recipients: [
          {
            recipient: 'müller@bücher.example',
            status: 'bogus',
            remoteMta: 'mx.bücher.example',
            diagnostic: { code: 550, text: `5.1.1 Unbekannter Empfänger\r\n${'y'.repeat(3000)}` },
            lastAttemptDate: new Date('2025-04-01T10:00:00Z'),
            reason: 'The address does not exist — “Empfänger unbekannt”.',
          },
          {
            recipient: 'carol@b\u00fccher.example',
            status: '',
            remoteMta: null,
            diagnostic: null,
            lastAttemptDate: new Date('2025-04-01T10:00:00Z'),
            reason: 'Could not connect.',
          },
        ],
      }),
    );
    expectWireSafe(raw);
    const p = parse(raw);
    expect(p.defects).toEqual([]);
    expect(p.perMessage['Original-Envelope-Id']).toBeUndefined();
    const [a, c] = p.perRecipient as [Record<string, string>, Record<string, string>];
    expect(a['Final-Recipient']).toBe('utf-8; m\\x{FC}ller@b\\x{FC}cher.example');
    expect(a.Status).toBe('5.1.1');
    expect(a['Remote-MTA']).toBe('dns; mx.xn--bcher-kva.example');
    expect(a['Diagnostic-Code']).toMatch(/^smtp; 550 5\.1\.1 Unbekannter Empf\?nger 550 y+\.\.\.$/);
    expect(a['Diagnostic-Code']?.length).toBeLessThan(1000);
    // ASCII local part: the domain goes to punycode and the type stays rfc822.
    expect(c['Final-Recipient']).toBe('rfc822; carol@xn--bcher-kva.example');
    expect(c.Status).toBe('5.0.0');
    expect(c['Remote-MTA']).toBeUndefined();
    expect(c['Diagnostic-Code']).toBeUndefined();
    expect(p.text).toContain('müller@bücher.example');
    expect(p.text).toContain('“Empfänger unbekannt”');
    expect(p.text).toContain('Soldes d’été — 30 %');
    expect(p.originalHeaders).toContain('Subject: Soldes d’été — 30 %');
    expect(p.originalHeaders).toContain('x'.repeat(1200));
    expect(p.headers.To).toMatch(/^=\?utf-8\?B\?/);
  });

  it("gives Remote-MTA as the DNS name alone; the address or port shows only in the people's part", () => {
    const raw = buildDsn(
      input({
        to: '"shop news"@shop.example',
        recipients: [
          {
            recipient: 'alice@example.com',
            status: '5.1.1',
            remoteMta: 'mx.example.com',
            remoteHost: 'mx.example.com[192.0.2.10]',
            diagnostic: { code: 550, text: '5.1.1 No such user' },
            lastAttemptDate: new Date('2025-04-01T09:00:05Z'),
            reason: 'The address does not exist.',
          },
          {
            recipient: '"a b"@example.net',
            status: '4.4.1',
            remoteMta: 'smtp.provider.example',
            remoteHost: 'smtp.provider.example:587',
            diagnostic: null,
            lastAttemptDate: new Date('2025-04-01T09:00:05Z'),
            reason: 'Gave up after 3 attempts over 12 minutes (the queue lifetime).',
          },
        ],
      }),
    );
    expectWireSafe(raw);
    const p = parse(raw);
    expect(p.defects).toEqual([]);
    const [a, b] = p.perRecipient as [Record<string, string>, Record<string, string>];
    expect(a['Remote-MTA']).toBe('dns; mx.example.com');
    expect(b['Remote-MTA']).toBe('dns; smtp.provider.example');
    expect(raw.toString()).not.toMatch(/^Remote-MTA:.*[[\]:]\d/m);
    // A quoted local part is plain ASCII: it stays rfc822, spaces and quotes as they are.
    expect(b['Final-Recipient']).toBe('rfc822; "a b"@example.net');
    expect(p.headers.To).toBe('<"shop news"@shop.example>');
    expect(p.text).toContain('The receiving server mx.example.com[192.0.2.10] replied:');
    expect(p.text).toContain('Receiving server: smtp.provider.example:587');
    expect(p.text).toContain('over 12 minutes');
  });

  it('is deterministic and refuses an empty recipient list or a bad Message-ID', () => {
    expect(buildDsn(input()).equals(buildDsn(input()))).toBe(true);
    expect(buildDsn(input({ messageId: '<dsn-1@mailroom.shop.example>' })).equals(buildDsn(input()))).toBe(true);
    expect(() => buildDsn(input({ recipients: [] }))).toThrow(/at least one recipient/);
    expect(() => buildDsn(input({ messageId: 'two words@x' }))).toThrow(/Message-ID/);
  });
});

describe('DSN helpers', () => {
  it('derives Status', () => {
    expect(deriveStatus('5.1.1', null)).toBe('5.1.1');
    expect(deriveStatus('', { code: 550, text: '550-5.7.26 DMARC\n550 5.7.26 x' })).toBe('5.7.26');
    expect(deriveStatus(undefined, { code: 554, text: 'Transaction failed' })).toBe('5.0.0');
    expect(deriveStatus('x', { code: 450, text: '4.2.0 Greylisted' })).toBe('4.2.0');
    expect(deriveStatus('', { code: 550, text: '4.2.0 mismatch' })).toBe('5.0.0');
    expect(deriveStatus(null, null)).toBe('5.0.0');
  });

  it('encodes RFC 6533 utf-8-addr-xtext', () => {
    expect(utf8AddrXtext('a+b=c\\d@é.example')).toBe('a\\x{2B}b\\x{3D}c\\x{5C}d@\\x{E9}.example');
    expect(utf8AddrXtext('用户@例子.example')).toBe('\\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.example');
  });

  it('quoted-printable keeps lines short and encodes trailing space', () => {
    const qp = quotedPrintable(`${'é'.repeat(60)}\nend \n`);
    for (const line of qp.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(qp).toContain('end=20');
    expect(qp).not.toMatch(/=[0-9A-F]?=\r\n/);
  });
});
