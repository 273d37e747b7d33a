import { type ContactFilter, contactFilterSchema } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { Params, parseDefinition, segmentWhere } from './segment-sql.ts';

// How the contacts page, the bulk actions and the export find the contacts a filter
// matches, newest first (by id), a page at a time: keyset on the id, never OFFSET, so a
// page costs the same with 1,000,000 contacts as with 10.
//
// Each filter is a row check over `c` (filterTerms). Some also have an index that hands
// over candidates (an "atom"): a list or a tag (list_members / contact_tags hold
// (list_id|tag_id, contact_id), so they give ids in id order), the text (prefix ranges
// on address_key, first_name, last_name; unordered) and "suppressed" (the suppressions
// table joined on the key; unordered). choosePlan counts each atom up to the cap: when
// one is small, its matches are collected whole (exact total, pages cut from that list);
// otherwise the page walks the smallest ordered index (or the table by id), checking
// the rest, and stops after a page. The total is exact up to the cap; beyond it, or when
// combined filters would need more than `scanBudget` rows read to count, it is a lower
// bound marked `capped` ("more than N"). Indexes: migrations 008 and 009.

export interface Tuning {
  /** Matches counted exactly up to this many, then "more than". */
  countCap: number;
  /**
   * When filters combine and none is small, the count reads at most this many candidate
   * rows; past that it is "at least" what it found (capped).
   */
  scanBudget: number;
}
export const DEFAULT_TUNING: Tuning = { countCap: 10_000, scanBudget: 10_000 };

/** The filter as SQL sees it. */
export interface Filters {
  /** Lower-cased words; each must start the address, the first name or the last name. */
  words: string[];
  listId: number | null;
  status: string | null;
  tagId: number | null;
  suppressed: boolean | null;
  segmentId: number | null;
}

export function normaliseFilter(filter: ContactFilter = {}): Filters {
  const r = contactFilterSchema.safeParse(filter);
  if (!r.success) throw new MailroomError('VALIDATION', `The filter is not valid: ${r.error.issues[0]?.message}.`);
  const f = r.data;
  const words = (f.text ?? '').normalize('NFC').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 5);
  return {
    words,
    listId: f.listId ?? null,
    status: f.listId !== undefined ? (f.status ?? null) : null,
    tagId: f.tagId ?? null,
    suppressed: f.suppressed ?? null,
    segmentId: f.segmentId ?? null,
  };
}

export const isEmptyFilter = (f: Filters) =>
  !f.words.length && f.listId === null && f.tagId === null && f.suppressed === null && f.segmentId === null;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
/** The upper end of a prefix range: every string that starts with the prefix sorts below it. */
const upper = (s: string) => `${s}\u{10FFFF}`;

/**
 * How a lower-cased word may start a name. SQLite folds only ASCII letters (NOCASE,
 * LIKE), so "élodie" would miss "Élodie": a word with other letters is also tried with
 * a capital first letter and in capitals.
 */
export function nameForms(w: string): string[] {
  if (/^[\x00-\x7f]*$/.test(w)) return [w];
  const cap = `${w.slice(0, 1).toUpperCase()}${w.slice(1)}`;
  return [...new Set([w, cap, w.toUpperCase()])];
}

/** The row checks for the whole filter, over contacts `c`. */
export function filterTerms(db: Db, f: Filters, p: Params): string[] {
  const terms: string[] = [];
  for (const w of f.words) {
    const key = `c.address_key LIKE ${p.add(`${escapeLike(w)}%`)} ESCAPE '\\'`;
    const names = nameForms(w).flatMap((form) => {
      const like = p.add(`${escapeLike(form)}%`);
      return [`c.first_name LIKE ${like} ESCAPE '\\'`, `c.last_name LIKE ${like} ESCAPE '\\'`];
    });
    terms.push(`(${[key, ...names].join(' OR ')})`);
  }
  if (f.listId !== null) {
    terms.push(
      `EXISTS (SELECT 1 FROM list_members fm WHERE fm.list_id = ${p.add(f.listId)} AND fm.contact_id = c.id${f.status ? ` AND fm.status = ${p.add(f.status)}` : ''})`,
    );
  }
  if (f.tagId !== null) {
    terms.push(`EXISTS (SELECT 1 FROM contact_tags ft WHERE ft.tag_id = ${p.add(f.tagId)} AND ft.contact_id = c.id)`);
  }
  if (f.suppressed !== null) {
    terms.push(`${f.suppressed ? '' : 'NOT '}EXISTS (SELECT 1 FROM suppressions fs WHERE fs.key = c.address_key)`);
  }
  if (f.segmentId !== null) {
    const def = db.prepare('SELECT definition FROM segments WHERE id = ?').pluck().get(f.segmentId) as
      | string
      | undefined;
    if (def === undefined)
      throw new MailroomError('NOT_FOUND', `There is no segment #${f.segmentId}; it may have been deleted.`);
    terms.push(segmentWhere(db, parseDefinition(JSON.parse(def)), p));
  }
  return terms;
}

