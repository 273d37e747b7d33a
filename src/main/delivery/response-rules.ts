import type { DeliveryCategory } from '../../shared/domain/delivery.ts';
import type { Stage } from './classify-response.ts';

// What an SMTP refusal means, as data. The classifier walks this list in order and
// the FIRST rule whose every condition holds decides the category; its id goes into
// the delivery log so anyone can see why a reply was filed the way it was.
// Whether the message is retried or returned is NOT decided here: that is the fixed
// policy in classify-response.ts (4xx defer, 5xx bounce, with the stated exceptions).
//
// Order matters:
//   1. the stage or reply code alone says it is about us (TLS, login);
//   2. specific enhanced status codes (RFC 3463 / RFC 5248 / IANA registry) — the
//      server's own classification, more reliable than words — except the generic
//      ones (X.0.0, X.7.0, X.7.1, X.3.0 …) that servers use for everything;
//   3. words in the reply text (block lists, DMARC, rate limits …);
//   4. fallbacks by stage, enhanced code class and reply code.
//
// Enhanced codes are matched WITHOUT their class digit: `enhanced: /^1\.1$/` matches
// both 4.1.1 and 5.1.1. Text is matched against the reply with its "550-5.1.1 "
// line prefixes removed and lines joined by single spaces.

export interface ResponseRule {
  /** Stable id, written to the delivery log. */
  id: string;
  category: DeliveryCategory;
  /** Every condition given must hold. A rule with none matches everything. */
  when: {
    stages?: readonly Stage[];
    /** First digit of the reply code. */
    classes?: readonly (2 | 4 | 5)[];
    codes?: readonly number[];
    /** Tested against "subject.detail" of the enhanced code; fails when there is none. */
    enhanced?: RegExp;
    text?: RegExp;
  };
}

const SESSION_STAGES: readonly Stage[] = ['connect', 'greeting', 'ehlo', 'starttls'];

