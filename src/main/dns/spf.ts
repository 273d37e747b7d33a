import net from 'node:net';
import type { DnsCheck, SendingRoute } from '../../shared/domain/dns.ts';
import { presetById } from '../../shared/domain/presets.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { DnsAnswer, DnsClient } from './dns-client.ts';

/**
 * SPF (RFC 7208) for the domain wizard: read a domain's SPF record, say in plain words
 * whether it lets the person's sending route send for the domain, and work out the one
 * record they should publish instead.
 *
 * Four layers, each usable on its own:
 * - parseSpf: the record's syntax (RFC 7208 §4.6.1, §12 ABNF), with a sentence naming
 *   the bad term, because receivers reject the whole record over a single bad term.
 * - checkHost: the receiver's algorithm (RFC 7208 §4), so "your record authorises this
 *   computer's IP" means what a receiving mail server would conclude. Compared against
 *   pyspf in test/integration/spf-pyspf.test.ts.
 * - countSpfLookups: a static count of the DNS lookups and void lookups the whole record
 *   can need (RFC 7208 §4.6.4), the limit people most often break without noticing.
 * - mergeSpf / mergeSpfRecords: add what the route needs without ever creating a second
 *   record (two records are a permanent error: receivers then ignore both, §4.5).
 * checkSpf puts them together into one DnsCheck.
 *
 * Macro support (RFC 7208 §7): every letter a domain-spec may use (s l o d i p v h) with
 * transformers (digits, r), delimiters, URL-escaping for upper-case letters and the %%
 * %_ %- escapes. Not supported: c, r and t, which only exist in explanation text, and
 * explanation text itself (exp= is syntax-checked but never fetched: it only changes
 * the wording of a rejection, never the result).
 *
 * Known limit: DnsClient.ptr (node's reverse lookup) reports a SERVFAIL or timeout of a
 * PTR query as "not found", so for the ptr mechanism and %{p} such a failure is treated
 * as a name without PTR records (a void lookup) rather than a failed lookup. Either way
 * the mechanism does not match, as RFC 7208 §5.5 asks.
 */

// ---------------------------------------------------------------------------------------
// Limits (RFC 7208 §4.6.4)

/** Terms that cause DNS queries (include, a, mx, ptr, exists, redirect) per check_host(). */
export const SPF_MAX_LOOKUPS = 10;
/** Lookups that return no answer (NXDOMAIN or no records) before the result is permerror. */
export const SPF_MAX_VOID_LOOKUPS = 2;
/** An mx mechanism whose name has more MX records than this is a permerror. */
const MAX_MX_NAMES = 10;
/** A ptr mechanism looks at no more than this many PTR names; the rest are ignored. */
const MAX_PTR_NAMES = 10;
/**
 * Include/redirect nesting depth. The lookup limit ends every loop long before this
 * (each level costs a lookup); this is only a second fence in case that logic changes.
 */
const MAX_DEPTH = 20;
/** Longest DNS name, without the trailing dot (RFC 1035 §3.1, RFC 7208 §4.8). */
const MAX_NAME_LENGTH = 253;

// ---------------------------------------------------------------------------------------
// Finding the record (RFC 7208 §4.5)

/** "v=spf1" followed by a space or the end: "v=spf10" is not SPF. Case-insensitive. */
const SPF_VERSION = /^v=spf1( |$)/i;

interface SpfCandidate {
  /** The record text, quotes removed. */
  text: string;
  /** The value was wrapped in quote characters, so receivers do not see an SPF record. */
  quoted: boolean;
}

/**
 * A value pasted into a DNS panel together with its quotes ("v=spf1 … ~all") is stored
 * with the quotes as part of the text. Word processors turn " into “ ”, so those count too.
 */
function stripQuotes(text: string): string | null {
  const m = /^\s*["“”]([\s\S]*)["“”]\s*$/.exec(text);
  return m ? (m[1] as string).trim() : null;
}

function spfCandidates(txt: string[][]): SpfCandidate[] {
  const out: SpfCandidate[] = [];
  for (const strings of txt) {
    // A TXT record may be several character-strings; SPF joins them with nothing in
    // between (RFC 7208 §3.3), so "v=spf1 a" "-all" is "v=spf1 a-all".
    const text = strings.join('');
    if (SPF_VERSION.test(text)) {
      out.push({ text, quoted: false });
      continue;
    }
    const unquoted = stripQuotes(text);
    if (unquoted !== null && SPF_VERSION.test(unquoted)) out.push({ text: unquoted, quoted: true });
  }
  return out;
}

/**
 * The SPF records among a name's TXT records (each record's strings joined with '').
 * Also recognises a record whose value was pasted with its surrounding quotes and returns
 * it without them: receivers do not see that one as SPF (checkHost does not either), but
 * the wizard must know it is there to say "remove the quotes" instead of "add a record".
 */
export function findSpfRecords(txt: string[][]): string[] {
  return spfCandidates(txt).map((c) => c.text);
}

/** What receivers see: only records that start with v=spf1 exactly as stored. */
function strictSpfRecords(txt: string[][]): string[] {
  return txt.map((strings) => strings.join('')).filter((text) => SPF_VERSION.test(text));
}

// ---------------------------------------------------------------------------------------
// Syntax (RFC 7208 §4.6, §5, §6, §7.1, §12)

export type SpfQualifier = '+' | '-' | '~' | '?';

interface TermBase {
  /** The term exactly as written in the record. */
  raw: string;
}

export type SpfMechanism =
  | (TermBase & { kind: 'all'; qualifier: SpfQualifier })
  | (TermBase & { kind: 'include' | 'exists'; qualifier: SpfQualifier; domain: string })
  | (TermBase & {
      kind: 'a' | 'mx';
      qualifier: SpfQualifier;
      /** null: the domain being checked. */
      domain: string | null;
      /** Prefix length applied to IPv4 / IPv6 addresses found (default 32 / 128). */
      cidr4: number;
      cidr6: number;
    })
  | (TermBase & { kind: 'ptr'; qualifier: SpfQualifier; domain: string | null })
  | (TermBase & { kind: 'ip4' | 'ip6'; qualifier: SpfQualifier; address: string; prefix: number });

export interface SpfModifier extends TermBase {
  kind: 'modifier';
  /** Lower case: redirect, exp, or any other (unknown modifiers are allowed and ignored). */
  name: string;
  value: string;
}

export type SpfTerm = SpfMechanism | SpfModifier;

export type SpfParseResult =
  | { ok: true; terms: SpfTerm[] }
  | {
      ok: false;
      /** A plain-English sentence that names the bad term. */
      error: string;
      /** The bad term as written, or null when the problem is not one term. */
      term: string | null;
    };

const MECHANISM_NAMES = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
/** Spellings people use for mechanisms that do not exist, and what they meant. */
const MECHANISM_HINTS: Record<string, string> = {
  ip: 'write ip4: for an IPv4 address or ip6: for an IPv6 address',
  ipv4: 'write ip4: instead',
  ipv6: 'write ip6: instead',
  inc: 'write include: instead',
  includes: 'write include: instead',
  incude: 'write include: instead',
  exist: 'write exists: instead',
};

const MODIFIER = /^([a-z][a-z0-9_.-]*)=(.*)$/is;
/** RFC 7208 §12 qnum: 0-255 without leading zeros. */
const QNUM = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IP4_STRICT = new RegExp(`^${QNUM}\\.${QNUM}\\.${QNUM}\\.${QNUM}$`);
/** A toplabel (RFC 7208 §12) after its dot at the end of a domain-spec, optional final dot. */
const DOMAIN_END = /\.(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])\.?$/i;
const CIDR_NUMBER = /^(?:0|[1-9][0-9]*)$/;

/** One piece of a macro-string: literal text or a macro (RFC 7208 §7.1). */
type MacroToken =
  | { kind: 'literal'; text: string }
  | { kind: 'escape'; text: string }
  | { kind: 'macro'; letter: string; digits: number | null; reverse: boolean; delimiters: string; raw: string };

const MACRO_LETTERS = 'slodiphcrtv';
/** Only allowed in explanation text (RFC 7208 §7.1), never in a domain-spec. */
const EXP_ONLY_LETTERS = 'crt';

/** Splits a macro-string, or returns a sentence saying what is wrong with it. */
function tokenizeMacroString(s: string, term: string): MacroToken[] | string {
  const tokens: MacroToken[] = [];
  let literal = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch !== '%') {
      const code = ch.charCodeAt(0);
      if (code < 0x21 || code > 0x7e) {
        return `In "${term}", the character "${ch}" is not allowed: SPF records use plain letters, digits and punctuation only.`;
      }
      literal += ch;
      continue;
    }
    if (literal) tokens.push({ kind: 'literal', text: literal });
    literal = '';
    const next = s[i + 1];
    if (next === '%' || next === '_' || next === '-') {
      tokens.push({ kind: 'escape', text: `%${next}` });
      i++;
      continue;
    }
    const m = /^%\{([a-z])([0-9]*)(r?)([.\-+,/_=]*)\}/i.exec(s.slice(i));
    if (next !== '{' || !m) {
      return `In "${term}", the % sign starts a macro that is not written correctly; a macro looks like %{d}, and a plain % sign must be written %%.`;
    }
    const letter = (m[1] as string).toLowerCase();
    if (!MACRO_LETTERS.includes(letter)) {
      return `In "${term}", ${m[0]} is not a macro SPF knows (the letters are s, l, o, d, i, p, v and h).`;
    }
    const digits = m[2] ? Number(m[2]) : null;
    if (digits === 0) {
      return `In "${term}", ${m[0]} keeps zero parts of the name; the number must be 1 or more.`;
    }
    tokens.push({
      kind: 'macro',
      letter: m[1] as string,
      digits,
      reverse: m[3] !== '',
      delimiters: m[4] as string,
      raw: m[0],
    });
    i += m[0].length - 1;
  }
  if (literal) tokens.push({ kind: 'literal', text: literal });
  return tokens;
}