export const where = (terms: string[]) => (terms.length ? `WHERE ${terms.join(' AND ')}` : '');

/** The index ranges where a word starts an address or a name (@lo, @hi: the prefix range). */
function textRanges(w: string): { sql: string; lo: string }[] {
  return [
    { sql: 'address_key >= @lo AND address_key < @hi', lo: w },
    ...nameForms(w).flatMap((form) => [
      { sql: 'first_name COLLATE NOCASE >= @lo AND first_name COLLATE NOCASE < @hi', lo: form },
      { sql: 'last_name COLLATE NOCASE >= @lo AND last_name COLLATE NOCASE < @hi', lo: form },
    ]),
  ];
}

/** The longest word narrows most. */
const longestWord = (f: Filters) => [...f.words].sort((a, b) => b.length - a.length)[0] as string;

type Atom = 'list' | 'tag' | 'text' | 'suppressed';

/** The ids one atom's index hands over (a subquery selecting `id`), unordered or in id order. */
function atomSource(f: Filters, atom: Atom, p: Params): string {
  switch (atom) {
    case 'list':
      return f.status
        ? `SELECT contact_id AS id FROM list_members WHERE list_id = ${p.add(f.listId)} AND status = ${p.add(f.status)}`
        : `SELECT contact_id AS id FROM list_members WHERE list_id = ${p.add(f.listId)}`;
    case 'tag':
      return `SELECT contact_id AS id FROM contact_tags WHERE tag_id = ${p.add(f.tagId)}`;
    case 'text': {
      // Names compare without case (their indexes are NOCASE), in each of their forms.
      const w = longestWord(f);
      return textRanges(w)
        .map(
          (r) =>
            `SELECT id FROM contacts WHERE ${r.sql.replace('@lo', p.add(r.lo)).replace('@hi', p.add(upper(r.lo)))}`,
        )
        .join(' UNION ');
    }
    case 'suppressed':
      return 'SELECT c2.id AS id FROM suppressions s2 JOIN contacts c2 ON c2.address_key = s2.key WHERE s2.address IS NOT NULL';
  }
}

function atomsOf(f: Filters): Atom[] {
  const atoms: Atom[] = [];
  if (f.listId !== null) atoms.push('list');
  if (f.tagId !== null) atoms.push('tag');
  if (f.words.length) atoms.push('text');
  if (f.suppressed === true) atoms.push('suppressed');
  return atoms;
}

export type Driver = { kind: 'walk' } | { kind: 'ordered'; atom: 'list' | 'tag' } | { kind: 'ids'; ids: number[] };

export interface Plan {
  f: Filters;
  driver: Driver;
  total: { count: number; capped: boolean };
}

function countUpTo(db: Db, sql: string, params: Record<string, unknown>, cap: number): number {
  return db
    .prepare(`SELECT count(*) FROM (${sql} LIMIT ${cap + 1})`)
    .pluck()
    .get(params) as number;
}

/**
 * Each atom's candidates, counted up to the cap through its index alone. The text's
 * three prefix ranges are counted one by one (a UNION would sort them all first): the
 * largest of them is what decides whether the text is small.
 */
function probe(db: Db, f: Filters, atom: Atom, cap: number): number {
  if (atom === 'suppressed') {
    // The do-not-send list's size: an upper bound (not every entry is a contact), read
    // without a lookup per entry.
    return countUpTo(db, 'SELECT 1 FROM suppressions WHERE address IS NOT NULL', {}, cap);
  }
  if (atom !== 'text') {
    const p = new Params();
    return countUpTo(db, atomSource(f, atom, p), p.values, cap);
  }
  return Math.max(
    ...textRanges(longestWord(f)).map((r) =>
      countUpTo(db, `SELECT 1 FROM contacts WHERE ${r.sql}`, { lo: r.lo, hi: upper(r.lo) }, cap),
    ),
  );
}

