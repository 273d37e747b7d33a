import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import libqp from 'libqp';

// vCard (.vcf) from Apple Contacts (3.0) and Outlook/Android (2.1, quoted-printable with "="
// soft line breaks, CHARSET=...). ical.js parses 3.0 but throws on 2.1 soft breaks (ical.js
// #187) and gives no line numbers, so this is a small reader of its own: unfold, QP-decode,
// unescape, then take EMAIL, N/FN, ORG and CATEGORIES. Each card becomes one record with
// fixed virtual columns; a card's other addresses are kept in "Other Emails" and noted.

export const VCARD_HEADER = ['Email', 'First Name', 'Last Name', 'Company', 'Categories', 'Other Emails'] as const;

export interface VcardRow {
  /** Line of the card's BEGIN:VCARD. */
  line: number;
  cells: string[];
}

export interface VcardRead {
  cards: number;
  rows: VcardRow[];
  notes: string[];
}

interface Property {
  name: string;
  params: Map<string, string[]>;
  value: string;
  line: number;
}

const MAX_NOTES = 20;
/** The properties a record is made from; the others (PHOTO, NOTE, TEL...) are not decoded. */
const USED = new Set(['EMAIL', 'N', 'FN', 'ORG', 'CATEGORIES']);

/** Splits on `sep` not preceded by a backslash escape and not inside double quotes (params). */
function splitUnescaped(s: string, sep: string, quotes = false): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && !quotes) {
      cur += c + s[i + 1];
      i++;
      continue;
    }
    if (quotes && c === '"') inQuote = !inQuote;
    if (c === sep && !inQuote) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function unescapeText(v: string): string {
  return v.replace(/\\([\\,;nN:])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function parseProperty(logical: string, line: number): Property | null {
  // NAME;PARAMS:VALUE — the first ':' outside a quoted parameter value ends the name part.
  let colon = -1;
  let inQuote = false;
  for (let i = 0; i < logical.length; i++) {
    const c = logical[i];
    if (c === '"') inQuote = !inQuote;
    else if (c === ':' && !inQuote) {
      colon = i;
      break;
    }
  }
  if (colon < 0) return null;
  const [rawName, ...rawParams] = splitUnescaped(logical.slice(0, colon), ';', true);
  const name = rawName!
    .replace(/^[^.]*\./, '')
    .trim()
    .toUpperCase(); // item1.EMAIL -> EMAIL
  const params = new Map<string, string[]>();
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    // vCard 2.1 allows bare parameter values: EMAIL;INTERNET;PREF:...
    const key = (eq < 0 ? bareParamKey(p) : p.slice(0, eq)).trim().toUpperCase();
    const vals = (eq < 0 ? p : p.slice(eq + 1)).split(',').map((v) => v.replace(/^"|"$/g, '').trim());
    params.set(key, [...(params.get(key) ?? []), ...vals]);
  }
  return { name, params, value: logical.slice(colon + 1), line };
}

function bareParamKey(p: string): string {
  const v = p.trim().toUpperCase();
  if (v === 'QUOTED-PRINTABLE' || v === 'BASE64' || v === '8BIT' || v === '7BIT') return 'ENCODING';
  return 'TYPE';
}

function isQp(params: Map<string, string[]>): boolean {
  return (params.get('ENCODING') ?? []).some((e) => e.toUpperCase() === 'QUOTED-PRINTABLE');
}

/** Logical lines with the physical line each starts on: folded lines joined, QP soft breaks joined. */
function logicalLines(text: string): Array<{ text: string; line: number }> {
  const physical = text.split(/\r\n|\n|\r/);
  const out: Array<{ text: string; line: number }> = [];
  let qpOpen = false;
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i]!;
    const last = out[out.length - 1];
    if (last && qpOpen) {
      // Quoted-printable soft break: "=" at the end joins the next line as is (a space at
      // its start is content: QP writes spaces literally except at a line's end).
      last.text = last.text.slice(0, -1) + raw;
      qpOpen = last.text.endsWith('=');
      continue;
    }
    if (last && (raw.startsWith(' ') || raw.startsWith('\t'))) {
      last.text += raw.slice(1); // RFC 6350/2426 folding
      qpOpen = false;
      continue;
    }
    if (raw.trim() === '') {
      qpOpen = false;
      continue;
    }
    out.push({ text: raw, line: i + 1 });
    const head = raw.slice(0, raw.indexOf(':') < 0 ? raw.length : raw.indexOf(':'));
    qpOpen = /QUOTED-PRINTABLE/i.test(head) && raw.endsWith('=');
  }
  return out;
}

