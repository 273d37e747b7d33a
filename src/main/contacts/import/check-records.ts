import type { FieldType, ImportMapping, ImportProblem } from '../../../shared/domain/contacts.ts';
import { checkAddress, UNREADABLE } from '../address.ts';
import {
  cellWarnings,
  isEmptyDate,
  isExchangePath,
  MAX_FIELD_LENGTH,
  parseDate,
  parseNumber,
  splitMulti,
} from './cells.ts';
import { FirstSeen } from './first-seen.ts';
import { CUSTOM_FIELD_PREFIX } from './header-map.ts';

// One record of the file becomes one row to stage, or a problem that says why not.
// Pure: no database, so the dry run, the import and the tests see the same decisions.

export interface SourceRecord {
  /** 1-based data record (the header is not a record). */
  record: number;
  /** 1-based line where the record starts. */
  line: number;
  cells: string[];
  /** More non-empty fields than the header: the row's columns cannot be trusted. */
  extra: boolean;
}

/** What gets staged for one valid, first-seen address. */
export interface StagedRow {
  record: number;
  key: string;
  address: string;
  firstName: string;
  lastName: string;
  company: string;
  /** JSON object of custom field values, or null. */
  fields: string | null;
  /** JSON array of tag names from the file, or null. */
  tags: string | null;
  /** JSON object of the provider's consent evidence, or null. */
  detail: string | null;
  /** The row said no to email marketing: kept as a contact, never subscribed. */
  declined: boolean;
}

export interface RecordChecker {
  /** The staged row, or null when the record is blank or left out (its problems say why). */
  check(rec: SourceRecord): StagedRow | null;
  readonly problems: ImportProblem[];
  readonly counts: { records: number; blank: number; skipped: number; declined: number };
}

const CONSENT_COLUMNS: Record<string, string> = {
  optin_time: 'optinTime',
  optin_ip: 'optinIp',
  confirm_time: 'confirmTime',
  confirm_ip: 'confirmIp',
  accepts_email_marketing: 'acceptsEmailMarketing',
  unsub_reason: 'unsubReason',
  unsub_time: 'unsubTime',
  clean_campaign_title: 'cleanCampaignTitle',
  clean_time: 'cleanTime',
};

// Printable ASCII without a formula start (= + - @) or a "?" (a lost letter): no cell
// warning can apply, so the full checks are skipped (most cells of most files).
const PLAIN_CELL = /^[\x20-\x2a\x2c\x2e-\x3c\x3e\x41-\x7e][\x20-\x3e\x40-\x7e]*$/;

const NO = /^(no|n|false|0|nein|non|unsubscribed|not_subscribed)$/i;

