import { describe, expect, it } from 'vitest';
import {
  classifyReply,
  classifyTransportError,
  parseReplyText,
  type Stage,
} from '../../src/main/delivery/classify-response.ts';
import { RESPONSE_RULES } from '../../src/main/delivery/response-rules.ts';
import { DELIVERY_CATEGORIES } from '../../src/shared/domain/delivery.ts';

// Replies as servers send them (multi-line replies joined with \n, as nodemailer does).
const GMAIL_NO_SUCH_USER = [
  '550-5.1.1 The email account that you tried to reach does not exist. Please try',
  "550-5.1.1 double-checking the recipient's email address for typos or",
  '550-5.1.1 unnecessary spaces. For more information, go to',
  '550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d2e1a72fcca58-7 - gsmtp',
].join('\n');
const GMAIL_OVER_QUOTA = [
  '452-4.2.2 The email account that you tried to reach is over quota. Please direct',
  '452-4.2.2 the recipient to',
  '452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp 5b1f17b1804b1-4 - gsmtp',
].join('\n');
const GMAIL_RATE = [
  '421-4.7.28 [192.0.2.10      15] Our system has detected an unusual rate of',
  '421-4.7.28 unsolicited mail originating from your IP address. To protect our',
  '421-4.7.28 users from spam, mail sent from your IP address has been temporarily',
  '421-4.7.28 rate limited. Please visit',
  '421-4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError to',
  '421 4.7.28 review our Bulk Email Senders Guidelines. a1si - gsmtp',
].join('\n');
const GMAIL_DMARC = [
  "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's",
  '550-5.7.26 DMARC policy. Please contact the administrator of example.com domain if',
  '550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go to',
  '550 5.7.26  https://support.google.com/mail/?p=DmarcRejection 7si - gsmtp',
].join('\n');

type Case = [
  label: string,
  code: number,
  text: string,
  stage: Stage,
  action: string,
  category: string,
  enhanced: string | null,
];

const CASES: Case[] = [
  ['Gmail no such user', 550, GMAIL_NO_SUCH_USER, 'rcpt', 'bounce', 'recipient', '5.1.1'],
  [
    'Postfix unknown user',
    550,
    '5.1.1 <x@example.com>: Recipient address rejected: User unknown',
    'rcpt',
    'bounce',
    'recipient',
    '5.1.1',
  ],
  ['Gmail over quota', 452, GMAIL_OVER_QUOTA, 'rcpt', 'defer', 'mailbox-full', '4.2.2'],
  ['mailbox full', 552, '5.2.2 Mailbox full', 'message', 'bounce', 'mailbox-full', '5.2.2'],
  ['Gmail unusual rate', 421, GMAIL_RATE, 'message', 'defer', 'rate-limit', '4.7.28'],
  ['too many messages', 450, '4.7.1 Error: too many messages in one session', 'rcpt', 'defer', 'rate-limit', '4.7.1'],
  ['try again later', 421, '4.7.0 Try again later, closing connection. (EHLO)', 'ehlo', 'defer', 'protocol', '4.7.0'],
  ['try again later at MAIL', 421, '4.7.0 Try again later, closing connection.', 'mail', 'defer', 'unknown', '4.7.0'],
  [
    'Spamhaus',
    550,
    '5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10',
    'rcpt',
    'bounce',
    'reputation',
    '5.7.1',
  ],
  [
    'Outlook block list',
    550,
    "5.7.1 Unfortunately, messages from [1.2.3.4] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    'mail',
    'bounce',
    'reputation',
    '5.7.1',
  ],
  [
    'Yahoo TSS04',
    421,
    '4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    'mail',
    'defer',
    'reputation',
    '4.7.0',
  ],
  ['Gmail DMARC', 550, GMAIL_DMARC, 'message', 'bounce', 'policy', '5.7.26'],
  [
    'Yahoo policy',
    554,
    '5.7.9 Message not accepted for policy reasons.  See https://help.yahoo.com/kb/postmaster/SLN7253.html',
    'message',
    'bounce',
    'policy',
    '5.7.9',
  ],
  [
    'Gmail bad password',
    535,
    '5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp',
    'auth',
    'defer',
    'auth',
    '5.7.8',
  ],
  ['STARTTLS first (auth)', 530, '5.7.0 Must issue a STARTTLS command first. - gsmtp', 'auth', 'defer', 'tls', '5.7.0'],
  ['STARTTLS first (mail)', 530, '5.7.0 Must issue a STARTTLS command first', 'mail', 'defer', 'tls', '5.7.0'],
  [
    'Outlook no such user',
    550,
    '5.4.1 Recipient address rejected: Access denied. AS(201806281) [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    'rcpt',
    'bounce',
    'recipient',
    '5.4.1',
  ],
  ['bad address syntax', 553, '5.1.3 bad address syntax', 'rcpt', 'bounce', 'recipient', '5.1.3'],
  ['mailbox disabled', 550, '5.2.1 mailbox disabled', 'rcpt', 'bounce', 'recipient', '5.2.1'],
  ['message too big', 552, '5.3.4 Message size exceeds fixed limit', 'message', 'bounce', 'content', '5.3.4'],
  ['content', 554, '5.6.0 Message contains invalid header', 'message', 'bounce', 'content', '5.6.0'],
  [
    'sender domain not found',
    450,
    '4.1.8 <bounce@nowhere.example>: Sender address rejected: Domain not found',
    'rcpt',
    'defer',
    'dns',
    '4.1.8',
  ],
  ['temporary local problem', 451, '4.3.0 temporary local problem', 'message', 'defer', 'unknown', '4.3.0'],
  ['bad sequence', 503, '5.5.1 bad sequence of commands', 'rcpt', 'bounce', 'protocol', '5.5.1'],
  ['bad sequence at EHLO', 503, '5.5.1 bad sequence of commands', 'ehlo', 'defer', 'protocol', '5.5.1'],
  [
    'EHLO name refused',
    550,
    'Access denied - Invalid HELO name (See RFC2821 4.1.1.1)',
    'ehlo',
    'defer',
    'protocol',
    null,
  ],
  [
    'greylisted',
    450,
    '4.2.0 <x@example.org>: Recipient address rejected: Greylisted, see http://postgrey',
    'rcpt',
    'defer',
    'policy',
    '4.2.0',
  ],
  [
    'Gmail daily sending limit',
    550,
    '5.4.5 Daily user sending limit exceeded.',
    'mail',
    'bounce',
    'rate-limit',
    '5.4.5',
  ],
  ['too many recipients', 452, '4.5.3 Error: too many recipients', 'rcpt', 'defer', 'protocol', '4.5.3'],
  ['no enhanced code', 550, 'Requested action not taken: mailbox unavailable', 'rcpt', 'bounce', 'recipient', null],
  ['no enhanced code, no such user', 550, 'No such user here', 'rcpt', 'bounce', 'recipient', null],
  ['accepted', 250, '2.0.0 OK  1700000000 a1si - gsmtp', 'message', 'delivered', 'unknown', '2.0.0'],
];

