import type { LogRow, LogSort } from '../../shared/domain/delivery-log.ts';
import type { Db } from '../db/connection.ts';
import {
  ATOM_INDEX,
  type Atom,
  atomsOf,
  type Filters,
  filterTerms,
  joinFor,
  TEXT_LISTED,
  where,
} from './log-filter.ts';

// How the log screen finds a page, for a search (log-search.ts) and the CSV export
// (log-csv.ts), and reads its rows.
//
// The log screen must stay fast with millions of deliveries, so a page is found by
// keyset (the sort key of the last row seen), never OFFSET, and only the ids of a page
// are looked for (pageKeys); its 25–200 rows are read afterwards (loadRows). Left to
// itself, SQLite's planner (no statistics; ANALYZE did not change it) picks a status
// index for "delivered, queued one day three weeks ago, newest first" and walks
// ~600,000 rows (107 ms on the 1M-row bench, against 17 ms through the date index), and
// sorts every bounced row to show the first 50 by recipient (46 ms, against 2.5 ms
// walking the recipient index). So this file chooses the index itself, from cheap
// counts of each filter (see choosePlan).
// Indexes: src/main/db/migrations/003_log_indexes.ts. Figures: bench/log.ts.

// ------------------------------------------------------------------ sorts

interface SortSpec {
  /** SQL of the first sort key (it sorts with this collation too); null when the order is the id alone. */
  key: string | null;
  /** The column a cursor keeps for that key. */
  column: string | null;
  keyType: 'number' | 'string' | null;
  dir: 'ASC' | 'DESC';
  /** The index that hands rows over in this order (the id order needs none). */
  index: string | null;
}

export const SORTS: Record<LogSort, SortSpec> = {
  newest: { key: null, column: null, keyType: null, dir: 'DESC', index: null },
  oldest: { key: null, column: null, keyType: null, dir: 'ASC', index: null },
  'recently-updated': {
    key: 'd.updated_at',
    column: 'd.updated_at',
    keyType: 'number',
    dir: 'DESC',
    index: 'deliveries_updated',
  },
  recipient: {
    key: 'd.recipient COLLATE NOCASE',
    column: 'd.recipient',
    keyType: 'string',
    dir: 'ASC',
    index: 'deliveries_recipient',
  },
};

export interface Key {
  id: number;
  /** The first sort key's value (updated_at or recipient); absent for the id orders. */
  p?: number | string;
}

// ------------------------------------------------------------------ plans

/** How the ids of a page are found. */
type Driver =
  /** In the sort's own order: the rowid for the id orders, else the sort's index. */
  | { kind: 'walk' }
  /** Through one filter's index (in id order for a domain, else sorted). */
  | { kind: 'atom'; atom: Atom }
  /** Among the ids already collected: every match, at most the count cap of them. */
  | { kind: 'ids'; ids: number[] };

export interface SearchTuning {
  /** Matches counted exactly up to this many (then "more than"). */
  countCap: number;
  /** Each filter's own index is counted up to this many to choose the plan. */
  probeCap: number;
  /** A plan whose worst case costs at most this (≈ µs) wins over a cheaper guess. */
  budget: number;
  /** Tests: force a plan (falls back to the chosen one where it cannot apply). */
  force?: 'walk' | Atom | 'ids';
}

export const DEFAULT_TUNING: SearchTuning = { countCap: 10_000, probeCap: 200_000, budget: 20_000 };

/**
 * Rough cost per row visited, in µs, measured on a 1M-delivery log (bench/log.ts): a
 * walk along the table in rowid order; a lookup of the row from an index in near-id
 * order; an index-only row (counted or sorted by id); a lookup in random order; the
 * text match (a join with messages and five LIKEs).
 */
const COST = { rowid: 0.15, ordered: 0.3, indexOnly: 0.1, random: 1, text: 0.3 };

interface Plan {
  driver: Driver;
  total: { count: number; capped: boolean };
}

