import crypto from 'node:crypto';
import { z } from 'zod';
import { LOG_SORTS, type LogPage, type LogQueryParsed, type LogSort } from '../../shared/domain/delivery-log.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { type Filters, normaliseFilter } from './log-filter.ts';
import { choosePlan, DEFAULT_TUNING, type Key, loadRows, pageKeys, type SearchTuning, SORTS } from './log-plan.ts';

// The log screen's search (searchDeliveries): one page of deliveries, with the cursors
// that lead to the next and the previous page. A cursor holds the key of the row a page
// ends or starts at (keyset paging; how the page is found is log-plan.ts), the order,
// and a hash of the filter, so a cursor from another search is refused, not misread.

// ------------------------------------------------------------------ keyset cursors

const cursorSchema = z.strictObject({
  v: z.literal(1),
  s: z.enum(LOG_SORTS),
  /** Which search it belongs to: a hash of the filter. */
  f: z.string(),
  /** After this key (the next page) or before it (the previous page). */
  d: z.enum(['a', 'b']),
  id: z.number().int().nonnegative(),
  p: z.union([z.number(), z.string()]).optional(),
});
type Cursor = z.infer<typeof cursorSchema>;

function fingerprint(f: Filters): string {
  const json = JSON.stringify([f.statuses, f.domain, f.since, f.until, f.like]);
  return crypto.createHash('sha256').update(json).digest('base64url').slice(0, 12);
}

function encodeCursor(sort: LogSort, fp: string, d: 'a' | 'b', key: Key): string {
  const c: Cursor = { v: 1, s: sort, f: fp, d, id: key.id, ...(key.p !== undefined ? { p: key.p } : {}) };
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string, sort: LogSort, fp: string): Cursor {
  let parsed: Cursor | null = null;
  try {
    const r = cursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    if (r.success) parsed = r.data;
  } catch {
    // not base64url JSON: reported below
  }
  const spec = SORTS[sort];
  const keyFits = (c: Cursor) =>
    spec.keyType === null
      ? c.p === undefined
      : typeof c.p === spec.keyType && (typeof c.p !== 'number' || Number.isSafeInteger(c.p));
  if (!parsed || (parsed.s === sort && !keyFits(parsed))) {
    throw new MailroomError(
      'VALIDATION',
      'The page position sent with the search is not one Mailroom made; go back to the first page of the log.',
    );
  }
  if (parsed.s !== sort || parsed.f !== fp) {
    throw new MailroomError(
      'VALIDATION',
      'The page position belongs to another search (the filter or the order changed since); go back to the first page of the log.',
    );
  }
  return parsed;
}

// ------------------------------------------------------------------ search

/**
 * One page of the log. `next` continues in the chosen order; `previous` goes back, and
 * lands on the first page (previous: null) once fewer than a page of rows lie before.
 * The total is exact for the whole log, up to 200,000 for one filter alone and up to
 * 10,000 otherwise; beyond that `capped` is set and `count` is the cap ("more than").
 * `tuning` is for tests.
 */
export function searchDeliveries(db: Db, query: LogQueryParsed, tuning: Partial<SearchTuning> = {}): LogPage {
  const t = { ...DEFAULT_TUNING, ...tuning };
  const spec = SORTS[query.sort];
  const f = normaliseFilter(query.filter);
  const fp = fingerprint(f);
  const cursor = query.cursor ? decodeCursor(query.cursor, query.sort, fp) : null;
  const size = Math.min(Math.max(Math.trunc(query.pageSize) || 50, 1), 200);
  const plan = choosePlan(db, f, spec, size, t);
  const enc = (d: 'a' | 'b', key: Key) => encodeCursor(query.sort, fp, d, key);
  const cursorKey: Key | null = cursor ? { id: cursor.id, ...(cursor.p !== undefined ? { p: cursor.p } : {}) } : null;

  if (cursor?.d === 'b' && cursorKey) {
    const keys = pageKeys(db, f, spec, plan.driver, cursorKey, 'b', size + 1);
    if (keys.length > size) {
      const page = keys.slice(0, size).reverse();
      return {
        rows: loadRows(
          db,
          page.map((k) => k.id),
        ),
        next: enc('a', page[page.length - 1] as Key),
        previous: enc('b', page[0] as Key),
        total: plan.total,
      };
    }
    // Fewer than a page before it: that is the first page.
    return forward(null);
  }
  return forward(cursorKey);

  function forward(after: Key | null): LogPage {
    const keys = pageKeys(db, f, spec, plan.driver, after, 'a', size + 1);
    const page = keys.slice(0, size);
    const first = page[0] ?? after;
    return {
      rows: loadRows(
        db,
        page.map((k) => k.id),
      ),
      next: keys.length > size ? enc('a', page[page.length - 1] as Key) : null,
      previous: after && first ? enc('b', first) : null,
      total: plan.total,
    };
  }
}
