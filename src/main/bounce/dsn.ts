import { createHash } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { MailroomError } from '../../shared/errors.ts';

// Builds the bounce report Mailroom sends back to the sender when it gives up on one
// or more recipients: an RFC 3464 delivery status notification inside an RFC 6522
// multipart/report. Three parts:
//   1. text/plain — what happened, in plain words, per recipient with the server's reply;
//   2. message/delivery-status — the same for mail programs (RFC 3464 fields);
//   3. text/rfc822-headers — the original message's header section.
// The result is CRLF-only, 7-bit only, with no line longer than 998 octets, so it can
// be sent to any server without SMTPUTF8 or 8BITMIME.

export interface DsnRecipient {
  recipient: string;
  /** Enhanced status code, e.g. "5.1.1". When missing or malformed it is derived from the diagnostic, else 5.0.0. */
  status: string;
  /**
   * DNS name of the server that refused (or last failed), when known: the name alone,
   * never with an address or a port (RFC 3464 §2.3.5 "dns; mx.example.net").
   */
  remoteMta: string | null;
  /** How the people's part shows that server, e.g. "mx.example.net[192.0.2.1]"; defaults to remoteMta. */
  remoteHost?: string | null;
  /** The server's reply, when there was one (text may be multi-line). */
  diagnostic: { code: number; text: string } | null;
  lastAttemptDate: Date;
  /** Why, in plain words (e.g. "The address does not exist."). */
  reason: string;
}

export interface DsnInput {
  /** Our host name (EHLO name), for Reporting-MTA. */
  reportingMta: string;
  /** The report comes from MAILER-DAEMON@fromDomain. */
  fromDomain: string;
  /** The original envelope sender, who receives the report. */
  to: string;
  /** ENVID from the original MAIL command, if any. */
  originalEnvelopeId: string | null;
  arrivalDate: Date;
  /** The original message's header section (up to, optionally including, the empty line). */
  originalHeaders: Buffer;
  originalMessageId: string | null;
  /** Decoded (human) subject of the original message. */
  originalSubject: string | null;
  recipients: DsnRecipient[];
  now: Date;
  /** Message-ID of the report, with or without the angle brackets (they are added). */
  messageId: string;
}

const CRLF = '\r\n';
/** Longest Diagnostic-Code value kept (the field stays on one line, well under 998 octets). */
const MAX_DIAGNOSTIC = 900;
/** Longest server reply quoted in the human-readable part. */
const MAX_REPLY_TEXT = 4000;

// --- Small encoders --------------------------------------------------------------------

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time in UTC: "Tue, 01 Jul 2025 12:00:00 +0000". */
export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** Printable ASCII only, on one line; anything else becomes "?" (or a space for line breaks/tabs). */
function asciiLine(s: string, max = Number.POSITIVE_INFINITY): string {
  let t = s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (t.length > max) t = `${t.slice(0, max - 3)}...`;
  return t;
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** A domain in its ASCII (punycode) form; falls back to a sanitised copy if it is not a valid name. */
function asciiDomain(domain: string): string {
  const d = domain.trim().replace(/\.$/, '');
  const a = domainToASCII(d);
  return a || asciiLine(d).replace(/[^A-Za-z0-9.[\]:-]/g, '-');
}

/** local@domain with the domain in punycode; the local part is left alone. */
function splitAddress(addr: string): { local: string; domain: string } {
  const at = addr.lastIndexOf('@');
  return at < 0 ? { local: addr, domain: '' } : { local: addr.slice(0, at), domain: addr.slice(at + 1) };
}

/**
 * RFC 6533 utf-8-addr-xtext: printable ASCII except "+", "=" and "\" as is; every
 * other character as \x{HEX} (upper-case hex, at least two digits, no leading zeros beyond).
 */
export function utf8AddrXtext(addr: string): string {
  let out = '';
  for (const ch of addr) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0x21 && cp <= 0x7e && ch !== '+' && ch !== '=' && ch !== '\\') out += ch;
    else out += `\\x{${cp.toString(16).toUpperCase().padStart(2, '0')}}`;
  }
  return out;
}

