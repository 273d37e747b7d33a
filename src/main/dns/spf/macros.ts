import { MailroomError } from '../../../shared/errors.ts';
import { ipText, parseIp, unmapIpv4 } from './ip.ts';
import { MAX_NAME_LENGTH } from './limits.ts';

// SPF macro-strings (RFC 7208 §7): splitting them into literals and macros, expanding them
// for a sender, IP and domain, and turning the result into a DNS name to look up.

// ---------------------------------------------------------------------------------------
// Macro-string syntax (RFC 7208 §7.1)

/** One piece of a macro-string: literal text or a macro (RFC 7208 §7.1). */
type MacroToken =
  | { kind: 'literal'; text: string }
  | { kind: 'escape'; text: string }
  | { kind: 'macro'; letter: string; digits: number | null; reverse: boolean; delimiters: string; raw: string };

const MACRO_LETTERS = 'slodiphcrtv';
/** Only allowed in explanation text (RFC 7208 §7.1), never in a domain-spec. */
export const EXP_ONLY_LETTERS = 'crt';

/** Splits a macro-string, or returns a sentence saying what is wrong with it. */
export function tokenizeMacroString(s: string, term: string): MacroToken[] | string {
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

// ---------------------------------------------------------------------------------------
// Expanding macros (RFC 7208 §7)

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
export function toDnsName(expanded: string): string {
  let name = expanded.replace(/\.$/, '').toLowerCase();
  while (name.length > MAX_NAME_LENGTH && name.includes('.')) name = name.slice(name.indexOf('.') + 1);
  return name;
}

/** §4.3: labels of 1–63 characters, at least two labels, at most 253 characters. */
export function isValidDomainName(name: string): boolean {
  const n = name.replace(/\.$/, '');
  if (n.length === 0 || n.length > MAX_NAME_LENGTH) return false;
  const labels = n.split('.');
  return labels.length >= 2 && labels.every((l) => l.length >= 1 && l.length <= 63);
}