/** domain-spec = macro-string domain-end (RFC 7208 §7.1). Null when fine, else a sentence. */
function domainSpecError(spec: string, term: string): string | null {
  if (spec === '') return `"${term}" needs a domain name after it, for example ${term}example.com.`;
  const tokens = tokenizeMacroString(spec, term);
  if (typeof tokens === 'string') return tokens;
  for (const t of tokens) {
    if (t.kind === 'macro' && EXP_ONLY_LETTERS.includes(t.letter.toLowerCase())) {
      return `In "${term}", the macro ${t.raw} may only be used in explanation text, not in a domain name.`;
    }
  }
  const last = tokens[tokens.length - 1];
  if (last && last.kind !== 'literal') return null; // domain-end = macro-expand
  if (DOMAIN_END.test(spec)) return null;
  if (/,/.test(spec)) {
    return `In "${term}", "${spec}" is not a domain name: terms in an SPF record are separated by spaces, not commas.`;
  }
  if (IP4_STRICT.test(spec.replace(/\.$/, ''))) {
    return `In "${term}", "${spec}" is an IP address, not a domain name; to allow an address write ip4:${spec}.`;
  }
  return `In "${term}", "${spec}" is not a complete domain name (it should look like example.com).`;
}

function qualifierOf(raw: string): { qualifier: SpfQualifier; rest: string } {
  const q = raw[0];
  if (q === '+' || q === '-' || q === '~' || q === '?') return { qualifier: q, rest: raw.slice(1) };
  return { qualifier: '+', rest: raw };
}

/** Reads "/n" or "//n" ends of a and mx ("a:example.com/24//64"). */
function splitDualCidr(rest: string): { spec: string; cidr4: string | null; cidr6: string | null } {
  let spec = rest;
  let cidr6: string | null = null;
  let cidr4: string | null = null;
  const six = /\/\/([0-9]+)$/.exec(spec);
  if (six) {
    cidr6 = six[1] as string;
    spec = spec.slice(0, six.index);
  }
  const four = /\/([0-9]+)$/.exec(spec);
  if (four) {
    cidr4 = four[1] as string;
    spec = spec.slice(0, four.index);
  }
  return { spec, cidr4, cidr6 };
}