describe('classifyReply on real replies', () => {
  for (const [label, code, text, stage, action, category, enhanced] of CASES) {
    it(`${label}: ${code} at ${stage} -> ${action}/${category}`, () => {
      const got = classifyReply({ code, text, stage });
      expect({ action: got.action, category: got.category, enhanced: got.enhanced }).toEqual({
        action,
        category,
        enhanced,
      });
      expect(RESPONSE_RULES.map((r) => r.id).concat(['accepted'])).toContain(got.rule);
    });
  }

  it('also reads the reply with its code prefix on a single line', () => {
    const got = classifyReply({
      code: 550,
      text: '550 5.1.1 <x@example.com>: Recipient address rejected: User unknown',
      stage: 'rcpt',
    });
    expect(got).toMatchObject({ action: 'bounce', category: 'recipient', enhanced: '5.1.1', rule: 'recipient-code' });
  });

  it('names the rule that decided', () => {
    expect(classifyReply({ code: 550, text: GMAIL_NO_SUCH_USER, stage: 'rcpt' }).rule).toBe('recipient-code');
    expect(
      classifyReply({ code: 421, text: '4.7.0 [TSS04] Messages from x temporarily deferred', stage: 'mail' }).rule,
    ).toBe('yahoo-reputation');
  });
});