/** `keyOf` returns the key staged for an earlier record (duplicates: see first-seen.ts). */
export function recordChecker(
  mapping: ImportMapping,
  fieldTypes: Record<string, FieldType>,
  headerLength: number,
  keyOf: (record: number) => string | undefined,
): RecordChecker {
  const emailCol = mapping.email;
  const col = (name: string) => mapping[name];
  const firstCol = col('first_name');
  const lastCol = col('last_name');
  const companyCol = col('company');
  const tagsCol = col('tags');
  const custom = Object.entries(mapping)
    .filter(([f]) => f.startsWith(CUSTOM_FIELD_PREFIX))
    .map(([f, c]) => {
      const key = f.slice(CUSTOM_FIELD_PREFIX.length);
      return { key, col: c, type: fieldTypes[key] ?? 'text' };
    });
  const consent = Object.entries(mapping)
    .filter(([f]) => f in CONSENT_COLUMNS)
    .map(([f, c]) => ({ name: CONSENT_COLUMNS[f] as string, col: c, field: f }));
  // Every mapped column but the address (checkAddress refuses an unreadable one itself).
  const stored = Object.entries(mapping)
    .filter(([f]) => f !== 'email')
    .map(([, c]) => c);
  // Cell warnings are for what gets stored: the mapped columns only, in column order (a
  // phone column left out of the import would otherwise warn "formula" for every +33 number).
  const kinds: ('name' | 'email' | 'other')[] = [];
  for (const c of Object.values(mapping)) kinds[c] = 'other';
  if (emailCol !== undefined) kinds[emailCol] = 'email';
  for (const c of [firstCol, lastCol]) if (c !== undefined) kinds[c] = 'name';
  const warned = Object.keys(kinds).map(Number); // integer keys come in ascending order
  const seen = new FirstSeen(keyOf);
  const firstWith = (key: string, record: number) => seen.firstWith(key, record);
  const problems: ImportProblem[] = [];
  const counts = { records: 0, blank: 0, skipped: 0, declined: 0 };
  const cellAt = (cells: string[], c: number | undefined) => (c === undefined ? '' : (cells[c] ?? '').trim());

  function problem(rec: SourceRecord, kind: ImportProblem['kind'], value: string | null, reason: string) {
    problems.push({ record: rec.record, line: rec.line, kind, value: own(value), reason });
  }

  function check(rec: SourceRecord): StagedRow | null {
    counts.records++;
    const { cells } = rec;
    if (cells.every((c) => c.trim() === '')) {
      counts.blank++;
      return null;
    }
    if (rec.extra) {
      const extra = cells.slice(headerLength).filter((c) => c.trim() !== '').length;
      counts.skipped++;
      problem(
        rec,
        'malformed',
        cells.join(', ').slice(0, 200),
        extra > 0
          ? `This row has ${extra} more filled cell${extra === 1 ? '' : 's'} than the header has columns, so its columns cannot be trusted: left out.`
          : 'This row has more filled cells than the header has columns, so its columns cannot be trusted: left out.',
      );
      return null;
    }
    const raw = emailCol === undefined ? '' : (cells[emailCol] ?? '');
    if (raw.trim() === '') {
      counts.skipped++;
      problem(rec, 'no-address', null, 'This row has no email address: left out.');
      return null;
    }
    // Outlook writes an internal directory path for an Exchange ("EX") entry; checkAddress would
    // only say it is not an address, this says what it is and what to do.
    if (isExchangePath(raw)) {
      counts.skipped++;
      problem(
        rec,
        'invalid',
        raw,
        'This is an Exchange address (an internal Outlook directory path), not an email address: open the contact in Outlook and copy the real address. Left out.',
      );
      return null;
    }
    const addr = checkAddress(raw);
    if (!addr.ok) {
      counts.skipped++;
      problem(rec, 'invalid', raw, `Not a valid email address: ${addr.reason} Left out.`);
      return null;
    }
    // A stored cell with U+FFFD or a lone surrogate lost a letter (the file was read in the
    // wrong encoding, or is damaged): the row is left out rather than stored misspelled, and
    // the report says how to fix it. Checked before duplicates so no key is taken by it.
    for (const c of stored) {
      const v = cells[c];
      if (v !== undefined && v !== '' && !PLAIN_CELL.test(v) && UNREADABLE.test(v)) {
        counts.skipped++;
        problem(
          rec,
          'malformed',
          v,
          `Column ${c + 1}: a character could not be read (U+FFFD): pick the file's encoding in the preview. Left out.`,
        );
        return null;
      }
    }
    const first = firstWith(addr.key, rec.record);
    if (first !== undefined) {
      counts.skipped++;
      problems.push({
        record: rec.record,
        line: rec.line,
        kind: 'duplicate',
        value: own(raw),
        reason: `The same address as record ${first}: only the first one is imported.`,
        sameAs: first,
      });
      return null;
    }
    for (const sentence of addr.normalised) problem(rec, 'normalised', raw, `${sentence} Imported as ${addr.address}.`);
    // Imported, but the user should know: not every receiving server takes these.
    if (addr.utf8Local) {
      problem(
        rec,
        'warning',
        raw,
        'The part before the "@" has letters beyond A–Z: only mail servers that accept international addresses (SMTPUTF8) take it, so some deliveries may be refused.',
      );
    }
    if (addr.idn) {
      problem(
        rec,
        'warning',
        raw,
        `An international domain: mail to it is addressed to ${addr.key.slice(addr.key.lastIndexOf('@') + 1)}.`,
      );
    }
    for (const c of warned) {
      const cell = cells[c];
      if (cell === undefined || cell === '' || (cell.length <= MAX_FIELD_LENGTH && PLAIN_CELL.test(cell))) continue;
      for (const w of cellWarnings(cell, kinds[c] ?? 'other')) {
        problem(rec, 'warning', cell.slice(0, 200), `Column ${c + 1}: ${w.reason}.`);
      }
    }

    let fields: Record<string, string | number> | null = null;
    for (const f of custom) {
      const v = cellAt(cells, f.col);
      if (v === '') continue;
      let value: string | number | null = v;
      if (f.type === 'number') value = parseNumber(v);
      else if (f.type === 'date') {
        if (isEmptyDate(v)) continue;
        const d = parseDate(v);
        if (d?.ambiguous) problem(rec, 'warning', v, `The date for the field ${f.key}: ${d.ambiguous}`);
        value = d?.date ?? null;
      }
      if (value === null) {
        problem(rec, 'warning', v, `"${v}" is not a ${f.type} for the field ${f.key}: that field is left empty.`);
        continue;
      }
      fields ??= {};
      fields[f.key] = value;
    }
    let detail: Record<string, string> | null = null;
    let declined = false;
    for (const c of consent) {
      const v = cellAt(cells, c.col);
      if (v === '') continue;
      detail ??= {};
      detail[c.name] = v;
      if (c.field === 'accepts_email_marketing' && NO.test(v)) declined = true;
    }
    if (declined) counts.declined++;
    let tags: string[] | null = null;
    if (tagsCol !== undefined) {
      const v = cellAt(cells, tagsCol);
      if (v !== '') {
        const list = [...new Set(splitMulti(v).map((t) => t.trim().slice(0, 100)))].filter((t) => t !== '');
        if (list.length > 0) tags = list;
      }
    }
    return {
      record: rec.record,
      key: addr.key,
      address: addr.address,
      firstName: cellAt(cells, firstCol),
      lastName: cellAt(cells, lastCol),
      company: cellAt(cells, companyCol),
      fields: fields ? JSON.stringify(fields) : null,
      tags: tags ? JSON.stringify(tags) : null,
      detail: detail ? JSON.stringify(detail) : null,
      declined,
    };
  }

  return { check, problems, counts };
}

/**
 * A copy of a cell kept for the report. A cell may be a slice of a large decoded chunk of the
 * file, and keeping the slice would keep the whole chunk alive.
 */
function own(s: string | null): string | null {
  // Unreadable characters are shown as "?" so the report never stores U+FFFD either.
  return s === null
    ? null
    : Buffer.from(s, 'utf8')
        .toString('utf8')
        .replace(/\uFFFD/g, '?');
}