function cidrValue(text: string, max: number): number | null {
  if (!CIDR_NUMBER.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** A character as a person would recognise it in a message. */
function describeChar(ch: string): string {
  if (ch === '\t') return 'a tab';
  if (ch === '\u00a0') return 'a non-breaking space (often copied from a web page or document)';
  if (/[\u2000-\u200b\u3000]/.test(ch)) return 'an unusual space character';
  if (/[“”‘’]/.test(ch)) return `a curly quote (${ch})`;
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f ? 'an invisible control character' : `"${ch}"`;
}

function parseTerm(raw: string): SpfTerm | { error: string } {
  // Only visible ASCII is allowed in a term (§12). Checked first, because a tab or a
  // non-breaking space copied from a document otherwise reads as a baffling unknown term.
  const bad = /[^\x21-\x7e]/.exec(raw);
  if (bad) {
    return {
      error: `"${raw}" contains ${describeChar(bad[0])}, which SPF does not allow: retype the record using plain letters, digits, punctuation and ordinary spaces.`,
    };
  }
  const mod = MODIFIER.exec(raw);
  if (mod) {
    const name = (mod[1] as string).toLowerCase();
    const value = mod[2] as string;
    if (name === 'redirect' || name === 'exp') {
      const err = domainSpecError(value, `${mod[1]}=`);
      if (err) return { error: value === '' ? `"${raw}" needs a domain name after the = sign.` : err };
    } else {
      // Unknown modifiers are ignored by receivers (§6), but their value must still be
      // a valid macro-string, or the record has a syntax error.
      const tokens = tokenizeMacroString(value, raw);
      if (typeof tokens === 'string') return { error: tokens };
      const expOnly = tokens.find((t) => t.kind === 'macro' && EXP_ONLY_LETTERS.includes(t.letter.toLowerCase()));
      if (expOnly && expOnly.kind === 'macro') {
        return { error: `In "${raw}", the macro ${expOnly.raw} may only be used in explanation text.` };
      }
    }
    return { kind: 'modifier', name, value, raw };
  }

  const { qualifier, rest } = qualifierOf(raw);
  const nameEnd = rest.search(/[:/]/);
  const name = (nameEnd === -1 ? rest : rest.slice(0, nameEnd)).toLowerCase();
  const after = nameEnd === -1 ? '' : rest.slice(nameEnd);
  if (!MECHANISM_NAMES.has(name)) {
    if (raw.endsWith(',')) {
      return { error: `"${raw}" ends with a comma: terms in an SPF record are separated by spaces, not commas.` };
    }
    const hint = MECHANISM_HINTS[name];
    if (/^[+\-~?]/.test(rest)) {
      return { error: `"${raw}" has two signs in front; use at most one of + - ~ ? before a term.` };
    }
    return {
      error: `"${raw}" is not something SPF understands: there is no "${name || raw}" term${hint ? `; ${hint}` : ''}.`,
    };
  }

  switch (name) {
    case 'all':
      if (after !== '') return { error: `"${raw}" is not valid: "all" takes nothing after it.` };
      return { kind: 'all', qualifier, raw };
    case 'include':
    case 'exists': {
      if (!after.startsWith(':')) {
        return { error: `"${raw}" needs a colon and a domain name, for example ${name}:example.com.` };
      }
      const err = domainSpecError(after.slice(1), `${name}:`);
      if (err) return { error: err.replace(`"${name}:"`, `"${raw}"`) };
      return { kind: name, qualifier, domain: after.slice(1), raw };
    }
    case 'a':
    case 'mx': {
      const { spec, cidr4, cidr6 } = splitDualCidr(after);
      const c4 = cidr4 === null ? 32 : cidrValue(cidr4, 32);
      if (c4 === null) {
        return { error: `In "${raw}", /${cidr4} is not a valid IPv4 range size: it must be from /0 to /32.` };
      }
      const c6 = cidr6 === null ? 128 : cidrValue(cidr6, 128);
      if (c6 === null) {
        return { error: `In "${raw}", //${cidr6} is not a valid IPv6 range size: it must be from //0 to //128.` };
      }
      if (spec === '') return { kind: name, qualifier, domain: null, cidr4: c4, cidr6: c6, raw };
      if (!spec.startsWith(':')) return { error: `"${raw}" is not valid: after "${name}" comes ":domain" or "/size".` };
      const err = domainSpecError(spec.slice(1), raw);
      if (err) return { error: err };
      return { kind: name, qualifier, domain: spec.slice(1), cidr4: c4, cidr6: c6, raw };
    }
    case 'ptr': {
      if (after === '') return { kind: 'ptr', qualifier, domain: null, raw };
      if (!after.startsWith(':')) return { error: `"${raw}" is not valid: ptr takes no range size.` };
      const err = domainSpecError(after.slice(1), raw);
      if (err) return { error: err };
      return { kind: 'ptr', qualifier, domain: after.slice(1), raw };
    }
    default: {
      // ip4 / ip6
      const six = name === 'ip6';
      const m = /^:([^/]*)(?:\/([^/]*))?$/.exec(after);
      if (!m || m[1] === '') {
        return {
          error: `"${raw}" needs an address after it, for example ${six ? 'ip6:2001:db8::1' : 'ip4:192.0.2.1'}.`,
        };
      }
      const address = m[1] as string;
      const valid = six ? ipv6Bytes(address) !== null : IP4_STRICT.test(address);
      if (!valid) {
        return { error: `In "${raw}", ${address} is not ${six ? 'an IPv6' : 'an IPv4'} address.` };
      }
      const max = six ? 128 : 32;
      const prefix = m[2] === undefined ? max : cidrValue(m[2], max);
      if (prefix === null) {
        return {
          error: `In "${raw}", /${m[2]} is not a valid ${six ? 'IPv6' : 'IPv4'} range size: it must be from /0 to /${max}.`,
        };
      }
      return { kind: name as 'ip4' | 'ip6', qualifier, address, prefix, raw };
    }
  }
}

/**
 * Parses an SPF record. Every term is checked before any is used: RFC 7208 §4.6 makes a
 * syntax error anywhere a permerror, even after a term that would have matched.
 */
export function parseSpf(text: string): SpfParseResult {
  if (!SPF_VERSION.test(text)) {
    return {
      ok: false,
      error: 'An SPF record must start with v=spf1 followed by a space.',
      term: text.split(' ')[0] ?? null,
    };
  }
  // Terms are separated by one or more spaces (§4.6.1); a tab or a non-breaking space is
  // not a separator, and the term that contains it is then reported as bad.
  const raws = text.slice(6).split(' ').filter(Boolean);
  const terms: SpfTerm[] = [];
  const seen = new Set<string>();
  for (const raw of raws) {
    const t = parseTerm(raw);
    if ('error' in t) return { ok: false, error: t.error, term: raw };
    if (t.kind === 'modifier' && (t.name === 'redirect' || t.name === 'exp')) {
      // §6: each of these at most once, else permerror.
      if (seen.has(t.name)) {
        return { ok: false, error: `"${t.name}=" appears more than once; an SPF record may have only one.`, term: raw };
      }
      seen.add(t.name);
    }
    terms.push(t);
  }
  return { ok: true, terms };
}

// ---------------------------------------------------------------------------------------
// IP addresses

interface Ip {
  version: 4 | 6;
  bytes: Uint8Array;
}

function ipv4Bytes(s: string): Uint8Array | null {
  if (!net.isIPv4(s)) return null;
  return Uint8Array.from(s.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (including the embedded-IPv4 forms), or null. */
function ipv6Bytes(s: string): Uint8Array | null {
  // Zone indexes (fe80::1%eth0) are not addresses SPF can hold.
  if (s.includes('%') || !net.isIPv6(s)) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = ipv4Bytes(g);
        if (!v4) return null;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const halves = s.split('::');
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

function parseIp(s: string): Ip | null {
  const v4 = ipv4Bytes(s);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = ipv6Bytes(s);
  return v6 ? { version: 6, bytes: v6 } : null;
}

/**
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is an IPv4 sender: RFC 7208 §5 asks
 * verifiers to treat it as one, so "ip4:" terms and A records apply to it.
 */
function unmapIpv4(ip: Ip): Ip {
  if (ip.version !== 6) return ip;
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return ip;
  if (b[10] !== 0xff || b[11] !== 0xff) return ip;
  return { version: 4, bytes: b.slice(12) };
}

function ipText(ip: Ip): string {
  if (ip.version === 4) return [...ip.bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

/** True when the first `prefix` bits of both addresses agree (same family only). */
function inRange(ip: Ip, network: Ip, prefix: number): boolean {
  if (ip.version !== network.version) return false;
  const full = Math.floor(prefix / 8);
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== network.bytes[i]) return false;
  const bits = prefix % 8;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((ip.bytes[full] as number) & mask) === ((network.bytes[full] as number) & mask);
}

// ---------------------------------------------------------------------------------------
// Macros (RFC 7208 §7)

export interface SpfMacroContext {
  /** The sending IP address (<ip>). */
  ip: string;
  /** The envelope sender (<sender>), "local@domain". */
  sender: string;
  /** The domain whose record is being evaluated (<domain>; changes inside include/redirect). */
  domain: string;
  /** The HELO/EHLO name. */
  helo: string;
  /** The %{p} value (a validated name of the IP); "unknown" when not given. */
  ptrName?: string;
}

/** Characters RFC 3986 leaves unescaped ("unreserved"); upper-case macros escape the rest. */
function urlEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function splitSender(sender: string): { local: string; domain: string } {
  const at = sender.lastIndexOf('@');
  // §4.3: a sender without a local-part is treated as postmaster@domain.
  const local = at <= 0 ? 'postmaster' : sender.slice(0, at);
  return { local, domain: at === -1 ? sender : sender.slice(at + 1) };
}

function macroValue(letter: string, ctx: SpfMacroContext): string {
  const ip = parseIp(ctx.ip);
  const sender = splitSender(ctx.sender);
  switch (letter) {
    case 's':
      return `${sender.local}@${sender.domain}`;
    case 'l':
      return sender.local;
    case 'o':
      return sender.domain;
    case 'd':
      return ctx.domain;
    case 'h':
      return ctx.helo;
    case 'p':
      return ctx.ptrName ?? 'unknown';
    case 'v':
      return ip && unmapIpv4(ip).version === 6 ? 'ip6' : 'in-addr';
    case 'i': {
      if (!ip) return ctx.ip;
      const u = unmapIpv4(ip);
      if (u.version === 4) return ipText(u);
      // §7.3: IPv6 as 32 dot-separated nibbles, as in the ip6.arpa name.
      return [...u.bytes].flatMap((b) => [(b >> 4).toString(16), (b & 0xf).toString(16)]).join('.');
    }
    default:
      // c, r, t: explanation text only; parseSpf refuses them in domain-specs.
      throw new MailroomError('VALIDATION', `The SPF macro %{${letter}} can only be used in explanation text.`);
  }
}

/**
 * Expands the macros in a macro-string (RFC 7208 §7.3, §7.4). Transformers: a number
 * keeps that many right-hand parts, "r" reverses; the value is split on the given
 * delimiters (default ".") and always joined again with ".", as §7.3 says. An upper-case
 * letter URL-escapes the result.
 */
export function expandSpfMacros(spec: string, ctx: SpfMacroContext): string {
  const tokens = tokenizeMacroString(spec, spec);
  if (typeof tokens === 'string') throw new MailroomError('VALIDATION', tokens);
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'literal') out += t.text;
    else if (t.kind === 'escape') out += t.text === '%%' ? '%' : t.text === '%_' ? ' ' : '%20';
    else {
      const letter = t.letter.toLowerCase();
      let value = macroValue(letter, ctx);
      if (t.digits !== null || t.reverse || t.delimiters !== '') {
        const delims = t.delimiters || '.';
        let parts = value.split(new RegExp(`[${delims.replace(/[\\\]^-]/g, '\\$&')}]`));
        if (t.reverse) parts.reverse();
        if (t.digits !== null && t.digits < parts.length) parts = parts.slice(parts.length - t.digits);
        value = parts.join('.');
      }
      out += t.letter !== letter ? urlEscape(value) : value;
    }
  }
  return out;
}

/**
 * A macro-expanded domain-spec as a DNS name: no trailing dot, lower case, and when longer
 * than 253 characters, shortened by dropping labels from the left (§4.8).
 */
function toDnsName(expanded: string): string {
  let name = expanded.replace(/\.$/, '').toLowerCase();
  while (name.length > MAX_NAME_LENGTH && name.includes('.')) name = name.slice(name.indexOf('.') + 1);
  return name;
}

/** §4.3: labels of 1–63 characters, at least two labels, at most 253 characters. */
function isValidDomainName(name: string): boolean {
  const n = name.replace(/\.$/, '');
  if (n.length === 0 || n.length > MAX_NAME_LENGTH) return false;
  const labels = n.split('.');
  return labels.length >= 2 && labels.every((l) => l.length >= 1 && l.length <= 63);
}

// ---------------------------------------------------------------------------------------
// check_host() (RFC 7208 §4)

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfHostResult {
  result: SpfResult;
  /** Why, in a sentence: the term that matched, or what went wrong. */
  reason: string;
  /** DNS-querying terms evaluated and void lookups seen (both §4.6.4). */
  lookups: number;
  voidLookups: number;
}

export interface CheckHostOptions {
  /** The HELO/EHLO name for %{h}; defaults to the domain. */
  helo?: string;
}

const QUALIFIER_RESULT: Record<SpfQualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

/** Ends the whole evaluation with a result (temperror/permerror can arise at any depth). */
class SpfStop extends Error {
  readonly result: SpfResult;
  constructor(result: SpfResult, reason: string) {
    super(reason);
    this.result = result;
  }
}

interface HostContext {
  client: DnsClient;
  ip: Ip;
  ipString: string;
  sender: string;
  helo: string;
  lookups: number;
  voids: number;
  /** %{p}, worked out once when first needed. */
  ptrName: string | null;
}

interface Verdict {
  result: SpfResult;
  reason: string;
}

function countLookup(ctx: HostContext, term: string): void {
  ctx.lookups++;
  if (ctx.lookups > SPF_MAX_LOOKUPS) {
    throw new SpfStop(
      'permerror',
      `the record needs more than ${SPF_MAX_LOOKUPS} DNS lookups (reached at ${term}), so receivers treat it as broken`,
    );
  }
}

/**
 * A lookup that found nothing (NXDOMAIN, or the name exists without such records). More
 * than two per check is a permerror (§4.6.4): it stops records built to make receivers
 * send floods of queries for names that do not exist. Counted per DNS query, as pyspf
 * and libspf2 do, so an mx with three address-less hosts is three void lookups.
 */
function noteVoid(ctx: HostContext, name: string): void {
  ctx.voids++;
  if (ctx.voids > SPF_MAX_VOID_LOOKUPS) {
    throw new SpfStop(
      'permerror',
      `more than ${SPF_MAX_VOID_LOOKUPS} names looked up for the record do not exist or have no records (the last was ${name}), so receivers treat it as broken`,
    );
  }
}

/** The value of a found answer; null for nothing (counted as void); temperror on failure. */
function answerOrStop<T>(ctx: HostContext, answer: DnsAnswer<T>, name: string, what: string): T | null {
  if (answer.kind === 'found') return answer.value;
  if (answer.kind === 'failed')
    throw new SpfStop('temperror', `looking up the ${what} of ${name} failed: ${answer.text}`);
  noteVoid(ctx, name);
  return null;
}

async function addressesOf(ctx: HostContext, name: string): Promise<DnsAnswer<string[]>> {
  return ctx.ip.version === 4 ? ctx.client.a(name) : ctx.client.aaaa(name);
}

function matchesAny(ctx: HostContext, addresses: string[], cidr: number): boolean {
  for (const a of addresses) {
    const parsed = parseIp(a);
    if (parsed && inRange(ctx.ip, unmapIpv4(parsed), cidr)) return true;
  }
  return false;
}

/**
 * The names the sending IP's PTR records give, each confirmed by looking its addresses
 * up again (§5.5): the ptr mechanism and %{p} trust only names that point back. A failed
 * PTR lookup means "no names"; a failed address lookup skips that name (§5.5).
 */
async function validatedNames(ctx: HostContext, countVoids: boolean): Promise<string[]> {
  const ptr = await ctx.client.ptr(ctx.ipString);
  if (ptr.kind === 'failed') return [];
  // Note: node's reverse lookup (c-ares gethostbyaddr) reports SERVFAIL and timeouts as
  // "not found", so such a failure lands here and counts as a void lookup instead of
  // just not matching. The mechanism still does not match, as §5.5 says.

  if (ptr.kind !== 'found') {
    if (countVoids) noteVoid(ctx, `the reverse name of ${ctx.ipString}`);
    return [];
  }
  const names: string[] = [];
  for (const name of ptr.value.slice(0, MAX_PTR_NAMES)) {
    const addrs = await addressesOf(ctx, name);
    if (addrs.kind === 'failed') continue;
    if (addrs.kind !== 'found') {
      if (countVoids) noteVoid(ctx, name);
      continue;
    }
    if (matchesAny(ctx, addrs.value, ctx.ip.version === 4 ? 32 : 128)) names.push(name.toLowerCase());
  }
  return names;
}

function isSameOrSubdomain(name: string, domain: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  return n === d || n.endsWith(`.${d}`);
}

/** Expands a term's domain-spec for the current domain; null for an impossible name. */
async function targetName(ctx: HostContext, spec: string | null, domain: string): Promise<string | null> {
  if (spec === null) return domain;
  if (/%\{p/i.test(spec) && ctx.ptrName === null) {
    // §7.3: the p macro is the domain itself if validated, else a validated subdomain of
    // it, else any validated name, else "unknown". Its lookups are not counted toward the
    // limits (the RFC does not list them; it says not to use %{p} at all).
    const names = await validatedNames(ctx, false);
    ctx.ptrName =
      names.find((n) => n === domain) ?? names.find((n) => isSameOrSubdomain(n, domain)) ?? names[0] ?? 'unknown';
  }
  const name = toDnsName(
    expandSpfMacros(spec, {
      ip: ctx.ipString,
      sender: ctx.sender,
      domain,
      helo: ctx.helo,
      ptrName: ctx.ptrName ?? undefined,
    }),
  );
  return isValidDomainName(name) ? name : null;
}

/** Whether one mechanism matches; throws SpfStop for errors that end the evaluation. */
async function mechanismMatches(m: SpfMechanism, domain: string, ctx: HostContext, depth: number): Promise<boolean> {
  switch (m.kind) {
    case 'all':
      return true;
    case 'ip4':
    case 'ip6': {
      const network = parseIp(m.address) as Ip;
      return inRange(ctx.ip, network, m.prefix);
    }
    case 'a': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      const addrs = answerOrStop(ctx, await addressesOf(ctx, name), name, 'addresses');
      return addrs !== null && matchesAny(ctx, addrs, ctx.ip.version === 4 ? m.cidr4 : m.cidr6);
    }
    case 'mx': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      const mx = answerOrStop(ctx, await ctx.client.mx(name), name, 'MX records');
      if (mx === null) return false;
      // §4.6.4: more than 10 MX names is a permerror for the mechanism.
      if (mx.length > MAX_MX_NAMES) {
        throw new SpfStop('permerror', `${name} has more than ${MAX_MX_NAMES} MX records, too many for ${m.raw}`);
      }
      // Every MX host's addresses are looked up before comparing (§5.4 "performs an
      // address lookup on each MX name"), so void lookups count the same whichever
      // host would have matched. A null MX (".") names no host and is skipped.
      const hosts = mx.map((r) => r.exchange).filter((h) => h !== '' && h !== '.');
      const addresses: string[] = [];
      for (const host of hosts) {
        const addrs = answerOrStop(ctx, await addressesOf(ctx, host), host, 'addresses');
        if (addrs) addresses.push(...addrs);
      }
      return matchesAny(ctx, addresses, ctx.ip.version === 4 ? m.cidr4 : m.cidr6);
    }
    case 'ptr': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      const names = await validatedNames(ctx, true);
      return names.some((n) => isSameOrSubdomain(n, name));
    }
    case 'exists': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      // §5.7: always an A query, whatever the sender's IP version.
      const addrs = answerOrStop(ctx, await ctx.client.a(name), name, 'address');
      return addrs !== null;
    }
    case 'include': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      const sub: Verdict = name
        ? await evaluate(name, ctx, depth + 1)
        : { result: 'none', reason: `${m.raw} does not name a valid domain` };
      // §5.2: pass matches; fail, softfail and neutral do not; errors end everything;
      // an included domain without an SPF record is a permerror.
      switch (sub.result) {
        case 'pass':
          return true;
        case 'fail':
        case 'softfail':
        case 'neutral':
          return false;
        case 'none':
          throw new SpfStop('permerror', `${m.raw} points at a domain without an SPF record (${sub.reason})`);
        default:
          throw new SpfStop(sub.result, sub.reason);
      }
    }
  }
}