/**
 * True for an ASCII local part that can be written as is: an atom, or an RFC 5321
 * quoted string, which may hold spaces ("a b").
 */
function plainLocalPart(local: string): boolean {
  return /^[\x21-\x7e]+$/.test(local) || /^"[\x20-\x7e]*"$/.test(local);
}

/** Final-Recipient value: "rfc822; addr" for ASCII addresses, "utf-8; xtext" (RFC 6533) otherwise. */
function finalRecipient(addr: string): string {
  const { local, domain } = splitAddress(addr.trim());
  if (plainLocalPart(local)) {
    const ascii = domain ? asciiDomain(domain) : '';
    if (!domain) return `rfc822; ${local}`;
    if (/^[\x21-\x7e]+$/.test(ascii)) return `rfc822; ${local}@${ascii}`;
  }
  return `utf-8; ${utf8AddrXtext(addr.trim())}`;
}

/** RFC 2047 encoded words (base64), each short enough for a folded header line. */
function encodedWords(s: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of s) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?utf-8?B?${Buffer.from(w).toString('base64')}?=`).join(`${CRLF} `);
}

/** The To header for the original envelope sender, 7-bit. */
function toHeader(addr: string): string {
  const { local, domain } = splitAddress(addr.trim());
  if (plainLocalPart(local)) {
    const ascii = domain ? asciiDomain(domain) : '';
    if (!domain) return `<${local}>`;
    if (/^[\x21-\x7e]+$/.test(ascii)) return `<${local}@${ascii}>`;
  }
  // A non-ASCII local part cannot be written in a 7-bit header; the report is
  // delivered by its envelope anyway. Show it as an empty group named after it.
  return `${encodedWords(addr.trim())} :;`;
}

/**
 * Quoted-printable (RFC 2045) over bytes whose line breaks are CRLF: encoded lines of
 * at most 76 characters, trailing white space encoded, "=" and 8-bit bytes as =XX.
 */
export function quotedPrintableBytes(bytes: Buffer): string {
  const out: string[] = [];
  const encodeLine = (line: Buffer) => {
    let cur = '';
    for (let i = 0; i < line.length; i++) {
      const b = line[i] as number;
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && i < line.length - 1);
      const t = literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      if (cur.length + t.length > 75) {
        // Break after a space when there is one near the end: easier to read raw.
        const space = cur.lastIndexOf(' ');
        const cut = space > 40 ? space + 1 : cur.length;
        out.push(`${cur.slice(0, cut)}=`);
        cur = cur.slice(cut);
      }
      cur += t;
    }
    out.push(cur);
  };
  let start = 0;
  for (let i = 0; i < bytes.length - 1; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) {
      encodeLine(bytes.subarray(start, i));
      start = i + 2;
      i++;
    }
  }
  if (start < bytes.length) encodeLine(bytes.subarray(start));
  return out.join(CRLF);
}

/** Quoted-printable for text (UTF-8), any line ends. */
export function quotedPrintable(text: string): string {
  return quotedPrintableBytes(Buffer.from(text.replace(/\r\n|\r|\n/g, CRLF), 'utf8'));
}

/** True when text can go as 7bit: ASCII only, no line over 998 octets. */
function fits7bit(text: string): boolean {
  return isAscii(text) && !/[^\r\n]{999}/.test(text) && !/\x00/.test(text);
}

// --- Content -----------------------------------------------------------------------------

const STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})$/;
const ENHANCED_IN_TEXT = /^\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])|^([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;

/**
 * The Status value: the given one when well-formed; else the enhanced code in the
 * server's reply (if its class matches the reply code); else "<class>.0.0" from the
 * reply code; else 5.0.0.
 */
export function deriveStatus(
  status: string | null | undefined,
  diagnostic: { code: number; text: string } | null,
): string {
  const s = status?.trim() ?? '';
  const m = STATUS.exec(s);
  if (m) return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
  if (diagnostic) {
    const cls = String(Math.floor(diagnostic.code / 100));
    const e = ENHANCED_IN_TEXT.exec(diagnostic.text.trim());
    if (e) {
      const [c, sub, det] = e[1] ? [e[1], e[2], e[3]] : [e[4], e[5], e[6]];
      if (c === cls) return `${c}.${Number(sub)}.${Number(det)}`;
    }
    if (cls === '4' || cls === '5') return `${cls}.0.0`;
  }
  return '5.0.0';
}

/** The server's reply as lines, each starting with its code ("550-5.1.1 …", "550 5.1.1 …"). */
function replyLines(d: { code: number; text: string }): string[] {
  const lines = d.text
    .slice(0, MAX_REPLY_TEXT)
    .split(/\r\n|\r|\n/)
    .map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ' ').trim())
    .filter(Boolean);
  if (lines.length === 0) return [String(d.code)];
  return lines.map((l) => (/^\d{3}([ -]|$)/.test(l) ? l : `${d.code} ${l}`));
}

/** Diagnostic-Code value: "smtp; 550 5.1.1 …" on one line, 7-bit, capped. */
function diagnosticCode(d: { code: number; text: string }): string {
  return `smtp; ${asciiLine(replyLines(d).join(' '), MAX_DIAGNOSTIC)}`;
}

function dnsName(host: string): string {
  return asciiLine(asciiDomain(host), 255);
}

function humanPart(input: DsnInput): string {
  const n = input.recipients.length;
  const lines: string[] = [];
  lines.push(`This is the mail system at ${input.reportingMta}.`);
  lines.push('');
  lines.push(
    n === 1
      ? 'Your message could not be delivered to the recipient below. Delivery has stopped and the message will not be sent to this address.'
      : `Your message could not be delivered to the ${n} recipients below. Delivery has stopped and the message will not be sent to these addresses.`,
  );
  lines.push('');
  if (input.originalSubject !== null) lines.push(`  Subject: ${oneLineText(input.originalSubject)}`);
  if (input.originalMessageId !== null) lines.push(`  Message-ID: ${oneLineText(input.originalMessageId)}`);
  lines.push(`  Received for delivery: ${rfc5322Date(input.arrivalDate)}`);
  for (const r of input.recipients) {
    lines.push('');
    lines.push(oneLineText(r.recipient));
    lines.push(`  Why: ${oneLineText(r.reason)}`);
    const server = r.remoteHost || r.remoteMta;
    if (r.diagnostic) {
      lines.push(server ? `  The receiving server ${oneLineText(server)} replied:` : '  The receiving server replied:');
      for (const l of replyLines(r.diagnostic)) lines.push(`    ${l}`);
    } else if (server) {
      lines.push(`  Receiving server: ${oneLineText(server)}`);
    }
    lines.push(`  Last attempt: ${rfc5322Date(r.lastAttemptDate)}`);
  }
  lines.push('');
  lines.push('The headers of your original message are attached below.');
  return lines.join(CRLF) + CRLF;
}

function oneLineText(s: string): string {
  return s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\x00-\x1f\x7f]/g, '')
    .trim();
}

function statusPart(input: DsnInput): string {
  const blocks: string[][] = [];
  const perMessage = [`Reporting-MTA: dns; ${dnsName(input.reportingMta)}`];
  if (input.originalEnvelopeId !== null && input.originalEnvelopeId !== '') {
    perMessage.push(`Original-Envelope-Id: ${envelopeId(input.originalEnvelopeId)}`);
  }
  perMessage.push(`Arrival-Date: ${rfc5322Date(input.arrivalDate)}`);
  blocks.push(perMessage);
  for (const r of input.recipients) {
    const b = [
      `Final-Recipient: ${finalRecipient(r.recipient)}`,
      'Action: failed',
      `Status: ${deriveStatus(r.status, r.diagnostic)}`,
    ];
    if (r.remoteMta) b.push(`Remote-MTA: dns; ${dnsName(r.remoteMta)}`);
    if (r.diagnostic) b.push(`Diagnostic-Code: ${diagnosticCode(r.diagnostic)}`);
    b.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptDate)}`);
    blocks.push(b);
  }
  return blocks.map((b) => b.join(CRLF) + CRLF).join(CRLF);
}