/** Counts one filter's rows through its index, up to `cap` + 1. */
function probe(db: Db, f: Filters, atom: Atom, cap: number): number {
  const params: Record<string, unknown> = { cap: cap + 1 };
  const terms = filterTerms(f, params, atom);
  return db
    .prepare(
      `SELECT count(*) FROM (SELECT 1 FROM deliveries d INDEXED BY ${ATOM_INDEX[atom]} ${where(terms)} LIMIT @cap)`,
    )
    .pluck()
    .get(params) as number;
}

export function choosePlan(db: Db, f: Filters, spec: SortSpec, pageSize: number, t: SearchTuning): Plan {
  const atoms = atomsOf(f);
  if (!atoms.length && f.like === null) {
    // The whole log. Counting it reads the narrowest index: ~10 ms for 1M rows.
    const count = db
      .prepare(`SELECT count(*) FROM deliveries d ${f.maxId !== null ? 'WHERE d.id <= @maxId' : ''}`)
      .pluck()
      .get(f.maxId !== null ? { maxId: f.maxId } : {}) as number;
    return { driver: { kind: 'walk' }, total: { count, capped: false } };
  }
  const counts = new Map(atoms.map((a) => [a, probe(db, f, a, t.probeCap)]));
  const capped = (a: Atom) => (counts.get(a) ?? 0) > t.probeCap;

  let total: Plan['total'];
  if (atoms.length === 1 && f.like === null && f.maxId === null && t.force !== 'ids') {
    const [a] = atoms as [Atom];
    total = capped(a) ? { count: t.probeCap, capped: true } : { count: counts.get(a) ?? 0, capped: false };
  } else {
    // Collect the matches, up to the cap: when they are few, they are the whole answer
    // (one pass, whatever the filter), and the page is sorted from them.
    const params: Record<string, unknown> = { cap: t.countCap + 1 };
    const byCount = [...atoms].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0));
    // The smallest filter drives; when all are large, the date range (its rows are
    // together), else the table in rowid order (no lookups).
    const first = byCount[0];
    const driver = first && !capped(first) ? first : atoms.includes('date') ? 'date' : null;
    const from = driver ? `deliveries d INDEXED BY ${ATOM_INDEX[driver]}` : 'deliveries d NOT INDEXED';
    const ids = db
      .prepare(`SELECT d.id FROM ${from} ${where(filterTerms(f, params, undefined, TEXT_LISTED))} LIMIT @cap`)
      .pluck()
      .all(params) as number[];
    if (ids.length <= t.countCap) return { driver: { kind: 'ids', ids }, total: { count: ids.length, capped: false } };
    total = { count: t.countCap, capped: true };
  }

  const forced = t.force;
  if (forced === 'walk') return { driver: { kind: 'walk' }, total };
  if (forced && forced !== 'ids' && atoms.includes(forced)) return { driver: { kind: 'atom', atom: forced }, total };

  // Estimate each way of finding one page (+1 row) and take the cheapest; but a plan
  // whose worst case fits the budget wins over a cheaper estimate, because estimates
  // assume the filters are independent of the order, and they are not: the deferred
  // ones are all recent, and a date range three weeks back is where the newest-first
  // walk arrives last.
  const n = Math.max(
    1,
    (db.prepare('SELECT (SELECT max(id) FROM deliveries) - (SELECT min(id) FROM deliveries) + 1').pluck().get() as
      | number
      | null) ?? 1,
  );
  const want = pageSize + 1;
  const matches = Math.max(
    total.count + 1,
    atoms.reduce((m, a) => (m * Math.max(1, counts.get(a) ?? 0)) / n, n),
  );
  const text = f.like !== null ? COST.text : 0;
  const idOrder = spec.key === null;
  // Rows a walk passes before the date range begins, in its direction.
  let skip = 0;
  if (atoms.includes('date')) {
    const beyond =
      spec.dir === 'DESC' && f.until !== null
        ? { since: f.until, until: null }
        : spec.dir === 'ASC' && idOrder && f.since !== null
          ? { since: null, until: f.since }
          : null;
    if (beyond) skip = probe(db, { ...f, ...beyond }, 'date', t.probeCap);
  }
  const options: { driver: Driver; estimate: number; worst: number }[] = [];
  const walkUnit = (idOrder ? COST.rowid : COST.random) + text;
  options.push({
    driver: { kind: 'walk' },
    estimate: Math.min(n, skip + (want * n) / matches) * walkUnit,
    worst: n * walkUnit,
  });
  for (const a of atoms) {
    const c = counts.get(a) ?? 0;
    const inOrder = idOrder && a === 'domain';
    // (maxId is on the rowid, which every index holds.)
    const needsRow = atoms.length > 1 || f.like !== null || !idOrder;
    const unit = (!needsRow ? COST.indexOnly : inOrder || a === 'date' ? COST.ordered : COST.random) + text;
    const visits = inOrder ? Math.min(c, (skip * c) / n + (want * c) / matches) : c;
    options.push({
      driver: { kind: 'atom', atom: a },
      estimate: visits * unit,
      worst: capped(a) ? Infinity : c * unit,
    });
  }
  const cheapest = (list: typeof options) =>
    list.reduce((best, o) => (o.estimate < best.estimate ? o : best), list[0] as (typeof options)[number]);
  const safe = options.filter((o) => o.worst <= t.budget);
  return { driver: cheapest(safe.length ? safe : options).driver, total };
}