export const RESPONSE_RULES: readonly ResponseRule[] = [
  // --- 1. About us: TLS and login ------------------------------------------------
  // Any reply to STARTTLS is about TLS.
  { id: 'starttls-refused', category: 'tls', when: { stages: ['starttls'] } },
  // "530 5.7.0 Must issue a STARTTLS command first" (Gmail, Postfix), also when it
  // comes back to AUTH or MAIL: TLS was required and we did not use it.
  {
    id: 'tls-required',
    category: 'tls',
    when: {
      text: /must issue a STARTTLS|STARTTLS (command )?(is )?required|(TLS|encryption|secure connection) (is )?(required|needed)|requires? (a )?(TLS|secure|encrypted) connection/i,
    },
  },
  // X.7.10 encryption needed, X.7.11 encryption required for the mechanism, X.7.30 REQUIRETLS.
  { id: 'tls-required-code', category: 'tls', when: { enhanced: /^7\.(10|11|30)$/ } },
  // Everything the server says to AUTH is about our login ("535 5.7.8 Username and
  // Password not accepted", "454 4.7.0 Too many login attempts").
  { id: 'auth-refused', category: 'auth', when: { stages: ['auth'] } },
  // 530 authentication required, 534 mechanism too weak / web login required,
  // 535 credentials invalid, 538 encryption required for the mechanism (RFC 4954).
  { id: 'auth-reply-code', category: 'auth', when: { codes: [530, 534, 535, 538] } },
  // X.7.8 credentials invalid, X.7.12 password transition, X.7.13 account disabled,
  // X.7.14 trust relationship required (RFC 4954/5248); Microsoft 365: X.7.57 client
  // not authenticated to send mail, X.7.139 authentication unsuccessful.
  { id: 'auth-code', category: 'auth', when: { enhanced: /^7\.(8|12|13|14|57|139)$/ } },

  // --- 2. Specific enhanced status codes -------------------------------------------
  // Gmail "450-4.2.1 The user you are trying to contact is receiving mail at a rate
  // that prevents additional messages from being delivered": X.2.1 would say
  // "mailbox disabled", the words say the recipient's inbound rate.
  { id: 'recipient-receiving-rate', category: 'rate-limit', when: { enhanced: /^2\.1$/, text: /\brate\b/i } },
  // X.1.1 no such mailbox, X.1.2 no such domain, X.1.3 bad syntax, X.1.4 ambiguous,
  // X.1.6 moved, X.1.10 null MX (RFC 7505), X.2.1 disabled, X.7.17/18 owner changed.
  { id: 'recipient-code', category: 'recipient', when: { enhanced: /^(1\.(1|2|3|4|6|10)|2\.1|7\.1[78])$/ } },
  // Outlook.com / Exchange Online answer an unknown recipient with
  // "550 5.4.1 Recipient address rejected: Access denied" (directory-based edge blocking).
  {
    id: 'recipient-outlook-access-denied',
    category: 'recipient',
    when: { enhanced: /^4\.1$/, text: /recipient address rejected|access denied/i },
  },
  { id: 'mailbox-full-code', category: 'mailbox-full', when: { enhanced: /^2\.2$/ } },
  // X.2.3 message length exceeds limit, X.3.4 too big for system, X.6.x media/content,
  // X.7.16 too big for the requested priority.
  { id: 'content-code', category: 'content', when: { enhanced: /^(2\.3|3\.4|6\.\d{1,3}|7\.16)$/ } },
  // X.4.5 system congestion (Gmail: "550 5.4.5 Daily user sending quota exceeded"),
  // X.7.28 mail flood detected (Gmail: "421-4.7.28 … unusual rate of unsolicited mail").
  { id: 'rate-limit-code', category: 'rate-limit', when: { enhanced: /^(4\.5|7\.28)$/ } },
  // X.5.3 too many recipients for one transaction: send the rest in another one.
  { id: 'too-many-recipients', category: 'protocol', when: { enhanced: /^5\.3$/ } },
  // X.5.x protocol errors, X.4.6 routing loop, X.1.7 bad sender address syntax, X.3.3 feature not supported.
  { id: 'protocol-code', category: 'protocol', when: { enhanced: /^(5\.\d{1,3}|4\.6|1\.7|3\.3)$/ } },
  // X.7.20–24 no/invalid DKIM, SPF failed, X.7.26 several authentication checks
  // failed (Gmail: "550-5.7.26 … domain's DMARC policy"), X.7.29 ARC failed.
  { id: 'sender-authentication-code', category: 'policy', when: { enhanced: /^7\.(2[0-4]|26|29)$/ } },
  // X.1.8 sender domain does not resolve, X.4.3 directory (DNS) failure, X.4.4 unable
  // to route (no MX/A), X.7.25 reverse DNS (PTR) check failed, X.7.27 sender domain has null MX.
  { id: 'dns-code', category: 'dns', when: { enhanced: /^(1\.8|4\.3|4\.4|7\.2[57])$/ } },
  // X.4.1 no answer from host, X.4.2 bad connection, X.4.7 delivery time expired
  // (a relay further along reporting its own trouble).
  { id: 'network-code', category: 'network', when: { enhanced: /^4\.[127]$/ } },

  // --- 3. Words ----------------------------------------------------------------------
  // Yahoo/AOL "[TSS04] Messages from x temporarily deferred due to unexpected volume
  // or user complaints", "[TS03] … permanently deferred". Filed as reputation, not
  // rate-limit: Yahoo's postmaster pages tie these codes to complaint rates and
  // sender reputation, so sending slower alone does not clear them; the person has
  // to look at list quality and complaints. Comes before the "volume" rule below.
  { id: 'yahoo-reputation', category: 'reputation', when: { text: /\[TSS?\d{2}\]/i } },
  // DNS block lists: "Client host [x] blocked using zen.spamhaus.org", Outlook
  // "weren't sent … on our block list (S3150)", Microsoft "banned sending IP".
  {
    id: 'block-list',
    category: 'reputation',
    when: {
      text: /block ?list|black ?list|deny ?list|blocked using|spamhaus|spamcop|barracuda|sorbs|\bdnsbl\b|\brbl\b|listed (at|on|in|by)|\(S3150\)|\(S3140\)|banned send(ing|er)|traffic not accepted from this IP/i,
    },
  },
  // Gmail "421-4.7.0 … suspicious due to the very low reputation of the sending IP address".
  { id: 'reputation', category: 'reputation', when: { text: /reputation/i } },
  // DMARC, SPF, DKIM refusals in words ("Unauthenticated email from x is not accepted
  // due to domain's DMARC policy", Gmail "fails to pass authentication checks").
  {
    id: 'sender-authentication',
    category: 'policy',
    when: {
      text: /\bDMARC\b|\bSPF\b|\bDKIM\b|sender policy framework|unauthenticated (e-?mail|mail|message)|pass authentication|authentication (information|checks)/i,
    },
  },
  // Gmail "550-5.7.25 … does not have a PTR record setup".
  { id: 'reverse-dns', category: 'dns', when: { text: /\bPTR\b|reverse DNS|rDNS|reverse (lookup|hostname)/i } },
  // A login problem reported outside AUTH ("Authentication required", "530 5.7.57 Client not authenticated").
  {
    id: 'auth-words',
    category: 'auth',
    when: {
      text: /authentication (is )?required|not authenticated|must (first )?authenticate|authentication (failed|unsuccessful)|username and password not accepted|invalid (login|credentials)|SmtpClientAuthentication/i,
    },
  },
  // Greylisting: a receiving-side policy that defers unknown senders once; just retry.
  { id: 'greylisted', category: 'policy', when: { text: /gr[ae]y-?list/i } },
  // Sending limits of the account at a provider ("Daily user sending quota exceeded").
  {
    id: 'sending-limit',
    category: 'rate-limit',
    when: { text: /sending (quota|limit)|daily (user )?(sending )?(quota|limit)|messages? limit (exceeded|reached)/i },
  },
  // "450 4.7.1 … too many messages", "421 Too many concurrent SMTP connections",
  // "unusual rate", "unexpected volume", "throttled", "server busy".
  {
    id: 'rate-limit-words',
    category: 'rate-limit',
    when: {
      text: /\brate\b|rate[- ]?limit|too many|\bvolume\b|throttl|slow down|mail flood|server (is )?(too )?busy/i,
    },
  },
  {
    id: 'mailbox-full-words',
    category: 'mailbox-full',
    when: {
      text: /mailbox (is )?full|over quota|quota (exceeded|full)|exceed(s|ed)? (the |its |their |his |her )?(mailbox |storage )?(quota|storage)|out of (storage|space)/i,
    },
  },
  {
    id: 'message-too-big',
    category: 'content',
    when: {
      text: /message (size )?(is )?too (big|large)|size exceeds|exceeds (the )?(fixed |maximum |max )?(message )?size|message size limit/i,
    },
  },
  {
    id: 'content-words',
    category: 'content',
    when: { text: /\bspam\b|unsolicited|\bvirus\b|malware|phishing|content (was )?(rejected|filtered)|suspicious/i },
  },
  {
    id: 'dns-words',
    category: 'dns',
    when: {
      text: /domain not found|host not found|name service error|\bNXDOMAIN\b|unresolvable|(could|can)( no|')?t resolve|cannot resolve|no (MX|A) record|DNS (lookup|error|failure|timeout|problem)|lookup fail/i,
    },
  },
  {
    id: 'recipient-words',
    category: 'recipient',
    when: {
      text: /no such (user|mailbox|recipient|address|account)|(user|recipient|mailbox) (unknown|not found)|unknown (user|recipient|mailbox|address)|(user|recipient|mailbox|address|account)( \S+)? (does not|doesn't|does no longer|no longer) exists?|invalid (recipient|mailbox)|recipient address rejected|mailbox (unavailable|disabled|not found)|account (is )?(disabled|inactive|suspended)/i,
    },
  },

  // --- 4. Fallbacks ------------------------------------------------------------------
  // Refusing our EHLO (usually our EHLO name) is about us.
  { id: 'ehlo-refused', category: 'protocol', when: { stages: ['ehlo'] } },
  // Other addressing/mailbox statuses during RCPT (5.1.0 "Address rejected", X.2.0, X.2.4).
  { id: 'recipient-code-class', category: 'recipient', when: { stages: ['rcpt'], enhanced: /^[12]\.\d{1,3}$/ } },
  // Permanent security/policy refusals without telling words (5.7.0, 5.7.1, 5.7.9 at
  // the final dot, Microsoft's 5.7.5xx/7xx). A temporary 4.7.x says too little to file
  // (throttling, greylisting, reputation all use it): it falls through to unknown.
  { id: 'policy-code-class', category: 'policy', when: { classes: [5], enhanced: /^7\.\d{1,3}$/ } },
  // Syntax errors and bad sequence without an enhanced code.
  { id: 'protocol-reply-code', category: 'protocol', when: { codes: [500, 501, 502, 503, 504, 555] } },
  // "550 Requested action not taken: mailbox unavailable", 551 user not local,
  // 553 mailbox name not allowed — answering RCPT.
  { id: 'recipient-reply-code', category: 'recipient', when: { stages: ['rcpt'], codes: [550, 551, 553] } },
  // Refused before the session got anywhere with no useful words.
  { id: 'session-refused', category: 'unknown', when: { stages: SESSION_STAGES } },
  { id: 'unrecognised', category: 'unknown', when: {} },
];
