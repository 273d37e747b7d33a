// Per-cell helpers the import applies to each row: splitting cells that hold several values,
// warnings worth showing on a row, and numbers and dates written the way spreadsheets write them.

/**
 * Splits a cell holding several values: Google's " ::: " (`* myContacts ::: Friends`),
 * Mailchimp's quoted tags (`"Member","2025 waiver"`), Shopify's and most spreadsheets'
 * comma lists (`vip, horeca`), Outlook's semicolon categories. Empty parts are dropped; a
 * leading `* ` (Google's "primary" mark) is removed.
 */
export function splitMulti(cell: string): string[] {
  const t = cell.trim();
  if (t === '') return [];
  let parts: string[];
  if (t.includes(':::')) {
    parts = t.split(':::');
  } else if (t.startsWith('"')) {
    parts = splitQuotedList(t);
  } else if (t.includes(';')) {
    parts = t.split(';');
  } else {
    parts = t.split(',');
  }
  const out: string[] = [];
  for (const p of parts) {
    const v = p.trim().replace(/^\*\s+/, '');
    if (v !== '' && !out.includes(v)) out.push(v);
  }
  return out;
}

// `"Member","2025 waiver","a ""quoted"" one"` -> three values; anything outside quotes that is
// not a comma is kept as part of the next value.
function splitQuotedList(t: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < t.length) {
    while (i < t.length && (t[i] === ',' || t[i] === ' ')) i++;
    if (i >= t.length) break;
    if (t[i] === '"') {
      let v = '';
      i++;
      while (i < t.length) {
        if (t[i] === '"') {
          if (t[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += t[i++];
      }
      out.push(v);
    } else {
      const end = t.indexOf(',', i);
      out.push(t.slice(i, end < 0 ? t.length : end));
      i = end < 0 ? t.length : end;
    }
  }
  return out;
}

export interface CellWarning {
  code: 'mojibake' | 'formula' | 'long' | 'lost-letter' | 'exchange' | 'unreadable' | 'control';
  reason: string;
}

export const MAX_FIELD_LENGTH = 255;

// UTF-8 read as Windows-1252: "Ã¼" for ü, "Ã©" for é, "â€™" for ’, "Ã" + another Latin-1 char.
const MOJIBAKE =
  /Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|â€|Â[\u00a0-\u00bf]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const X500 = /^\/o=[^/]+\/ou=/i;

/** An Exchange (X.500) directory path, what Outlook exports for an "EX" address instead of the email address. */
export function isExchangePath(value: string): boolean {
  return X500_CELL.test(value);
}
const X500_CELL = /^\s*\/o=[^/]+\/ou=/i;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// Any character a check below starts from: a formula or X.500 first character, U+FFFD, the
// lead characters of mojibake, '?', a control character.
const SUSPECT = /^[=+\-@\t\r/]|[\ufffd\u00c3\u00c2\u00e2?\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const NO_WARNINGS: CellWarning[] = Object.freeze([]) as unknown as CellWarning[];

/**
 * Warnings for one cell's value. `kind` narrows the checks: 'name' adds the lost-letter
 * check (Excel's ANSI "CSV" writes `?` for letters the code page lacks), 'email' the
 * Exchange (X.500) check.
 */
export function cellWarnings(value: string, kind: 'name' | 'email' | 'other' = 'other'): CellWarning[] {
  // Fast path (the import calls this for every mapped cell of a million rows): nothing that
  // any check below looks for.
  if (value.length <= MAX_FIELD_LENGTH && !SUSPECT.test(value)) return NO_WARNINGS;
  const out: CellWarning[] = [];
  if (value.includes('\ufffd')) {
    out.push({
      code: 'unreadable',
      reason: 'has a character that could not be read in this encoding; check the encoding chosen for the file',
    });
  }
  if (MOJIBAKE.test(value)) {
    out.push({
      code: 'mojibake',
      reason: `probable garbled letters ("${value.slice(0, 60)}"): the file may have been saved in another encoding than it was read in`,
    });
  }
  if (kind === 'email' && X500.test(value.trim())) {
    out.push({
      code: 'exchange',
      reason: 'an Exchange address (an internal Outlook directory path), not an email address',
    });
  } else if (FORMULA_START.test(value)) {
    out.push({
      code: 'formula',
      reason: 'starts like a spreadsheet formula; it is stored as text and defused when exported',
    });
  }
  if (value.length > MAX_FIELD_LENGTH) {
    out.push({ code: 'long', reason: `is very long (${value.length} characters)` });
  }
  if (kind === 'name' && /\p{L}\?|\?\p{L}/u.test(value)) {
    out.push({
      code: 'lost-letter',
      reason: `has a "?" inside a name ("${value.slice(0, 60)}"): a letter was probably lost when the file was saved`,
    });
  }
  if (CONTROL.test(value)) {
    out.push({ code: 'control', reason: 'contains an invisible control character' });
  }
  return out;
}

/** Outlook writes "0/0/00" for an empty date; true for that and for an empty cell. */
export function isEmptyDate(value: string): boolean {
  const t = value.trim();
  return t === '' || t === '0/0/00' || t === '00.00.00' || t === '0.0.00';
}

/**
 * A number written as a person writes it: `1234.5`, `1,234.56`, `1.234,56`, `1234,5`,
 * `1 234,56`, with an optional sign, currency sign or `'` prefix. null when not a number.
 */
export function parseNumber(value: string): number | null {
  let t = value
    .trim()
    .replace(/^'/, '')
    .replace(/[\s\u00a0\u202f]/g, '')
    .replace(/^[€$£¥]|[€$£¥]$/g, '');
  if (t === '' || !/^[+-]?[\d.,']+$/.test(t) || !/\d/.test(t)) return null;
  t = t.replace(/'/g, ''); // Swiss thousands
  const lastComma = t.lastIndexOf(',');
  const lastDot = t.lastIndexOf('.');
  if (lastComma >= 0 && lastDot >= 0) {
    // The later one is the decimal mark.
    t = lastComma > lastDot ? t.replace(/\./g, '').replace(',', '.') : t.replace(/,/g, '');
  } else if (lastComma >= 0) {
    const commas = t.split(',').length - 1;
    const after = t.length - lastComma - 1;
    // One comma not followed by exactly three digits is a decimal comma; "1,234" stays ambiguous
    // and is read as thousands only with more than one group ("1,234,567").
    t = commas === 1 && after !== 3 ? t.replace(',', '.') : commas > 1 ? t.replace(/,/g, '') : t.replace(',', '.');
  } else if (lastDot >= 0 && t.split('.').length - 1 > 1) {
    t = t.replace(/\./g, ''); // 1.234.567
  }
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export interface ParsedDate {
  /** YYYY-MM-DD */
  date: string;
  /** Set when the day and month could be swapped (e.g. 03/04/2024 read as US M/D/YYYY). */
  ambiguous?: string;
}

function valid(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1000 || y > 9999) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A date as spreadsheets and providers write it -> YYYY-MM-DD: `DD.MM.YYYY` (European),
 * `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (Mailchimp; the time is dropped), `M/D/YYYY` (US; when
 * both parts are ≤ 12 the reading is reported as ambiguous, unless `order` says how the column
 * writes them: see slashDateOrder). Two-digit years are not guessed.
 * null when not a date (or Outlook's empty "0/0/00").
 */
export function parseDate(value: string, order?: 'mdy' | 'dmy' | null): ParsedDate | null {
  const t = value.trim();
  if (isEmptyDate(t)) return null;
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return valid(y, mo, d) ? { date: `${y}-${pad(mo)}-${pad(d)}` } : null;
  }
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(t);
  if (m) {
    const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return valid(y, mo, d) ? { date: `${y}-${pad(mo)}-${pad(d)}` } : null;
  }
  m = SLASH_DATE.exec(t);
  if (m) {
    const [a, b, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [mo, d] = order === 'dmy' ? [b, a] : [a, b];
    if (valid(y, mo, d)) {
      const date = `${y}-${pad(mo)}-${pad(d)}`;
      if (!order && a !== b && a <= 12 && b <= 12) {
        return {
          date,
          ambiguous: `"${t}" was read as month/day/year (${date}); if the file writes day/month/year it is ${y}-${pad(b)}-${pad(a)}`,
        };
      }
      return { date };
    }
    // 31/12/2024: day first (UK, France), unambiguous because 31 is no month.
    if (!order && valid(y, b, a)) return { date: `${y}-${pad(b)}-${pad(a)}` };
    return null;
  }
  return null;
}

const SLASH_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/**
 * The order of a column's slash dates, from its values: 'dmy' when some first part is over
 * 12 (31/12/2024), 'mdy' when some second part is (12/31/2024), null when no value tells
 * (or both do: the column is mixed, and each value is read on its own).
 */
export function slashDateOrder(values: Iterable<string>): 'mdy' | 'dmy' | null {
  let dmy = false;
  let mdy = false;
  for (const v of values) {
    const m = SLASH_DATE.exec(v.trim());
    if (!m) continue;
    if (Number(m[1]) > 12) dmy = true;
    if (Number(m[2]) > 12) mdy = true;
  }
  return dmy === mdy ? null : dmy ? 'dmy' : 'mdy';
}