/** The ids (and sort keys) of up to `limit` rows after or before `key`, in that direction's order. */
export function pageKeys(
  db: Db,
  f: Filters,
  spec: SortSpec,
  driver: Driver,
  key: Key | null,
  d: 'a' | 'b',
  limit: number,
): Key[] {
  const params: Record<string, unknown> = { limit };
  let from: string;
  let terms: string[];
  if (driver.kind === 'ids') {
    params.ids = JSON.stringify(driver.ids);
    from = 'deliveries d';
    terms = ['d.id IN (SELECT value FROM json_each(@ids))'];
  } else {
    from =
      driver.kind === 'atom'
        ? `deliveries d INDEXED BY ${ATOM_INDEX[driver.atom]}`
        : spec.index
          ? `deliveries d INDEXED BY ${spec.index}`
          : 'deliveries d NOT INDEXED';
    from += ` ${joinFor(f)}`;
    terms = filterTerms(f, params);
  }
  const dir = d === 'a' ? spec.dir : spec.dir === 'ASC' ? 'DESC' : 'ASC';
  const lt = dir === 'DESC' ? '<' : '>';
  if (key) {
    params.kid = key.id;
    if (spec.key === null) terms.push(`d.id ${lt} @kid`);
    else {
      params.kp = key.p;
      // Spelled out rather than a row value: SQLite seeks the index with this form.
      terms.push(`${spec.key} ${lt}= @kp AND (${spec.key} ${lt} @kp OR d.id ${lt} @kid)`);
    }
  }
  const order = spec.key === null ? `d.id ${dir}` : `${spec.key} ${dir}, d.id ${dir}`;
  const rows = db
    .prepare(
      `SELECT d.id AS id${spec.column ? `, ${spec.column} AS p` : ''} FROM ${from} ${where(terms)}
       ORDER BY ${order} LIMIT @limit`,
    )
    .all(params) as Key[];
  return rows;
}

// ------------------------------------------------------------------ rows

const ROW_SQL = `SELECT d.id, d.message_id AS messageId, m.queue_id AS queueId, m.source, m.mail_from AS mailFrom,
    m.subject, d.recipient, d.domain, d.status, d.attempts,
    CASE WHEN d.status IN ('queued', 'deferred') THEN d.next_attempt_at END AS nextAttemptAt,
    d.last_code AS lastCode, d.last_enhanced AS lastEnhanced, d.last_response AS lastResponse, d.category,
    d.created_at AS createdAt, d.updated_at AS updatedAt
  FROM deliveries d JOIN messages m ON m.id = d.message_id`;

/** The rows of these ids, in this order. */
export function loadRows(db: Db, ids: readonly number[]): LogRow[] {
  if (!ids.length) return [];
  const rows = db
    .prepare(`${ROW_SQL} WHERE d.id IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify(ids)) as LogRow[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