/** ENVID as given (it is xtext already); anything outside printable ASCII is xtext-encoded (+HH). */
function envelopeId(id: string): string {
  let out = '';
  for (const b of Buffer.from(id, 'utf8')) {
    out += b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : `+${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.slice(0, 900);
}

/** The original header section with CRLF line ends and no trailing empty line. */
function headerSection(raw: Buffer): string {
  // latin1 keeps every byte as one character, so 8-bit bytes survive to the QP encoder.
  const text = raw.toString('latin1').replace(/\r\n|\r|\n/g, CRLF);
  const end = text.indexOf(CRLF + CRLF);
  const head = end >= 0 ? text.slice(0, end) : text.replace(/(\r\n)+$/, '');
  return head + CRLF;
}

function messageIdHeader(id: string): string {
  const bare = id.trim().replace(/^<|>$/g, '');
  if (!/^[\x21-\x3b\x3d\x3f-\x7e]+$/.test(bare) || bare.length > 900) {
    throw new MailroomError('VALIDATION', `"${asciiLine(id, 100)}" cannot be used as a Message-ID.`);
  }
  return `<${bare}>`;
}

function boundaryFor(input: DsnInput, parts: string[]): string {
  for (let i = 0; ; i++) {
    const h = createHash('sha256')
      .update(`${messageIdHeader(input.messageId)}\0${input.now.toISOString()}\0${i}`)
      .digest('hex');
    const boundary = `=_mailroom_report_${h.slice(0, 32)}`;
    if (!parts.some((p) => p.includes(boundary))) return boundary;
  }
}

/** Builds the report. Deterministic: the same input gives the same bytes. */
export function buildDsn(input: DsnInput): Buffer {
  if (input.recipients.length === 0) {
    throw new MailroomError('VALIDATION', 'A bounce report needs at least one recipient that failed.');
  }
  const text = humanPart(input);
  const textEncoded = fits7bit(text)
    ? { cte: '7bit', body: text }
    : { cte: 'quoted-printable', body: `${quotedPrintable(text)}${CRLF}` };
  const status = statusPart(input);
  const headers = headerSection(input.originalHeaders);
  const headersEncoded = fits7bit(headers)
    ? { cte: '7bit', body: headers }
    : { cte: 'quoted-printable', body: `${quotedPrintableBytes(Buffer.from(headers, 'latin1'))}${CRLF}` };

  const boundary = boundaryFor(input, [textEncoded.body, status, headersEncoded.body]);
  const from = `Mail Delivery System <MAILER-DAEMON@${asciiDomain(input.fromDomain)}>`;
  const top = [
    `From: ${from}`,
    `To: ${toHeader(input.to)}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: ${messageIdHeader(input.messageId)}`,
  ];
  if (input.originalMessageId) {
    const orig = input.originalMessageId.trim().replace(/^<|>$/g, '');
    if (/^[\x21-\x3b\x3d\x3f-\x7e]{1,900}$/.test(orig)) top.push(`References: <${orig}>`);
  }
  top.push(
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-replied',
    `Content-Type: multipart/report; report-type=delivery-status;${CRLF} boundary="${boundary}"`,
  );

  const out = [
    top.join(CRLF),
    '',
    'This is a MIME-encapsulated delivery status report.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${textEncoded.cte}`,
    'Content-Description: Notification',
    '',
    textEncoded.body,
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    'Content-Transfer-Encoding: 7bit',
    'Content-Description: Delivery report',
    '',
    status,
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    `Content-Transfer-Encoding: ${headersEncoded.cte}`,
    'Content-Description: Undelivered message headers',
    '',
    headersEncoded.body,
    `--${boundary}--`,
    '',
  ].join(CRLF);
  return Buffer.from(out, 'ascii');
}