export function choosePlan(db: Db, f: Filters, t: Tuning = DEFAULT_TUNING): Plan {
  const cap = t.countCap;
  if (isEmptyFilter(f)) {
    // Every contact: the count reads the narrowest index once.
    const count = db.prepare('SELECT count(*) FROM contacts').pluck().get() as number;
    return { f, driver: { kind: 'walk' }, total: { count, capped: false } };
  }
  const atoms = atomsOf(f);
  const counts = new Map<Atom, number>(atoms.map((a) => [a, probe(db, f, a, cap)]));
  const bySize = [...atoms].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0));
  const smallest = bySize[0];
  if (smallest && (counts.get(smallest) ?? 0) <= cap) {
    // Few candidates: check them all; the matches are the whole answer.
    const p = new Params();
    const src = atomSource(f, smallest, p);
    const ids = db
      .prepare(
        `SELECT c.id FROM (${src}) src CROSS JOIN contacts c ON c.id = src.id ${where(filterTerms(db, without(f, smallest), p))}`,
      )
      .pluck()
      .all(p.values) as number[];
    ids.sort((a, b) => b - a);
    return { f, driver: { kind: 'ids', ids }, total: { count: ids.length, capped: false } };
  }
  const ordered = bySize.filter((a): a is 'list' | 'tag' => a === 'list' || a === 'tag');
  const driver: Driver = ordered[0] ? { kind: 'ordered', atom: ordered[0] } : { kind: 'walk' };
  // One filter alone with more than `cap` candidates: its probe is the answer.
  const p = new Params();
  const { from, terms } = driverFrom(db, f, driver, p);
  const rest = smallest === 'text' && f.words.length === 1 ? { ...f, words: [] } : without(f, smallest as Atom);
  if (atoms.length === 1 && smallest !== 'suppressed' && filterTerms(db, rest, new Params()).length === 0) {
    return { f, driver, total: { count: cap, capped: true } };
  }
  // Otherwise count along the driver, but read at most `scanBudget` of its rows: past
  // that the count says "at least this many" (capped) rather than slow the page down.
  const check = terms.length ? terms.join(' AND ') : '1';
  const r = db
    .prepare(
      `SELECT count(*) AS scanned, coalesce(sum(ok), 0) AS matched FROM (SELECT (${check}) AS ok FROM ${from} LIMIT ${t.scanBudget})`,
    )
    .get(p.values) as { scanned: number; matched: number };
  if (r.matched > cap) return { f, driver, total: { count: cap, capped: true } };
  return { f, driver, total: { count: r.matched, capped: r.scanned >= t.scanBudget } };
}

/** The filter without one atom (its index already guarantees it). */
function without(f: Filters, atom: Atom): Filters {
  switch (atom) {
    case 'list':
      return { ...f, listId: null, status: null };
    case 'tag':
      return { ...f, tagId: null };
    case 'suppressed':
      return { ...f, suppressed: null };
    case 'text':
      // The source matched the longest word's prefix ranges only; every word is still checked.
      return f;
  }
}

/** FROM and WHERE for a driver; the id column is `k`. */
function driverFrom(db: Db, f: Filters, driver: Driver, p: Params): { from: string; terms: string[]; k: string } {
  if (driver.kind === 'ordered') {
    const src = atomSource(f, driver.atom, p);
    // The subquery is a plain index range: SQLite walks it in contact_id order.
    return {
      from: `(${src}) src CROSS JOIN contacts c ON c.id = src.id`,
      terms: filterTerms(db, without(f, driver.atom), p),
      k: 'src.id',
    };
  }
  return { from: 'contacts c', terms: filterTerms(db, f, p), k: 'c.id' };
}

/**
 * Up to `limit` matching ids after (`d` = 'a': smaller ids, the next page) or before
 * (`d` = 'b': larger ids) `key`, in that direction's order.
 */
export function pageIds(db: Db, plan: Plan, key: number | null, d: 'a' | 'b', limit: number): number[] {
  const { driver, f } = plan;
  if (driver.kind === 'ids') {
    const ids = driver.ids; // newest first
    if (d === 'a') {
      const start = key === null ? 0 : ids.findIndex((id) => id < key);
      return start < 0 ? [] : ids.slice(start, start + limit);
    }
    const out: number[] = [];
    for (let i = ids.length - 1; i >= 0 && out.length < limit; i--) {
      const id = ids[i] as number;
      if (key === null || id > key) out.push(id);
    }
    return out;
  }
  const p = new Params();
  const { from, terms, k } = driverFrom(db, f, driver, p);
  if (key !== null) terms.push(`${k} ${d === 'a' ? '<' : '>'} ${p.add(key)}`);
  return db
    .prepare(
      `SELECT ${k} FROM ${from} ${where(terms)} ORDER BY ${k} ${d === 'a' ? 'DESC' : 'ASC'} LIMIT ${p.add(limit)}`,
    )
    .pluck()
    .all(p.values) as number[];
}

/**
 * Every matching id, newest first, `size` at a time (bulk actions and the export). The
 * filter is checked at once (a bad one throws here), the pages are read as iterated.
 */
export function matchingIdPages(db: Db, filter: ContactFilter, size = 1000): Iterable<number[]> {
  const plan = choosePlan(db, normaliseFilter(filter));
  return (function* () {
    let key: number | null = null;
    for (;;) {
      const ids = pageIds(db, plan, key, 'a', size);
      if (ids.length) yield ids;
      if (ids.length < size) return;
      key = ids[ids.length - 1] as number;
    }
  })();
}
