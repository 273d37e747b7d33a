import { ipv6Bytes } from './ip.ts';
import { EXP_ONLY_LETTERS, tokenizeMacroString } from './macros.ts';

// An SPF record as text: finding it among a name's TXT records (RFC 7208 §4.5) and parsing
// its terms with a plain-words sentence for the first bad one (§4.6, §12).

// ---------------------------------------------------------------------------------------
// Finding the record (RFC 7208 §4.5)

/** "v=spf1" followed by a space or the end: "v=spf10" is not SPF. Case-insensitive. */
export const SPF_VERSION = /^v=spf1( |$)/i;

export interface SpfCandidate {
  /** The record text, quotes removed. */
  text: string;
  /** The value was wrapped in quote characters, so receivers do not see an SPF record. */
  quoted: boolean;
}

/**
 * A value pasted into a DNS panel together with its quotes ("v=spf1 … ~all") is stored
 * with the quotes as part of the text. Word processors turn " into “ ”, so those count too.
 */
export function stripQuotes(text: string): string | null {
  const m = /^\s*["“”]([\s\S]*)["“”]\s*$/.exec(text);
  return m ? (m[1] as string).trim() : null;
}

export function spfCandidates(txt: string[][]): SpfCandidate[] {
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
export function strictSpfRecords(txt: string[][]): string[] {
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

export function parseTerm(raw: string): SpfTerm | { error: string } {
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
