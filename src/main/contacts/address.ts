import { hash } from 'node:crypto';
import { domainToASCII, domainToUnicode } from 'node:url';

// Whether a cell holds one email address a campaign can be sent to, and the key that
// identifies its owner. Structural, not a pattern: split at the one "@", check the local
// part as a dot-atom (RFC 5322, with UTF-8 allowed as RFC 6531 does), and the domain label
// by label after IDNA (url.domainToASCII is UTS-46: it lowercases and maps; it does not
// check letters-digits-hyphens, so that is done here).
//
// A few harmless normalisations are allowed, and each one is reported, so an address is
// never silently changed into another: surrounding spaces, a `mailto:` prefix, `Name <addr>`
// and invisible characters at the edges. Anything else that is not a plain address is
// refused with a reason a person can act on.

export type AddressCheck =
  | {
      ok: true;
      /** The address as typed, after the reported normalisations. */
      address: string;
      /** NFC, lowercase local part @ lowercase A-label domain: one contact per key. */
      key: string;
      /** One sentence per normalisation applied. */
      normalised: string[];
      /** The local part has non-ASCII letters: only servers offering SMTPUTF8 accept it. */
      utf8Local: boolean;
      /** The domain is internationalised: it is sent as its punycode (xn--) form. */
      idn: boolean;
    }
  | { ok: false; reason: string };

// Characters allowed unquoted in a local part (RFC 5322 atext), plus any non-ASCII
// character that is not a control, format or space character (checked separately).
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\u{10FFFF}-]+$/u;
// Controls, format characters (zero-width space, BOM, bidi controls, soft hyphen) and separators.
const INVISIBLE_OR_SPACE = /[\p{Cc}\p{Cf}\p{Z}]/u;
const EDGE_INVISIBLE = /^[\p{Cf}]+|[\p{Cf}]+$/gu;
// Not String.trim: it counts U+FEFF as a space, and that one is reported as invisible.
const EDGE_SPACE = /^[\t\n\v\f\r\p{Z}]+|[\t\n\v\f\r\p{Z}]+$/gu;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// The common case (plain ASCII, no edges to trim) skips the IDNA pass.
const PLAIN = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

/** U+FFFD (a character the decoder could not read) or a lone surrogate (half a character). */
export const UNREADABLE = /[\uFFFD\p{Cs}]/u;

export function checkAddress(raw: string): AddressCheck {
  if (PLAIN.test(raw)) return checkPlain(raw) ?? checkBare(raw, []);
  // U+FFFD stands for bytes the decoder could not read, and a lone surrogate is half a
  // character: either means the letter is lost, so the address is not the person's.
  if (UNREADABLE.test(raw)) {
    return { ok: false, reason: "A character in it could not be read: choose the file's encoding in the preview." };
  }
  const normalised: string[] = [];
  let s = raw;

  // Spaces and invisible characters may be mixed at the edges; peel both until none is left.
  let spaces = false;
  let invisible = false;
  for (let before = ''; before !== s; ) {
    before = s;
    const trimmed = s.replace(EDGE_SPACE, '');
    spaces ||= trimmed !== s;
    s = trimmed.replace(EDGE_INVISIBLE, '');
    invisible ||= s !== trimmed;
  }
  if (spaces) normalised.push('Removed spaces around the address.');
  if (invisible) normalised.push('Removed invisible characters around the address.');
  if (s === '') return { ok: false, reason: 'The cell is empty.' };

  const angle = /^([^<>]*)<([^<>]*)>\s*$/s.exec(s);
  if (angle) {
    const name = angle[1]!.trim().replace(/^"(.*)"$/s, '$1');
    const inside = angle[2]!.trim();
    // `"bob@example.com" <bob@example.com>` is one address; another one in the name is not.
    if (name.includes('@') && name.toLowerCase() !== inside.toLowerCase()) {
      return { ok: false, reason: `It holds two addresses ("${name}" and "${inside}"): put one address per row.` };
    }
    normalised.push(`Took the address out of "${s}".`);
    s = inside;
  } else if (s.includes('<') || s.includes('>')) {
    return { ok: false, reason: 'It has a "<" or ">" that does not enclose one address.' };
  } else {
    const several = severalAddresses(s);
    if (several) return { ok: false, reason: several };
  }
  if (/^mailto:/i.test(s)) {
    normalised.push('Removed "mailto:" in front of the address.');
    s = s.slice(7).split('?')[0]!;
  }
  return checkBare(s, normalised);
}

/** The key of an address that is already known to be valid (as stored). */
export function addressKey(address: string): string {
  const check = checkAddress(address);
  if (!check.ok) throw new Error(`not a valid address: ${check.reason}`);
  return check.key;
}

/** What a suppression's key becomes once the contact was erased: only a hash remains. */
export function suppressionHashKey(key: string): string {
  return `sha256:${hash('sha256', key, 'hex')}`;
}

/**
 * The common case without the general path's Unicode work (an import checks a million of
 * these): ASCII letters, digits and ._%+- only, so only dots, lengths and labels can be wrong.
 * Anything it does not accept goes through the general path for its reason.
 */