describe('classifyReply policy', () => {
  const stages: Stage[] = ['connect', 'greeting', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'message'];

  it('2xx is delivered, 4xx always deferred, at every stage', () => {
    for (const stage of stages) {
      expect(classifyReply({ code: 250, text: 'OK', stage }).action).toBe('delivered');
      for (const [code, text] of [
        [421, 'Service not available'],
        [450, '4.1.1 no such user'],
        [452, '4.2.2 over quota'],
        [451, '4.7.1 blocked using zen.spamhaus.org'],
      ] as const) {
        expect(classifyReply({ code, text, stage }).action).toBe('defer');
      }
    }
  });

  it('5xx bounces for recipient, mailbox, policy, reputation and content reasons', () => {
    for (const stage of ['mail', 'rcpt', 'data', 'message'] as Stage[]) {
      expect(classifyReply({ code: 550, text: '5.1.1 no such user', stage }).action).toBe('bounce');
      expect(classifyReply({ code: 550, text: '5.7.1 blocked using zen.spamhaus.org', stage }).action).toBe('bounce');
      expect(classifyReply({ code: 554, text: '5.7.9 Message not accepted for policy reasons', stage }).action).toBe(
        'bounce',
      );
    }
  });

  it('5xx at AUTH is deferred (the route pauses on auth), whatever the words', () => {
    for (const code of [530, 534, 535, 538, 550, 554]) {
      const got = classifyReply({ code, text: '5.7.0 go away', stage: 'auth' });
      expect(got.action).toBe('defer');
      expect(got.category).toBe('auth');
    }
  });

  it('5xx about our session (TLS, EHLO) is deferred; about our reputation at the greeting it bounces', () => {
    expect(classifyReply({ code: 554, text: '5.7.3 TLS negotiation failed', stage: 'starttls' })).toMatchObject({
      action: 'defer',
      category: 'tls',
    });
    expect(classifyReply({ code: 501, text: '5.5.4 Invalid EHLO hostname', stage: 'ehlo' })).toMatchObject({
      action: 'defer',
      category: 'protocol',
    });
    expect(
      classifyReply({ code: 554, text: '5.7.1 Client host [x] blocked using zen.spamhaus.org', stage: 'greeting' }),
    ).toMatchObject({ action: 'bounce', category: 'reputation' });
  });

  it('uses a given enhanced code, and ignores one whose class does not match the reply', () => {
    expect(classifyReply({ code: 550, enhanced: '5.1.1', text: 'whatever', stage: 'rcpt' })).toMatchObject({
      category: 'recipient',
      enhanced: '5.1.1',
    });
    expect(classifyReply({ code: 550, text: '4.2.2 over quota', stage: 'rcpt' }).enhanced).toBeNull();
  });

  it('treats codes that are not a final answer as a protocol problem to retry', () => {
    expect(classifyReply({ code: 354, text: 'go ahead', stage: 'message' })).toMatchObject({
      action: 'defer',
      category: 'protocol',
    });
    expect(classifyReply({ code: 999, text: '', stage: 'rcpt' }).action).toBe('defer');
  });

  it('rules are data: unique ids, known categories, a catch-all last', () => {
    const ids = RESPONSE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RESPONSE_RULES) expect(DELIVERY_CATEGORIES).toContain(r.category);
    expect(RESPONSE_RULES.at(-1)?.when).toEqual({});
  });
});

describe('parseReplyText', () => {
  it('strips multi-line prefixes and finds the enhanced code', () => {
    const p = parseReplyText(550, GMAIL_NO_SUCH_USER);
    expect(p.enhanced).toBe('5.1.1');
    expect(p.words).toMatch(/^The email account that you tried to reach does not exist\. Please try double-checking/);
    expect(p.words).not.toMatch(/550|5\.1\.1/);
  });

  it('handles plain words and a code at the start of the text', () => {
    expect(parseReplyText(250, 'OK')).toEqual({ enhanced: null, words: 'OK' });
    expect(parseReplyText(552, '552 5.3.4 Message size exceeds fixed limit')).toEqual({
      enhanced: '5.3.4',
      words: 'Message size exceeds fixed limit',
    });
  });
});

describe('classifyTransportError', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 192.0.2.1:25' }, 'connect', 'network', /refused/],
    [{ code: 'ESOCKET', message: 'connect ECONNREFUSED 192.0.2.1:25' }, 'connect', 'network', /refused/],
    [{ code: 'ESOCKET', originalCode: 'ECONNRESET', message: 'read ECONNRESET' }, 'rcpt', 'network', /cut/],
    [{ code: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH' }, 'connect', 'network', /no network route/],
    [{ code: 'ETIMEDOUT', message: 'Timeout' }, 'greeting', 'network', /did not answer in time/],
    [{ code: 'ETIMEDOUT', message: 'Connection timeout' }, 'connect', 'network', /port 25/],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND mx.nowhere.example' }, 'connect', 'dns', /DNS/],
    [{ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN mx.example.com' }, 'connect', 'dns', /for now/],
    [{ code: 'EDNS', message: 'queryA ENOTFOUND x' }, 'connect', 'dns', /DNS/],
    [
      {
        code: 'ESOCKET',
        message: "Hostname/IP does not match certificate's altnames: Host: a. is not in the cert's altnames",
      },
      'starttls',
      'tls',
      /certificate/,
    ],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'altnames mismatch' }, 'connect', 'tls', /certificate/],
    [{ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'connect', 'tls', /certificate/],
    [
      { code: 'ESOCKET', message: 'C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number' },
      'connect',
      'tls',
      /encrypted connection/,
    ],
    [{ code: 'ETLS', message: 'Error initiating TLS - socket hang up' }, 'starttls', 'tls', /STARTTLS/],
    [{ code: 'EPROTOCOL', message: 'Invalid greeting. response=hello' }, 'greeting', 'protocol', /not valid SMTP/],
    [{ message: 'something odd' }, 'data', 'network', /something odd/],
  ] as const)('%o at %s -> %s', (err, stage, category, reason) => {
    const got = classifyTransportError(err, stage);
    expect(got.action).toBe('defer');
    expect(got.category).toBe(category);
    expect(got.reason).toMatch(reason);
    expect(got.reason).toMatch(/^[A-Z].*\.$/);
    expect(got.reason).not.toMatch(/[\r\n]/);
  });
});