async function evaluate(domain: string, ctx: HostContext, depth: number): Promise<Verdict> {
  if (depth > MAX_DEPTH) throw new SpfStop('permerror', 'includes and redirects are nested too deeply');
  if (!isValidDomainName(domain)) return { result: 'none', reason: `"${domain}" is not a valid domain name` };
  // §4.4: the SPF record is a TXT record at the domain. No record → none; an error or
  // timeout → temperror. (The TXT lookup itself is not counted as a void lookup: a
  // missing record is already "none", or a permerror inside include/redirect.)
  const txt = await ctx.client.txt(domain);
  if (txt.kind === 'failed') {
    throw new SpfStop('temperror', `looking up the SPF record of ${domain} failed: ${txt.text}`);
  }
  if (txt.kind === 'nxdomain') return { result: 'none', reason: `${domain} does not exist in DNS` };
  if (txt.kind === 'nodata') return { result: 'none', reason: `${domain} has no TXT records` };
  const records = strictSpfRecords(txt.value);
  if (records.length === 0) return { result: 'none', reason: `${domain} has no SPF record` };
  if (records.length > 1) {
    throw new SpfStop('permerror', `${domain} has ${records.length} SPF records; more than one is a permanent error`);
  }
  const parsed = parseSpf(records[0] as string);
  if (!parsed.ok) throw new SpfStop('permerror', `the SPF record of ${domain} is invalid: ${parsed.error}`);

  let redirect: SpfModifier | null = null;
  for (const term of parsed.terms) {
    if (term.kind === 'modifier') {
      if (term.name === 'redirect') redirect = term;
      continue;
    }
    if (await mechanismMatches(term, domain, ctx, depth)) {
      const result = QUALIFIER_RESULT[term.qualifier];
      return { result, reason: `${ipText(ctx.ip)} matched ${term.raw} in the SPF record of ${domain}` };
    }
  }
  // §6.1: redirect applies only when nothing matched (an "all" always matches, so a
  // record with "all" never gets here). Its lookup counts; a target without SPF is a
  // permerror.
  if (redirect) {
    countLookup(ctx, redirect.raw);
    const name = await targetName(ctx, redirect.value, domain);
    const sub: Verdict = name
      ? await evaluate(name, ctx, depth + 1)
      : { result: 'none', reason: `${redirect.raw} does not name a valid domain` };
    if (sub.result === 'none') {
      throw new SpfStop('permerror', `${redirect.raw} points at a domain without an SPF record (${sub.reason})`);
    }
    return sub;
  }
  // §4.7: nothing matched and no redirect.
  return { result: 'neutral', reason: `nothing in the SPF record of ${domain} matched ${ipText(ctx.ip)}` };
}

/**
 * check_host(<ip>, <domain>, <sender>) as a receiving mail server runs it (RFC 7208 §4).
 * Mechanisms are evaluated in order and the first match decides; lookups are counted as
 * they happen, so a record that would need 11 lookups still passes an IP matched early.
 *
 * Where RFC 7208 leaves a choice: void lookups are counted per DNS query that found
 * nothing (not for the TXT lookup of a record, which is "none" anyway); MX hosts'
 * addresses are all fetched before comparing; %{p} lookups are not counted.
 */