function checkPlain(s: string): AddressCheck | null {
  const at = s.indexOf('@');
  const local = s.slice(0, at);
  if (at > 64 || s.length > 254) return null;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  const domain = checkDomain(s.slice(at + 1));
  if ('reason' in domain) return null;
  return {
    ok: true,
    address: s,
    key: `${local.toLowerCase()}@${domain.ascii}`,
    normalised: [],
    utf8Local: false,
    idn: false,
  };
}

function checkBare(s: string, normalised: string[]): AddressCheck {
  const at = s.lastIndexOf('@');
  if (at === -1) return { ok: false, reason: 'It has no "@".' };
  if (s.indexOf('@') !== at) return { ok: false, reason: 'It has more than one "@".' };
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.startsWith('"')) {
    return { ok: false, reason: 'Quoted addresses ("…"@domain) are not accepted for lists.' };
  }
  if (INVISIBLE_OR_SPACE.test(s)) {
    return { ok: false, reason: 'It contains a space or an invisible character inside the address.' };
  }
  if (local === '') return { ok: false, reason: 'Nothing comes before the "@".' };
  if (domain === '') return { ok: false, reason: 'Nothing comes after the "@".' };
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return { ok: false, reason: 'The part before the "@" starts or ends with a dot, or has two dots in a row.' };
  }
  for (const atom of local.split('.')) {
    if (!ATEXT.test(atom)) {
      return { ok: false, reason: `The part before the "@" contains a character addresses cannot have ("${local}").` };
    }
  }
  if (Buffer.byteLength(local) > 64) {
    return { ok: false, reason: 'The part before the "@" is longer than 64 characters.' };
  }

  const domainResult = checkDomain(domain);
  if ('reason' in domainResult) return { ok: false, reason: domainResult.reason };
  const { ascii, idn } = domainResult;
  if (Buffer.byteLength(local) + 1 + ascii.length > 254) {
    return { ok: false, reason: 'The address is longer than 254 characters.' };
  }
  const key = `${local.normalize('NFC').toLowerCase()}@${ascii}`;
  const utf8Local = /[^\x00-\x7f]/.test(local);
  return { ok: true, address: s, key, normalised, utf8Local, idn };
}

type DomainCheck = { ascii: string; idn: boolean } | { reason: string };

// Lists repeat a few domains (gmail.com, the town's provider) thousands of times; IDNA
// is the slow part of a check, so each domain is checked once per batch of this size.
const domainCache = new Map<string, DomainCheck>();
const DOMAIN_CACHE_SIZE = 20_000;

function checkDomain(domain: string): DomainCheck {
  let result = domainCache.get(domain);
  if (result === undefined) {
    if (domainCache.size >= DOMAIN_CACHE_SIZE) domainCache.clear();
    result = checkDomainUncached(domain);
    domainCache.set(domain, result);
  }
  return result;
}

function checkDomainUncached(domain: string): DomainCheck {
  if (domain.startsWith('[') || /^[0-9.]+$/.test(domain)) {
    return { reason: 'The part after the "@" is a network address, not a domain name.' };
  }
  const idn = /[^\x00-\x7f]/.test(domain);
  let ascii = domain.toLowerCase();
  if (idn) {
    ascii = domainToASCII(domain);
    if (ascii === '') return { reason: `The domain "${domain}" is not a valid internationalised domain name.` };
    // UTS-46 also maps look-alikes (a full-width dot, ideographic full stop, compatibility
    // letters) to other characters. That would turn what was typed into another address.
    if (domainToUnicode(ascii) !== domain.normalize('NFC').toLowerCase()) {
      return {
        reason: `The domain "${domain}" contains characters that stand in for others (such as a full-width dot); type it with plain characters.`,
      };
    }
  }
  const labels = ascii.split('.');
  if (labels.length < 2) return { reason: `The domain "${domain}" has no dot: it needs an ending such as .com.` };
  if (ascii.length > 253) return { reason: 'The domain is longer than 253 characters.' };
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return {
        reason:
          label === ''
            ? `The domain "${domain}" has an empty part (two dots in a row, or a dot at the start or end).`
            : `The domain "${domain}" has a part ("${label}") with characters a domain cannot have, or a hyphen at its start or end.`,
      };
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    return { reason: `The domain "${domain}" ends in a number: it is not a domain name.` };
  }
  return { ascii, idn };
}

/** A cell holding two addresses is reported, never merged nor cut down to one. */
function severalAddresses(s: string): string | null {
  const ats = s.split('@').length - 1;
  if (ats < 2) return null;
  const parts = s
    .split(/\s*(?:,|;|:::|\s)\s*/)
    .map((p) => p.replace(/^<|>$/g, ''))
    .filter((p) => p.includes('@'));
  if (parts.length < 2) return null;
  return `It holds ${parts.length} addresses (${parts.slice(0, 3).join(', ')}): put one address per row.`;
}