function isBase64(params: Map<string, string[]>): boolean {
  return (params.get('ENCODING') ?? []).some((e) => /^(b|base64)$/i.test(e));
}

function decodeValue(p: Property): string {
  const qp = isQp(p.params);
  // A few phones write names in base64 (ENCODING=B); photos are never decoded here.
  if (!qp && !isBase64(p.params)) return p.value;
  const bytes = qp ? libqp.decode(p.value) : Buffer.from(p.value.replace(/\s+/g, ''), 'base64');
  const charset = (p.params.get('CHARSET')?.[0] ?? '').toLowerCase();
  // A CHARSET is trusted only when the bytes are valid in it: phones write CHARSET=UTF-8 over
  // Windows-1252 bytes (M=FCller), which decoded as labelled would store U+FFFD for a letter.
  const utf8 = isUtf8(bytes);
  if (charset === 'utf-8' || charset === 'utf8')
    return utf8 ? bytes.toString('utf8') : iconv.decode(bytes, 'windows-1252');
  if (charset && iconv.encodingExists(charset)) {
    const text = iconv.decode(bytes, charset);
    if (!text.includes('\uFFFD')) return text;
  }
  return utf8 ? bytes.toString('utf8') : iconv.decode(bytes, 'windows-1252');
}

/** Reads every card of a decoded .vcf text. */
export function readVcard(text: string): VcardRead {
  const rows: VcardRow[] = [];
  const notes: string[] = [];
  let extraNotes = 0;
  let card: Property[] | null = null;
  let cardLine = 0;
  for (const l of logicalLines(text)) {
    const upper = l.text.trim().toUpperCase();
    if (upper === 'BEGIN:VCARD') {
      card = [];
      cardLine = l.line;
      continue;
    }
    if (upper === 'END:VCARD') {
      if (card) {
        const row = cardToRow(card, cardLine);
        rows.push(row);
        const others = row.cells[5] ? row.cells[5].split(' ::: ') : [];
        if (others.length > 0) {
          extraNotes++;
          if (extraNotes <= MAX_NOTES) {
            notes.push(
              `The card at line ${cardLine} has ${others.length + 1} addresses; the first (${row.cells[0]}) is imported, the others are in the column "Other Emails": ${others.join(', ')}.`,
            );
          }
        }
      }
      card = null;
      continue;
    }
    if (!card) continue;
    const p = parseProperty(l.text, l.line);
    if (p) card.push(p);
  }
  if (extraNotes > MAX_NOTES) notes.push(`${extraNotes - MAX_NOTES} more cards have more than one address.`);
  return { cards: rows.length, rows, notes };
}

function cardToRow(props: Property[], line: number): VcardRow {
  const emails: Array<{ v: string; pref: boolean }> = [];
  let first = '';
  let last = '';
  let fn = '';
  let company = '';
  const categories: string[] = [];
  for (const p of props) {
    if (!USED.has(p.name)) continue;
    const value = decodeValue(p);
    switch (p.name) {
      case 'EMAIL': {
        const v = unescapeText(value).trim();
        const types = (p.params.get('TYPE') ?? []).map((t) => t.toUpperCase());
        const pref = types.includes('PREF') || p.params.has('PREF');
        if (v && !emails.some((e) => e.v === v)) emails.push({ v, pref });
        break;
      }
      case 'N': {
        const parts = splitUnescaped(value, ';').map((x) => unescapeText(x).trim());
        last = parts[0] ?? '';
        first = [parts[1], parts[2]].filter(Boolean).join(' ');
        break;
      }
      case 'FN':
        fn = unescapeText(value).trim();
        break;
      case 'ORG':
        company = unescapeText(splitUnescaped(value, ';')[0] ?? '').trim();
        break;
      case 'CATEGORIES':
        for (const c of splitUnescaped(value, ',')) {
          const t = unescapeText(c).trim();
          if (t && !categories.includes(t)) categories.push(t);
        }
        break;
    }
  }
  if (!first && !last && fn && fn !== company) {
    const words = fn.split(/\s+/);
    last = words.length > 1 ? words.pop()! : '';
    first = words.join(' ');
  }
  // The preferred address first, then the others in file order.
  const ordered = [...emails.filter((e) => e.pref), ...emails.filter((e) => !e.pref)].map((e) => e.v);
  return {
    line,
    cells: [ordered[0] ?? '', first, last, company, categories.join(', '), ordered.slice(1).join(' ::: ')],
  };
}
