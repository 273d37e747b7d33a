import type { DeliveryCategory } from '../../shared/domain/delivery.ts';
import { RESPONSE_RULES, type ResponseRule } from './response-rules.ts';

// Turns what a receiving server (or the network) said into what the dispatcher does
// next. The action follows a fixed policy written out below; the category (why)
// comes from the ordered rule table in response-rules.ts.

/** Where in the SMTP session the reply came. 'message' is the reply to the final dot. */
export type Stage = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'message';

export type ReplyAction = 'delivered' | 'defer' | 'bounce';

export interface ReplyClassification {
  action: ReplyAction;
  category: DeliveryCategory;
  /** The enhanced status code (RFC 3463) as given or found in the text, e.g. "5.1.1". */
  enhanced: string | null;
  /** Id of the rule that decided the category (or the policy step), for the log. */
  rule: string;
}

export interface TransportClassification {
  action: 'defer';
  category: 'network' | 'tls' | 'dns' | 'protocol';
  /** A sentence for a person. */
  reason: string;
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
const LINE_PREFIX = /^\d{3}(?:[ -]|$)/;
/** Replies longer than this are only looked at up to here (rules run on every reply). */
const MAX_TEXT = 4000;

/**
 * Splits a reply into its enhanced status code and the words, whether it arrives as
 * the full multi-line reply ("550-5.1.1 The email account…\n550 5.1.1 …"), as the
 * text after the code ("5.1.1 <x>: Recipient address rejected") or as plain words.
 * An enhanced code whose class does not match the reply class is ignored (RFC 3463
 * requires them to agree; a mismatch means the text is not an enhanced code).
 */
export function parseReplyText(code: number, text: string): { enhanced: string | null; words: string } {
  const replyClass = String(Math.floor(code / 100));
  let enhanced: string | null = null;
  const words: string[] = [];
  for (const raw of text.slice(0, MAX_TEXT).split(/\r?\n|\r/)) {
    let line = raw.trim().replace(LINE_PREFIX, '').trim();
    const m = ENHANCED.exec(line);
    if (m) {
      if (enhanced === null && m[1] === replyClass) enhanced = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
      line = line.slice(m[0].length).trim();
    }
    if (line) words.push(line);
  }
  return { enhanced, words: words.join(' ').replace(/\s+/g, ' ') };
}

function normaliseEnhanced(code: number, given: string | null | undefined): string | null {
  if (!given) return null;
  const m = ENHANCED.exec(given.trim());
  if (!m || m[1] !== String(Math.floor(code / 100))) return null;
  return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
}

function ruleMatches(
  rule: ResponseRule,
  r: { code: number; stage: Stage },
  subjectDetail: string | null,
  words: string,
): boolean {
  const w = rule.when;
  if (w.stages && !w.stages.includes(r.stage)) return false;
  if (w.classes && !w.classes.includes(Math.floor(r.code / 100) as 2 | 4 | 5)) return false;
  if (w.codes && !w.codes.includes(r.code)) return false;
  if (w.enhanced && (subjectDetail === null || !w.enhanced.test(subjectDetail))) return false;
  if (w.text && !w.text.test(words)) return false;
  return true;
}

/** The first matching rule of the table (the last one matches everything). */
export function categorise(
  r: { code: number; stage: Stage },
  enhanced: string | null,
  words: string,
  rules: readonly ResponseRule[] = RESPONSE_RULES,
): { category: DeliveryCategory; rule: string } {
  const subjectDetail = enhanced ? enhanced.slice(2) : null;
  for (const rule of rules) {
    if (ruleMatches(rule, r, subjectDetail, words)) return { category: rule.category, rule: rule.id };
  }
  return { category: 'unknown', rule: 'unrecognised' };
}

/** Stages where a refusal is about our session (how we connect), not about the recipient. */
const SESSION_STAGES: ReadonlySet<Stage> = new Set(['connect', 'greeting', 'ehlo', 'starttls']);
const ABOUT_US: ReadonlySet<DeliveryCategory> = new Set(['auth', 'tls', 'protocol']);

/**
 * Classifies one SMTP reply. Fixed policy:
 *  - 2xx: delivered (category 'unknown': nothing went wrong; rule 'accepted');
 *  - 4xx: defer, always;
 *  - 5xx: bounce, except
 *      - at stage 'auth' (530/534/535/538 …): defer — our login is wrong; the
 *        dispatcher pauses the route on category 'auth';
 *      - category 'auth' or 'tls' at any stage ("530 5.7.0 Must issue a STARTTLS
 *        command first" to MAIL, "530 5.7.57 Client not authenticated"): defer —
 *        our set-up, not the recipient;
 *      - at connect/greeting/ehlo/starttls when the category is auth/tls/protocol
 *        (e.g. our EHLO name refused): defer;
 *  - any other code (1xx, 3xx, out of range) where a final answer was expected:
 *    defer, category 'protocol'.
 */
export function classifyReply(r: {
  code: number;
  enhanced?: string | null;
  text: string;
  stage: Stage;
}): ReplyClassification {
  const parsed = parseReplyText(r.code, r.text ?? '');
  const enhanced = normaliseEnhanced(r.code, r.enhanced) ?? parsed.enhanced;
  const replyClass = Math.floor(r.code / 100);
  if (!Number.isInteger(r.code) || r.code < 200 || r.code > 599 || replyClass === 3) {
    return { action: 'defer', category: 'protocol', enhanced, rule: 'unexpected-reply-code' };
  }
  if (replyClass === 2) return { action: 'delivered', category: 'unknown', enhanced, rule: 'accepted' };

  const { category, rule } = categorise(r, enhanced, parsed.words);
  if (replyClass === 4) return { action: 'defer', category, enhanced, rule };

  const aboutUs =
    r.stage === 'auth' ||
    category === 'auth' ||
    category === 'tls' ||
    (SESSION_STAGES.has(r.stage) && ABOUT_US.has(category));
  return { action: aboutUs ? 'defer' : 'bounce', category, enhanced, rule };
}

// --- Transport errors (no SMTP reply at all) -------------------------------------------

const STAGE_WORDS: Record<Stage, string> = {
  connect: 'while connecting',
  greeting: 'while waiting for its greeting',
  ehlo: 'after EHLO',
  starttls: 'during STARTTLS',
  auth: 'while logging in',
  mail: 'after MAIL FROM',
  rcpt: 'after RCPT TO',
  data: 'after DATA',
  message: 'after the message was sent',
};

// Wrapper codes nodemailer puts over the system error (which it keeps as originalCode).
const WRAPPERS = new Set(['ESOCKET', 'ECONNECTION']);

const TLS_CODE =
  /^(ETLS|ERR_TLS_\w+|ERR_SSL_\w+|CERT_\w+|UNABLE_TO_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL_\w+)$/;
const TLS_WORDS = /\b(tls|ssl|certificate|handshake|self[- ]signed|altnames|wrong version number)\b/i;

const SYSTEM_CODE_IN_MESSAGE =
  /\b(ECONNREFUSED|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|ENETDOWN|EHOSTDOWN|EADDRNOTAVAIL|ETIMEDOUT|ENOTFOUND|ENODATA|EAI_AGAIN|ESERVFAIL|ERR_[A-Z0-9_]+|CERT_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_[A-Z_]+)\b/;

function oneLine(s: string, max = 200): string {
  const t = s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * Classifies a failure without an SMTP reply (socket, DNS, TLS). Always defer: none
 * of these says anything about the recipient. Accepts nodemailer's errors as they
 * are: `code` may be its wrapper (ESOCKET, ECONNECTION) with the system error in
 * `originalCode` or only in the message ("connect ECONNREFUSED 192.0.2.1:25").
 */
export function classifyTransportError(
  err: { code?: string; originalCode?: string; message: string },
  stage: Stage,
): TransportClassification {
  const message = err.message ?? '';
  const fromMessage = SYSTEM_CODE_IN_MESSAGE.exec(message)?.[1];
  const candidates = [err.originalCode, err.code, fromMessage].filter((c): c is string => !!c);
  const code = candidates.find((c) => !WRAPPERS.has(c)) ?? candidates[0] ?? '';
  const where = STAGE_WORDS[stage];
  const detail = oneLine(message);

  if (TLS_CODE.test(code) || (WRAPPERS.has(code) && TLS_WORDS.test(message)) || stage === 'starttls') {
    if (
      /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|HOSTNAME/.test(code) ||
      /certificate|self[- ]signed|altnames/i.test(message)
    ) {
      return {
        action: 'defer',
        category: 'tls',
        reason: `The mail server's security certificate could not be trusted (${code || 'certificate error'}: ${detail}). Mailroom did not send anything over this connection.`,
      };
    }
    return {
      action: 'defer',
      category: 'tls',
      reason: `The encrypted connection to the mail server could not be set up ${where} (${code || 'TLS error'}: ${detail}).`,
    };
  }

  switch (code) {
    case 'ECONNREFUSED':
      return {
        action: 'defer',
        category: 'network',
        reason:
          'The mail server refused the connection: nothing is accepting mail on that port right now, or a firewall blocks it.',
      };
    case 'ECONNRESET':
    case 'EPIPE':
      return {
        action: 'defer',
        category: 'network',
        reason: `The mail server or the network cut the connection ${where} (${code}).`,
      };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
    case 'EADDRNOTAVAIL':
      return {
        action: 'defer',
        category: 'network',
        reason: `The mail server could not be reached: there is no network route to it from this computer (${code}). Check the internet connection.`,
      };
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
    case 'SOCKET_TIMEOUT':
      return {
        action: 'defer',
        category: 'network',
        reason:
          stage === 'connect'
            ? 'The mail server did not answer the connection in time. Many internet providers block outgoing port 25; a smarthost on port 587 avoids that.'
            : `The mail server did not answer in time ${where}.`,
      };
    case 'ENOTFOUND':
    case 'ENODATA':
    case 'EDNS':
      return {
        action: 'defer',
        category: 'dns',
        reason: `The mail server's name could not be found in DNS (${code}). Check the spelling of the domain or host name.`,
      };
    case 'EAI_AGAIN':
    case 'ESERVFAIL':
    case 'ETIMEOUT':
      return {
        action: 'defer',
        category: 'dns',
        reason: `Looking up the mail server's name in DNS failed for now (${code}); it will be tried again.`,
      };
    case 'EPROTOCOL':
      return {
        action: 'defer',
        category: 'protocol',
        reason: `The mail server answered ${where} with something that is not valid SMTP (${detail}).`,
      };
    case 'ECONNECTION':
      return {
        action: 'defer',
        category: 'network',
        reason: `The connection to the mail server closed unexpectedly ${where}.`,
      };
    default:
      return {
        action: 'defer',
        category: 'network',
        reason: `The connection to the mail server failed ${where}${code ? ` (${code})` : ''}: ${detail || 'no details'}.`,
      };
  }
}