export async function checkHost(
  ip: string,
  domain: string,
  sender: string,
  client: DnsClient,
  opts: CheckHostOptions = {},
): Promise<SpfHostResult> {
  const parsedIp = parseIp(ip);
  if (!parsedIp)
    throw new MailroomError('VALIDATION', `"${ip}" is not an IP address, so SPF cannot be checked for it.`);
  const target = domain.toLowerCase().replace(/\.$/, '');
  const ctx: HostContext = {
    client,
    ip: unmapIpv4(parsedIp),
    ipString: ipText(unmapIpv4(parsedIp)),
    // §4.3: no local-part → "postmaster". (A sender without "@" is taken as a domain.)
    sender: sender === '' ? `postmaster@${target}` : sender.includes('@') ? sender : `postmaster@${sender}`,
    helo: opts.helo ?? target,
    lookups: 0,
    voids: 0,
    ptrName: null,
  };
  try {
    const v = await evaluate(target, ctx, 0);
    return { ...v, lookups: ctx.lookups, voidLookups: ctx.voids };
  } catch (err) {
    if (err instanceof SpfStop) {
      return { result: err.result, reason: err.message, lookups: ctx.lookups, voidLookups: ctx.voids };
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// Counting lookups for the wizard (RFC 7208 §4.6.4)

export interface SpfIncludeUsage {
  /** The include: or redirect= term as written. */
  term: string;
  /** The domain it points at (lower case); the term itself when it has macros. */
  domain: string;
  /** Lookups it costs, itself included. */
  lookups: number;
  /** The includes and redirect inside it. */
  includes: SpfIncludeUsage[];
}

export type SpfLookupProblemKind =
  | 'dns-failed'
  | 'no-domain'
  | 'no-record'
  | 'multiple-records'
  | 'syntax'
  | 'loop'
  | 'too-many-mx'
  | 'macro';

export interface SpfLookupProblem {
  kind: SpfLookupProblemKind;
  /** The term that led there. */
  term: string;
  domain: string;
  /** For dns-failed: the DnsClient failure code (ETIMEOUT, ESERVFAIL, …). */
  code: string | null;
  /** A plain-words sentence. */
  message: string;
}

export interface SpfLookupCount {
  /** DNS-querying terms in the whole tree; when `complete` is false, at least this many. */
  lookups: number;
  overLimit: boolean;
  /** False when counting stopped early (over the limit) or an include could not be read. */
  complete: boolean;
  /** Lookups that find nothing, as an IPv4 sender triggers them; more than 2 breaks SPF. */
  voidLookups: number;
  /** The terms whose names do not exist or have no records. */
  voidTerms: string[];
  /** The top-level includes (and redirect), each with what it costs. */
  includes: SpfIncludeUsage[];
  /** Every include/redirect target in the tree, lower case. */
  domains: string[];
  problems: SpfLookupProblem[];
  /** A redirect= that receivers ignore because the same record has an "all". */
  ignoredRedirect: string | null;
}

/** DNS queries one count may make, whatever the records say. */
const MAX_COUNT_QUERIES = 60;
/**
 * Counting goes on past the limit up to twice it, so the wizard can say "needs 12" and
 * which includes are biggest instead of just "over 10"; beyond that the verdict and the
 * advice are the same, so no more DNS questions are asked.
 */
const COUNT_UP_TO = SPF_MAX_LOOKUPS * 2;

interface CountState {
  client: DnsClient;
  lookups: number;
  voids: number;
  voidTerms: string[];
  domains: Set<string>;
  problems: SpfLookupProblem[];
  complete: boolean;
  queries: number;
  cache: Map<string, Promise<DnsAnswer<unknown>>>;
  /** The checked domain, for %{o} (and %{d} at the top). */
  senderDomain: string;
}

function cached<T>(state: CountState, key: string, run: () => Promise<DnsAnswer<T>>): Promise<DnsAnswer<T>> | null {
  const hit = state.cache.get(key);
  if (hit) return hit as Promise<DnsAnswer<T>>;
  if (state.queries >= MAX_COUNT_QUERIES) {
    state.complete = false;
    return null;
  }
  state.queries++;
  const p = run();
  state.cache.set(key, p as Promise<DnsAnswer<unknown>>);
  return p;
}

/**
 * The name a domain-spec stands for when it can be known without a sender: literal
 * names, and macros that only use the domain (%{d}, %{o}). Null when it depends on the
 * sender or the IP (exists:%{i}._spf.example.com): counted, not followed.
 */
function staticName(spec: string | null, domain: string, state: CountState): string | null {
  if (spec === null) return domain;
  const tokens = tokenizeMacroString(spec, spec);
  if (typeof tokens === 'string') return null;
  if (tokens.some((t) => t.kind === 'macro' && !'do'.includes(t.letter.toLowerCase()))) return null;
  const name = toDnsName(
    expandSpfMacros(spec, { ip: '0.0.0.0', sender: `postmaster@${state.senderDomain}`, domain, helo: domain }),
  );
  return isValidDomainName(name) ? name : null;
}

function problem(
  state: CountState,
  kind: SpfLookupProblemKind,
  term: string,
  domain: string,
  message: string,
  code: string | null = null,
): void {
  state.problems.push({ kind, term, domain, message, code });
}

async function noteVoidIfEmpty(state: CountState, term: string, answer: Promise<DnsAnswer<unknown>> | null) {
  if (!answer) return;
  const a = await answer;
  if (a.kind === 'nodata' || a.kind === 'nxdomain') {
    state.voids++;
    state.voidTerms.push(term);
  }
}

/** Counts one record's terms, following includes and redirect; returns its top-level includes. */
async function countRecord(
  text: string,
  domain: string,
  chain: string[],
  state: CountState,
  via: string,
): Promise<SpfIncludeUsage[]> {
  const parsed = parseSpf(text);
  if (!parsed.ok) {
    problem(state, 'syntax', via, domain, `The SPF record of ${domain} has an error: ${parsed.error}`);
    return [];
  }
  const out: SpfIncludeUsage[] = [];
  const hasAll = parsed.terms.some((t) => t.kind === 'all');
  for (const term of parsed.terms) {
    const under = state.lookups <= COUNT_UP_TO;
    switch (term.kind) {
      case 'all':
      case 'ip4':
      case 'ip6':
        break;
      case 'a':
      case 'mx':
      case 'ptr':
      case 'exists': {
        state.lookups++;
        if (!under || term.kind === 'ptr') break;
        const name = staticName(term.domain, domain, state);
        if (!name) break;
        if (term.kind === 'a') {
          await noteVoidIfEmpty(
            state,
            term.raw,
            cached(state, `A ${name}`, () => state.client.a(name)),
          );
        } else if (term.kind === 'exists') {
          await noteVoidIfEmpty(
            state,
            term.raw,
            cached(state, `A ${name}`, () => state.client.a(name)),
          );
        } else {
          const mxq = cached(state, `MX ${name}`, () => state.client.mx(name));
          if (!mxq) break;
          const mx = await mxq;
          if (mx.kind === 'nodata' || mx.kind === 'nxdomain') {
            state.voids++;
            state.voidTerms.push(term.raw);
          } else if (mx.kind === 'found') {
            if (mx.value.length > MAX_MX_NAMES) {
              problem(
                state,
                'too-many-mx',
                term.raw,
                name,
                `${term.raw}: ${name} has ${mx.value.length} mail servers (MX records); SPF allows at most ${MAX_MX_NAMES}, so receivers treat the record as broken when they reach this term.`,
              );
            }
            for (const r of mx.value.slice(0, MAX_MX_NAMES)) {
              if (r.exchange === '' || r.exchange === '.') continue;
              const host = r.exchange;
              await noteVoidIfEmpty(
                state,
                `${term.raw} (mail server ${host})`,
                cached(state, `A ${host}`, () => state.client.a(host)),
              );
            }
          }
        }
        break;
      }
      case 'include':
        out.push(await countTarget(term.raw, term.domain, domain, chain, state));
        break;
      case 'modifier':
        // §6.1: a redirect in a record with "all" is never used, and costs nothing.
        if (term.name === 'redirect' && !hasAll)
          out.push(await countTarget(term.raw, term.value, domain, chain, state));
        break;
    }
  }
  return out;
}

async function countTarget(
  raw: string,
  spec: string,
  domain: string,
  chain: string[],
  state: CountState,
): Promise<SpfIncludeUsage> {
  const before = state.lookups;
  state.lookups++;
  const name = staticName(spec, domain, state);
  const usage: SpfIncludeUsage = { term: raw, domain: name ?? spec, lookups: 1, includes: [] };
  if (!name) {
    problem(
      state,
      'macro',
      raw,
      spec,
      `${raw} depends on who is sending, so the lookups inside it could not be counted.`,
    );
    return usage;
  }
  state.domains.add(name);
  if (chain.includes(name)) {
    problem(
      state,
      'loop',
      raw,
      name,
      `${raw} leads back to ${name}, which is already being read: a loop that makes receivers give up on the record.`,
    );
    return usage;
  }
  if (state.lookups > COUNT_UP_TO || chain.length >= MAX_DEPTH) {
    state.complete = false; // far over the limit already: the verdict is known, stop asking DNS
    return usage;
  }
  const q = cached(state, `TXT ${name}`, () => state.client.txt(name));
  if (!q) return usage;
  const txt = await q;
  if (txt.kind === 'failed') {
    state.complete = false;
    problem(state, 'dns-failed', raw, name, `${raw} could not be read: ${txt.text}.`, txt.code);
  } else if (txt.kind === 'nxdomain' || txt.kind === 'nodata') {
    state.voids++;
    state.voidTerms.push(raw);
    problem(
      state,
      txt.kind === 'nxdomain' ? 'no-domain' : 'no-record',
      raw,
      name,
      txt.kind === 'nxdomain'
        ? `${raw} points at ${name}, which does not exist in DNS, so receivers treat your SPF record as broken.`
        : `${raw} points at ${name}, which has no SPF record, so receivers treat your SPF record as broken.`,
    );
  } else {
    const records = strictSpfRecords(txt.value);
    if (records.length === 0) {
      problem(
        state,
        'no-record',
        raw,
        name,
        `${raw} points at ${name}, which has no SPF record, so receivers treat your SPF record as broken.`,
      );
    } else if (records.length > 1) {
      problem(
        state,
        'multiple-records',
        raw,
        name,
        `${raw} points at ${name}, which has ${records.length} SPF records; receivers treat that as broken.`,
      );
    } else {
      usage.includes = await countRecord(records[0] as string, name, [...chain, name], state, raw);
    }
  }
  usage.lookups = state.lookups - before;
  return usage;
}

/**
 * How many DNS lookups a record costs receivers, through its whole include tree: the
 * number RFC 7208 §4.6.4 caps at 10. This is the worst case (an IP that matches nothing
 * makes a receiver go through every term), which is what a record must be built for.
 * Also counts void lookups (names that do not exist; more than 2 is an error) as an
 * IPv4 sender meets them, lists each include's cost, and reports includes that cannot
 * be read. Stops asking DNS once the count is twice the limit; loops are reported.
 */
export async function countSpfLookups(record: string, domain: string, client: DnsClient): Promise<SpfLookupCount> {
  const top = domain.toLowerCase().replace(/\.$/, '');
  const state: CountState = {
    client,
    lookups: 0,
    voids: 0,
    voidTerms: [],
    domains: new Set(),
    problems: [],
    complete: true,
    queries: 0,
    cache: new Map(),
    senderDomain: top,
  };
  const includes = await countRecord(record, top, [top], state, 'the record');
  const parsed = parseSpf(record);
  const hasAll = parsed.ok && parsed.terms.some((t) => t.kind === 'all');
  const redirect = parsed.ok ? parsed.terms.find((t) => t.kind === 'modifier' && t.name === 'redirect') : undefined;
  return {
    lookups: state.lookups,
    overLimit: state.lookups > SPF_MAX_LOOKUPS,
    complete: state.complete,
    voidLookups: state.voids,
    voidTerms: state.voidTerms,
    includes,
    domains: [...state.domains],
    problems: state.problems,
    ignoredRedirect: hasAll && redirect ? redirect.raw : null,
  };
}

// ---------------------------------------------------------------------------------------
// Merging (one record, never two)

export interface SpfMerge {
  record: string;
  /** False when the existing record already had everything (whitespace aside). */
  changed: boolean;
  /** What was changed and why, in plain words. */
  notes: string[];
}

const ALL_TERM = /^([+\-~?]?)all$/i;
const MODIFIER_TERM = /^[a-z][a-z0-9_.-]*=/i;

function isMechanismToken(t: string): boolean {
  return !MODIFIER_TERM.test(t);
}

/** The mechanism without a "+" qualifier, lower case, without a /32 or /128 that changes nothing. */
function mechanismKey(t: string): string {
  const lower = t.toLowerCase().replace(/^\+/, '');
  return lower.replace(/^([-~?]?ip4:[^/]+)\/32$/, '$1').replace(/^([-~?]?ip6:[^/]+)\/128$/, '$1');
}

function checkMechanismArg(mechanism: string): SpfMechanism {
  const parsed = parseSpf(`v=spf1 ${mechanism}`);
  const t = parsed.ok && parsed.terms.length === 1 ? parsed.terms[0] : undefined;
  if (!t || t.kind === 'modifier' || t.kind === 'all') {
    throw new MailroomError(
      'VALIDATION',
      `"${mechanism}" is not a single SPF term to add (such as include:mailgun.org or ip4:203.0.113.5).`,
    );
  }
  return t;
}

function recordTokens(existing: string, notes: string[]): { tokens: string[]; quoted: boolean } {
  let text = existing.trim();
  let quoted = false;
  const unquoted = stripQuotes(text);
  if (unquoted !== null) {
    text = unquoted;
    quoted = true;
    notes.push('Removed the quote marks around the record: they are not part of the value.');
  }
  if (!SPF_VERSION.test(text)) {
    throw new MailroomError('VALIDATION', `"${existing}" is not an SPF record (it must start with v=spf1).`);
  }
  return { tokens: text.slice(6).split(' ').filter(Boolean), quoted };
}

/** An existing ip4:/ip6: pass term that already covers the address of `m`. */
function coveringRange(tokens: string[], m: SpfMechanism): string | null {
  if (m.kind !== 'ip4' && m.kind !== 'ip6') return null;
  const want = parseIp(m.address) as Ip;
  for (const t of tokens) {
    const p = parseTerm(t);
    if ('error' in p || p.kind !== m.kind || p.qualifier !== '+' || p.prefix > m.prefix) continue;
    if (inRange(want, parseIp(p.address) as Ip, p.prefix)) return t;
  }
  return null;
}

function mergeTokens(tokens: string[], mechanism: string | null, notes: string[]): boolean {
  let changed = false;
  if (mechanism !== null) {
    const m = checkMechanismArg(mechanism);
    const key = mechanismKey(mechanism);
    const bare = key.replace(/^[-~?]/, '');
    const same = tokens.findIndex((t) => mechanismKey(t).replace(/^[-~?]/, '') === bare);
    // "include=mailgun.org" is an (ignored) unknown modifier: what was meant is the mechanism.
    const typo = tokens.findIndex((t) => t.toLowerCase() === bare.replace(':', '='));
    const covered = coveringRange(tokens, m);
    if (same !== -1) {
      const existing = tokens[same] as string;
      if (mechanismKey(existing) !== key) {
        tokens[same] = mechanism;
        changed = true;
        notes.push(`Changed ${existing} to ${mechanism}: the sign in front made it refuse instead of allow.`);
      }
    } else if (covered) {
      notes.push(`${mechanism} is already covered by ${covered}.`);
    } else if (typo !== -1) {
      notes.push(`Changed ${tokens[typo]} to ${mechanism}: written with "=", receivers ignore it.`);
      tokens[typo] = mechanism;
      changed = true;
    } else {
      // Before the first "all" (terms after it are never read), else after the last
      // mechanism, so modifiers such as redirect= stay at the end.
      const allAt = tokens.findIndex((t) => ALL_TERM.test(t));
      let at = allAt;
      if (at === -1) {
        at = 0;
        tokens.forEach((t, i) => {
          if (isMechanismToken(t)) at = i + 1;
        });
      }
      tokens.splice(at, 0, mechanism);
      changed = true;
    }
  }

  const allAt = tokens.findIndex((t) => ALL_TERM.test(t));
  const hasRedirect = tokens.some((t) => /^redirect=/i.test(t));
  if (allAt !== -1) {
    const q = (ALL_TERM.exec(tokens[allAt] as string) as RegExpExecArray)[1];
    if (q === '' || q === '+') {
      notes.push(
        `Changed ${tokens[allAt]} to ~all: ${tokens[allAt]} lets any server in the world send mail as your domain.`,
      );
      tokens[allAt] = '~all';
      changed = true;
    } else if (q === '?') {
      notes.push('Changed ?all to ~all: ?all tells receivers nothing about servers that are not listed.');
      tokens[allAt] = '~all';
      changed = true;
    }
  } else if (!hasRedirect) {
    // After the last mechanism, before modifiers such as exp=.
    let at = 0;
    tokens.forEach((t, i) => {
      if (isMechanismToken(t)) at = i + 1;
    });
    tokens.splice(at, 0, '~all');
    changed = true;
    notes.push(
      'Added ~all at the end: without it, receivers have no advice about mail from servers that are not listed.',
    );
  }
  return changed;
}

/**
 * Adds `mechanism` (include:mailgun.org, ip4:203.0.113.5, …) to an existing SPF record,
 * keeping every term already there: before the "all" (or at the end of the mechanisms
 * when there is none), never twice (case-insensitive; an ip4:/ip6: range that already
 * covers the address counts). The person's -all or ~all stays; +all, ?all or no all at
 * all become ~all, with a note (a redirect= without all is left alone: "all" would turn
 * it off). No existing record gives "v=spf1 <mechanism> ~all". Null mechanism: only the
 * "all" is tidied.
 */
export function mergeSpf(existing: string | null, mechanism: string | null): SpfMerge {
  const notes: string[] = [];
  if (existing === null || existing.trim() === '') {
    if (mechanism === null) {
      throw new MailroomError(
        'VALIDATION',
        'There is no record and nothing to add, so there is no SPF record to make.',
      );
    }
    checkMechanismArg(mechanism);
    return { record: `v=spf1 ${mechanism} ~all`, changed: true, notes };
  }
  const { tokens, quoted } = recordTokens(existing, notes);
  const changed = mergeTokens(tokens, mechanism, notes) || quoted;
  return { record: ['v=spf1', ...tokens].join(' '), changed, notes };
}

export type SpfRecordsMerge = ({ ok: true } & SpfMerge) | { ok: false; reason: string };

/**
 * Merges several SPF records into one (two records is a permanent error: receivers ignore
 * both), then adds `mechanism` as mergeSpf does. Terms are united in order, duplicates
 * dropped. When the records disagree on "all", the milder ~all wins (a note says so). A
 * redirect= next to other records' terms becomes include: (a record with mechanisms and
 * redirect= would ignore the redirect once it has an "all"). Refuses, with a sentence,
 * when the records contradict each other: two different redirects, or one allowing what
 * another refuses.
 */
export function mergeSpfRecords(records: string[], mechanism: string | null): SpfRecordsMerge {
  if (records.length === 0) return { ok: true, ...mergeSpf(null, mechanism) };
  if (records.length === 1) return { ok: true, ...mergeSpf(records[0] as string, mechanism) };
  const notes: string[] = [];
  const mechs: string[] = [];
  const alls: string[] = [];
  const redirects: string[] = [];
  const exps: string[] = [];
  const others: string[] = [];
  const seen = new Map<string, string>();
  for (const r of records) {
    const { tokens } = recordTokens(r, []);
    for (const t of tokens) {
      if (ALL_TERM.test(t)) alls.push(t);
      else if (/^redirect=/i.test(t)) {
        if (!redirects.some((x) => x.toLowerCase() === t.toLowerCase())) redirects.push(t);
      } else if (/^exp=/i.test(t)) {
        if (!exps.some((x) => x.toLowerCase() === t.toLowerCase())) exps.push(t);
      } else if (MODIFIER_TERM.test(t)) {
        if (!others.some((x) => x.toLowerCase() === t.toLowerCase())) others.push(t);
      } else {
        const key = mechanismKey(t);
        const bare = key.replace(/^[-~?]/, '');
        const earlier = seen.get(bare);
        if (earlier !== undefined && earlier !== key) {
          return {
            ok: false,
            reason: `The SPF records disagree about ${bare}: one has "${earlier}" and another "${key}". Decide which is right, then keep a single record.`,
          };
        }
        if (earlier === undefined) {
          seen.set(bare, key);
          mechs.push(t);
        }
      }
    }
  }
  if (records.some((r) => stripQuotes(r.trim()) !== null)) {
    notes.push('Removed the quote marks around a record: they are not part of the value.');
  }
  if (redirects.length > 1) {
    return {
      ok: false,
      reason: `The SPF records hand over to different domains (${redirects.join(' and ')}); one record can only hand over to one. Ask whoever set them up which one is right.`,
    };
  }
  if (exps.length > 1) notes.push(`Kept ${exps[0]} and dropped ${exps.slice(1).join(', ')}: only one is allowed.`);

  const tokens = [...mechs];
  const redirect = redirects[0];
  if (redirect && (mechs.length > 0 || alls.length > 0)) {
    const target = redirect.slice(redirect.indexOf('=') + 1);
    if (!tokens.some((t) => mechanismKey(t) === `include:${target.toLowerCase()}`)) tokens.push(`include:${target}`);
    notes.push(`${redirect} became include:${target}, so that one record can hold the other records' terms too.`);
  } else if (redirect) {
    tokens.push(redirect);
  }
  const quals = new Set(alls.map((a) => (ALL_TERM.exec(a) as RegExpExecArray)[1] || '+'));
  if (quals.size > 0) {
    if (quals.size === 1) tokens.push(alls[0] as string);
    else if ([...quals].every((q) => q === '-' || q === '~')) {
      tokens.push('~all');
      notes.push('The records ended differently (-all and ~all); the merged record uses the milder ~all.');
    } else tokens.push('+all'); // mergeTokens turns it into ~all with its note
  }
  if (exps[0]) tokens.push(exps[0]);
  tokens.push(...others);
  mergeTokens(tokens, mechanism, notes);
  notes.unshift(`Merged ${records.length} SPF records into one.`);
  return { ok: true, record: ['v=spf1', ...tokens].join(' '), changed: true, notes };
}

// ---------------------------------------------------------------------------------------
// The wizard's check

export interface CheckSpfOptions {
  /** The wizard showed the record recently: "not there (yet)" is pending, not an error. */
  pending: boolean;
}

export interface SpfCheckOutcome {
  check: DnsCheck;
  /** The record the person should publish; null when nothing needs to change. */
  wanted: string | null;
}

/** What the sending route needs in the record. */
type RouteNeed =
  | { kind: 'mechanism'; mechanism: string; who: string; includeDomain: string | null; ip: string | null }
  | { kind: 'nothing'; who: string; note: string }
  | { kind: 'unknown'; who: string; why: string };

function routeNeed(route: SendingRoute): RouteNeed {
  if (route.kind === 'direct') {
    if (route.ip === null || !parseIp(route.ip)) {
      return {
        kind: 'unknown',
        who: 'this computer',
        why: "Mailroom could not find out this computer's public IP address, so it cannot tell whether your SPF record allows it to send.",
      };
    }
    const ip = unmapIpv4(parseIp(route.ip) as Ip);
    const text = ipText(ip);
    return {
      kind: 'mechanism',
      mechanism: `${ip.version === 4 ? 'ip4' : 'ip6'}:${text}`,
      who: `this computer (${text})`,
      includeDomain: null,
      ip: text,
    };
  }
  const preset = route.preset ? presetById(route.preset) : undefined;
  if (!preset) {
    return {
      kind: 'unknown',
      who: route.host,
      why: `Mailroom does not know which SPF entry your provider (${route.host}) needs. Its help pages usually give one that starts with "include:"; make sure it is in your SPF record.`,
    };
  }
  if (preset.spfInclude === null) {
    return {
      kind: 'nothing',
      who: preset.name,
      note: preset.spfNote ?? `${preset.name} needs nothing added to your SPF record.`,
    };
  }
  return {
    kind: 'mechanism',
    mechanism: preset.spfInclude,
    who: preset.name,
    includeDomain: preset.spfInclude.slice('include:'.length).toLowerCase(),
    ip: null,
  };
}

const WHAT_SPF_IS = 'SPF is the TXT record that lists which servers may send mail for your domain.';

function addRecordFix(domain: string, record: string): string {
  return `Add a TXT record at ${domain} (in many DNS panels the name is written "@") with this value: ${record}`;
}

function replaceRecordFix(domain: string, record: string): string {
  return `Change the TXT record at ${domain} that starts with v=spf1 so that its value is exactly: ${record}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function breakdownLines(usages: SpfIncludeUsage[], indent: string): string[] {
  const out: string[] = [];
  for (const u of usages) {
    out.push(`${indent}${u.term} uses ${plural(u.lookups, 'lookup', 'lookups')}`);
    out.push(...breakdownLines(u.includes, `${indent}  `));
  }
  return out;
}

const LOOKUPS_EXPLAINED = `Receivers look up at most ${SPF_MAX_LOOKUPS} names in DNS while reading an SPF record: include, a, mx, ptr, exists and redirect each cost one lookup (plus the lookups inside an include); ip4, ip6 and all cost none.`;

function lookupDetails(count: SpfLookupCount, label: string): string[] {
  const lines = [`${label}: ${count.complete ? '' : 'at least '}${count.lookups} of ${SPF_MAX_LOOKUPS} DNS lookups.`];
  lines.push(...breakdownLines(count.includes, '  '));
  if (count.voidLookups > 0) {
    lines.push(
      `Names in the record that do not exist or have no records: ${count.voidLookups} (${count.voidTerms.join(', ')}); receivers allow at most ${SPF_MAX_VOID_LOOKUPS}.`,
    );
  }
  if (count.ignoredRedirect) {
    lines.push(`${count.ignoredRedirect} is ignored by receivers because the record also has an "all" term.`);
  }
  for (const p of count.problems) if (p.kind === 'macro') lines.push(p.message);
  return lines;
}

/** The three costliest top-level includes (not `keep`, the one the route needs). */
function biggestIncludes(count: SpfLookupCount, keep: string | null = null): string {
  const top = [...count.includes]
    .filter((u) => u.lookups > 1 && u.domain !== keep)
    .sort((a, b) => b.lookups - a.lookups)
    .slice(0, 3);
  return top.map((u) => `${u.term} uses ${u.lookups}`).join(', ');
}

function outcome(
  status: DnsCheck['status'],
  message: string,
  fix: string | null,
  details: string[],
  wanted: string | null,
): SpfCheckOutcome {
  return { check: { record: 'spf', status, message, fix, details }, wanted };
}

/** The TXT lookup of the domain itself failed. */
function dnsFailure(domain: string, answer: { code: string; text: string }): SpfCheckOutcome {
  if (answer.code === 'ETIMEOUT' || answer.code === 'ECONNREFUSED') {
    return outcome(
      'warning',
      `Could not check SPF for ${domain}: ${answer.text}. This is usually a passing network problem.`,
      'Try the check again in a few minutes. If it keeps happening, check that this computer is online.',
      [],
      null,
    );
  }
  return outcome(
    'error',
    `The DNS servers for ${domain} could not answer: ${answer.text}. Receivers cannot read your SPF record either, so they may delay or refuse your mail.`,
    `Ask the company that runs the DNS for ${domain} (often where you bought the domain) to fix their DNS servers, then check again.`,
    [],
    null,
  );
}

/**
 * The SPF verdict for the wizard: does the domain's SPF record let the sending route send,
 * is it valid and within the limits, and what exactly should be published instead.
 * The first finding in this order decides the status and message (the rest is in details):
 * DNS failure / domain missing → no record → several records → quotes → syntax error →
 * over 10 lookups or over 2 void lookups (counting what the route adds) → broken includes
 * → includes that could not be read → route not allowed → +all / ?all / no all → route
 * unknown → exactly 10 lookups → ok. "Not there" verdicts (no record, route missing) are
 * pending instead of error while opts.pending is set.
 */
export async function checkSpf(
  domain: string,
  route: SendingRoute,
  client: DnsClient,
  opts: CheckSpfOptions,
): Promise<SpfCheckOutcome> {
  const need = routeNeed(route);
  const mechanism = need.kind === 'mechanism' ? need.mechanism : null;
  const txt = await client.txt(domain);
  if (txt.kind === 'failed') return dnsFailure(domain, txt);
  if (txt.kind === 'nxdomain') {
    return outcome(
      'error',
      `The domain ${domain} does not exist in DNS, so nobody can check mail sent from it.`,
      `Check the spelling of ${domain}. If it is right, the domain may have expired or not be set up yet: ask the company you bought it from.`,
      [],
      null,
    );
  }
  const candidates = txt.kind === 'found' ? spfCandidates(txt.value) : [];

  // No SPF record at all.
  if (candidates.length === 0) {
    if (need.kind === 'nothing') {
      return outcome(
        'ok',
        `${domain} has no SPF record, and ${need.who} does not need one. ${need.note}`,
        null,
        [],
        null,
      );
    }
    const status = opts.pending ? 'pending' : 'error';
    const lead = opts.pending
      ? `No SPF record is visible for ${domain} yet. DNS changes can take from a few minutes to a few hours to reach everyone.`
      : `${domain} has no SPF record, so receivers cannot tell that ${need.who} may send mail for ${domain}. ${WHAT_SPF_IS}`;
    if (need.kind === 'unknown') {
      return outcome(
        status,
        `${lead} ${need.why}`,
        `Add a TXT record at ${domain} with the SPF value your provider gives, for example: v=spf1 include:<your provider's domain> ~all`,
        [],
        null,
      );
    }
    const wanted = mergeSpf(null, need.mechanism).record;
    const count = await countSpfLookups(wanted, domain, client);
    return outcome(
      status,
      lead,
      addRecordFix(domain, wanted),
      [...lookupDetails(count, 'The new record'), LOOKUPS_EXPLAINED],
      wanted,
    );
  }

  // Several SPF records (quoted ones included: they still have to go).
  if (candidates.length > 1) {
    const visible = candidates.filter((c) => !c.quoted).length;
    const merged = mergeSpfRecords(
      candidates.map((c) => c.text),
      mechanism,
    );
    const message =
      visible > 1
        ? `${domain} has ${visible} SPF records. Two SPF records is a permanent error: receivers ignore both, as if there were none.`
        : `${domain} has ${candidates.length} TXT records that try to be SPF records (some wrapped in quote marks). There must be exactly one.`;
    if (!merged.ok) {
      return outcome(
        'error',
        message,
        `${merged.reason} Then delete the other records that start with v=spf1.`,
        [],
        null,
      );
    }
    const others =
      candidates.length === 2
        ? 'the other record that starts'
        : `the other ${candidates.length - 1} records that start`;
    const mergedParse = parseSpf(merged.record);
    if (!mergedParse.ok) {
      // A mistake in one of the records survives the merge: do not offer it to publish.
      return outcome(
        'error',
        message,
        `Replace them with a single TXT record at ${domain} and delete ${others} with v=spf1. Merged, they read: ${merged.record} — but ${mergedParse.error} Correct that before publishing it.`,
        merged.notes,
        null,
      );
    }
    const count = await countSpfLookups(merged.record, domain, client);
    return outcome(
      'error',
      message,
      `Replace them with this single TXT record at ${domain}: ${merged.record} — and delete ${others} with v=spf1.`,
      [...merged.notes, ...lookupDetails(count, 'The merged record'), LOOKUPS_EXPLAINED],
      merged.record,
    );
  }

  const current = candidates[0] as SpfCandidate;
  const parsed = parseSpf(current.text);

  // A single record pasted with its quotes: receivers see no SPF record at all.
  if (current.quoted) {
    const lead = `The SPF record of ${domain} was saved with quote marks (") around it, so receivers do not see it as an SPF record at all.`;
    if (!parsed.ok) {
      return outcome(
        'error',
        lead,
        `Edit the TXT record at ${domain}: remove the quote characters at the start and end, and correct this mistake in it: ${parsed.error}`,
        [`Current value: ${current.text}`],
        null,
      );
    }
    const merged = mergeSpf(current.text, mechanism);
    return outcome(
      'error',
      lead,
      `Edit the TXT record at ${domain} and remove the quote characters at the start and end, so the value reads: ${merged.record}`,
      merged.notes,
      merged.record,
    );
  }

  // Syntax error: receivers ignore the whole record (permerror).
  if (!parsed.ok) {
    const without = parsed.term
      ? current.text
          .split(' ')
          .filter((t) => t !== parsed.term)
          .join(' ')
      : null;
    const repaired = without && parseSpf(without).ok ? mergeSpf(without, mechanism).record : null;
    return outcome(
      'error',
      `The SPF record of ${domain} has a mistake, so receivers ignore all of it: ${parsed.error}`,
      repaired
        ? `Correct or remove ${parsed.term}. Without it, the record reads: ${repaired} (if that term was meant to allow a server, correct it instead of removing it).`
        : `Correct the record at ${domain}: ${parsed.error}`,
      [`Current record: ${current.text}`],
      repaired,
    );
  }

  // A valid single record: how far does it go?
  const details: string[] = [];
  const count = await countSpfLookups(current.text, domain, client);
  let routeOk: boolean | null = null; // null: cannot tell
  let hostResult: SpfHostResult | null = null;
  if (need.kind === 'mechanism' && need.ip !== null) {
    hostResult = await checkHost(need.ip, domain, `postmaster@${domain}`, client);
    routeOk = hostResult.result === 'pass';
    details.push(
      `Checked the way receivers do, mail from ${need.ip} gets "${hostResult.result}": ${hostResult.reason}.`,
    );
  } else if (need.kind === 'mechanism' && need.includeDomain !== null) {
    routeOk = count.domains.includes(need.includeDomain);
  }
  const merge = mergeSpf(current.text, routeOk === false ? mechanism : null);
  const wanted = merge.changed ? merge.record : null;
  const wantedCount = wanted && routeOk === false ? await countSpfLookups(wanted, domain, client) : count;
  details.push(...lookupDetails(count, 'Your record'), LOOKUPS_EXPLAINED);
  if (wantedCount.lookups !== count.lookups) details.push(...lookupDetails(wantedCount, `With ${need.who} added`));
  details.push(...merge.notes);

  // Over the lookup limit, now or once the route is added.
  if (wantedCount.overLimit) {
    const already = count.overLimit;
    const n = `${wantedCount.complete ? '' : 'at least '}${wantedCount.lookups}`;
    const biggest = biggestIncludes(wantedCount, need.kind === 'mechanism' ? need.includeDomain : null);
    return outcome(
      'error',
      already
        ? `The SPF record of ${domain} needs ${n} DNS lookups; receivers stop at ${SPF_MAX_LOOKUPS} and then treat the record as broken.`
        : `Adding ${need.who} to the SPF record of ${domain} would need ${n} DNS lookups; receivers stop at ${SPF_MAX_LOOKUPS} and then treat the record as broken.`,
      `Remove the include: entries of services you no longer send with${biggest ? ` (${biggest} lookups)` : ''} until the count is ${SPF_MAX_LOOKUPS} or less, then check again. If you use them all, ask those providers whether they offer a shorter entry.`,
      details,
      null,
    );
  }
  if (wantedCount.voidLookups > SPF_MAX_VOID_LOOKUPS) {
    return outcome(
      'error',
      `The SPF record of ${domain} refers to ${wantedCount.voidLookups} names that do not exist or have no records (${wantedCount.voidTerms.join(', ')}); receivers allow at most ${SPF_MAX_VOID_LOOKUPS} and then treat the record as broken.`,
      `Remove the terms for names that no longer exist (${wantedCount.voidTerms.join(', ')}) from the TXT record at ${domain}.`,
      details,
      null,
    );
  }

  // Includes that cannot be read, loops, too many MX names.
  const broken = wantedCount.problems.filter((p) => p.kind !== 'macro' && p.kind !== 'dns-failed');
  if (broken.length > 0) {
    const first = broken[0] as SpfLookupProblem;
    // When the broken include is written in the person's own record, offer the record
    // without it; one deeper down belongs to a provider and only they can repair it.
    const own = current.text.split(' ').includes(first.term) && first.kind !== 'too-many-mx';
    const without = own
      ? current.text
          .split(' ')
          .filter((t) => t !== first.term)
          .join(' ')
      : null;
    const repaired =
      without && parseSpf(without).ok ? mergeSpf(without, routeOk === false ? mechanism : null).record : null;
    return outcome(
      'error',
      first.message,
      repaired
        ? `Remove ${first.term} from the TXT record at ${domain}, so that its value is: ${repaired} (if it belongs to a provider you still use, ask them for the right entry instead).`
        : `The entry ${first.term} needs to be corrected by whoever runs ${first.domain}; if you no longer use that service, remove the include: that leads to it from the TXT record at ${domain}.`,
      [...details, ...broken.slice(1).map((p) => p.message)],
      repaired,
    );
  }
  const failed = wantedCount.problems.filter((p) => p.kind === 'dns-failed');
  if (failed.length > 0 || hostResult?.result === 'temperror') {
    const first = failed[0];
    const timeout = first ? first.code === 'ETIMEOUT' : /did not answer in time/.test(hostResult?.reason ?? '');
    const what = first ? first.message : `Checking failed: ${hostResult?.reason}.`;
    return outcome(
      timeout ? 'warning' : 'error',
      timeout
        ? `Could not finish checking the SPF record of ${domain}. ${what} Try again in a few minutes.`
        : `Part of the SPF record of ${domain} cannot be read right now. ${what} Receivers get a temporary error too and may delay your mail.`,
      timeout
        ? 'Check again in a few minutes.'
        : `If this lasts more than a few hours, remove or correct ${first?.term ?? 'the failing entry'} or ask whoever runs it.`,
      details,
      null,
    );
  }
  if (hostResult?.result === 'permerror') {
    return outcome(
      'error',
      `Receivers treat the SPF record of ${domain} as broken: ${hostResult.reason}.`,
      'Correct the record, then check again.',
      details,
      null,
    );
  }

  // The route is not allowed by the record.
  if (routeOk === false && wanted) {
    const status = opts.pending ? 'pending' : 'error';
    const lead = opts.pending
      ? `The SPF record of ${domain} does not list ${need.who} yet. DNS changes can take from a few minutes to a few hours to reach everyone.`
      : `The SPF record of ${domain} does not let ${need.who} send mail for ${domain}, so receivers may treat that mail as forged.`;
    return outcome(status, lead, replaceRecordFix(domain, wanted), details, wanted);
  }
  if (routeOk === false) {
    return outcome(
      'error',
      `The SPF record of ${domain} does not let ${need.who} send mail for ${domain}.`,
      `Check the terms in front of ${mechanism} in the record at ${domain}: one of them refuses ${need.who} first.`,
      details,
      null,
    );
  }

  // The final "all".
  const all = parsed.terms.find((t) => t.kind === 'all');
  const hasRedirect = parsed.terms.some((t) => t.kind === 'modifier' && t.name === 'redirect');
  if (all && all.qualifier === '+') {
    return outcome(
      'warning',
      `The SPF record of ${domain} ends with ${all.raw}, which lets any server in the world send mail as ${domain}.`,
      wanted ? replaceRecordFix(domain, wanted) : null,
      details,
      wanted,
    );
  }
  if (all && all.qualifier === '?') {
    return outcome(
      'warning',
      `The SPF record of ${domain} ends with ?all, which tells receivers nothing about servers that are not listed, so it does not protect ${domain} from forged mail.`,
      wanted ? replaceRecordFix(domain, wanted) : null,
      details,
      wanted,
    );
  }
  if (!all && !hasRedirect) {
    return outcome(
      'warning',
      `The SPF record of ${domain} has no "all" at the end, so receivers get no advice about mail from servers that are not listed.`,
      wanted ? replaceRecordFix(domain, wanted) : null,
      details,
      wanted,
    );
  }

  const used = `${count.lookups} of ${SPF_MAX_LOOKUPS} DNS lookups used`;
  if (need.kind === 'unknown') {
    return outcome('warning', `The SPF record of ${domain} is valid (${used}), but ${need.why}`, null, details, null);
  }
  if (count.lookups === SPF_MAX_LOOKUPS) {
    // Exactly at the limit works today, but nothing can be added, and a provider adding
    // one lookup to its own include (they do, without notice) breaks SPF. At 9 there is
    // still one to spare, so that stays ok with the count in the details.
    return outcome(
      'warning',
      `SPF is set up for ${need.who}, but the record uses all ${SPF_MAX_LOOKUPS} DNS lookups receivers allow: if one of your providers adds a lookup to its own entry, your SPF record breaks.`,
      `Remove include: entries for services you no longer send with${biggestIncludes(count) ? ` (${biggestIncludes(count)} lookups)` : ''} to leave some room.`,
      details,
      null,
    );
  }
  if (need.kind === 'nothing') {
    return outcome('ok', `The SPF record of ${domain} is valid (${used}). ${need.note}`, null, details, null);
  }
  return outcome('ok', `SPF is set up: it lets ${need.who} send for ${domain} (${used}).`, null, details, null);
}
