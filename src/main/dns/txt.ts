// TXT values as people publish them. A TXT record is one or more character-strings
// that receivers join with nothing in between (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
// DNS panels differ: some want the value in quotes, others store the quotes the
// person typed as part of the value, which then breaks the record. We undo the
// second case to understand the record, and report it so the person can fix it.

export interface TxtValue {
  /** The record's text with pasted quotes removed. */
  text: string;
  /** True when the published value itself contains the quote characters someone pasted. */
  quoted: boolean;
}

/** `"abc" "def"` (optionally with spaces and stray outer whitespace) → abcdef. */
const QUOTED_STRINGS = /^\s*"((?:[^"\\]|\\.)*)"(?:\s*"((?:[^"\\]|\\.)*)")*\s*$/;

export function readTxt(strings: string[]): TxtValue {
  const joined = strings.join('');
  if (!joined.includes('"')) return { text: joined, quoted: false };
  if (QUOTED_STRINGS.test(joined)) {
    const parts = [...joined.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
    return { text: parts.join(''), quoted: true };
  }
  // Quotes in odd places (one at the end of a string, a leading one only): drop them all.
  return { text: joined.replace(/"/g, ''), quoted: true };
}

export type TagList = { ok: true; tags: Map<string, string>; order: string[] } | { ok: false; error: string };

/**
 * A DKIM/DMARC tag list (RFC 6376 §3.2): `tag=value; tag=value;`. Tag names are
 * case-sensitive in DKIM and compared in lower case for DMARC by the caller. A
 * repeated tag makes the whole record invalid.
 */
export function parseTagList(text: string): TagList {
  const tags = new Map<string, string>();
  const order: string[] = [];
  const parts = text.split(';');
  // One trailing ';' (and whitespace after it) is allowed.
  if (parts.length > 1 && (parts[parts.length - 1] ?? '').trim() === '') parts.pop();
  for (const raw of parts) {
    const spec = raw.trim();
    if (spec === '') return { ok: false, error: 'it has an empty part between two semicolons' };
    const eq = spec.indexOf('=');
    if (eq <= 0) return { ok: false, error: `"${clip(spec)}" is not written as name=value` };
    const name = spec.slice(0, eq).trim();
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return { ok: false, error: `"${clip(name)}" is not a valid tag name` };
    if (tags.has(name)) return { ok: false, error: `the tag "${name}" appears twice` };
    tags.set(name, spec.slice(eq + 1).trim());
    order.push(name);
  }
  return { ok: true, tags, order };
}

export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
