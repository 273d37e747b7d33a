import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../shared/domain/delivery.ts';
import {
  LOG_SORTS,
  type LogActionResult,
  type LogDetail,
  type LogFilter,
  type LogPage,
  type LogQueryParsed,
  type LogRow,
  type LogSort,
  type TodayCounts,
} from '../../shared/domain/delivery-log.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { toAsciiDomain } from '../domains/domains-service.ts';
import type { DeliveryQueue } from './delivery-queue.ts';

// The delivery log: the CLI's `log` command (queryDeliveryLog), and the window's log
// screen (search, detail, cancel / retry, today's counts, CSV export).
//
// The log screen must stay fast with millions of deliveries, so a page is found by
// keyset (the sort key of the last row seen), never OFFSET, and only the ids of a page
// are looked for; its 25–200 rows are read afterwards. Left to itself, SQLite's planner
// (no statistics; ANALYZE did not change it) picks a status index for "delivered, queued
// one day three weeks ago, newest first" and walks ~600,000 rows (107 ms on the 1M-row
// bench, against 17 ms through the date index), and sorts every bounced row to show the
// first 50 by recipient (46 ms, against 2.5 ms walking the recipient index). So this
// file chooses the index itself, from cheap counts of each filter (see choosePlan).
// Indexes: src/main/db/migrations/003_log_indexes.ts. Figures: bench/log.ts.

// ------------------------------------------------------------------ the CLI's log

export interface DeliveryEvent {
  at: number;
  kind: string;
  route: string | null;
  remoteHost: string | null;
  tls: boolean | null;
  code: number | null;
  enhanced: string | null;
  response: string | null;
  detail: string | null;
}

export interface DeliveryLogEntry {
  id: number;
  messageId: number;
  queueId: string;
  source: string;
  mailFrom: string;
  subject: string | null;
  headerMessageId: string | null;
  recipient: string;
  status: string;
  attempts: number;
  nextAttemptAt: number | null;
  lastCode: number | null;
  lastEnhanced: string | null;
  lastResponse: string | null;
  category: string | null;
  createdAt: number;
  updatedAt: number;
  events: DeliveryEvent[];
}

/**
 * Reads the delivery log: deliveries with every attempt's event. `message` matches
 * our numeric id, the queue id, or the Message-ID header (with or without <>).
 */
export function queryDeliveryLog(
  db: Db,
  filter: { message?: string; recipient?: string; limit?: number },
): DeliveryLogEntry[] {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: Math.min(Math.max(filter.limit ?? 100, 1), 10_000) };
  if (filter.message !== undefined) {
    const ref = filter.message.trim();
    params.ref = ref;
    params.refId = /^\d+$/.test(ref) ? Number(ref) : -1;
    params.refAngle = ref.startsWith('<') ? ref : `<${ref}>`;
    where.push('(m.id = @refId OR m.queue_id = @ref OR m.message_id = @ref OR m.message_id = @refAngle)');
  }
  if (filter.recipient !== undefined) {
    params.recipient = filter.recipient.trim();
    where.push('d.recipient = @recipient COLLATE NOCASE');
  }
  const rows = db
    .prepare(
      `SELECT d.id, d.message_id AS messageId, m.queue_id AS queueId, m.source, m.mail_from AS mailFrom, m.subject,
         m.message_id AS headerMessageId, d.recipient, d.status, d.attempts,
         CASE WHEN d.status IN ('queued', 'deferred') THEN d.next_attempt_at END AS nextAttemptAt,
         d.last_code AS lastCode, d.last_enhanced AS lastEnhanced, d.last_response AS lastResponse, d.category,
         d.created_at AS createdAt, d.updated_at AS updatedAt
       FROM deliveries d JOIN messages m ON m.id = d.message_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY d.id DESC LIMIT @limit`,
    )
    .all(params) as Omit<DeliveryLogEntry, 'events'>[];
  return rows.map((r) => ({ ...r, events: readEvents(db, r.id) }));
}

/** Every event of one delivery, oldest first. */
function readEvents(db: Db, deliveryId: number): DeliveryEvent[] {
  const rows = db
    .prepare(
      `SELECT at, kind, route, remote_host AS remoteHost, tls, code, enhanced, response, detail
       FROM delivery_events WHERE delivery_id = ? ORDER BY at, id`,
    )
    .all(deliveryId) as (Omit<DeliveryEvent, 'tls'> & { tls: number | null })[];
  return rows.map((e) => ({ ...e, tls: e.tls === null ? null : e.tls === 1 }));
}

// ------------------------------------------------------------------ search: filters and sorts

/** The filter as SQL sees it: null where the user did not narrow. */
interface Filters {
  statuses: DeliveryStatus[] | null;
  domain: string | null;
  since: number | null;
  until: number | null;
  /** The text as a LIKE pattern, wildcards escaped. */
  like: string | null;
  /** The CSV export leaves out deliveries queued after it started. */
  maxId: number | null;
}

/** Filters with an index of their own, and that index. */
type Atom = 'status' | 'domain' | 'date';
const ATOM_INDEX: Record<Atom, string> = {
  // (status, next_attempt_at, rowid): counts a status and sorts it by id without the table.
  status: 'deliveries_due',
  // (domain, rowid): a domain's deliveries come out in id order.
  domain: 'deliveries_domain',
  // (created_at, rowid): ids in it are nearly in order, so its lookups are nearly sequential.
  date: 'deliveries_created',
};

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

const SORTS: Record<LogSort, SortSpec> = {
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

function normaliseFilter(filter: LogFilter): Filters {
  const statuses = [...new Set(filter.statuses ?? [])].filter((s) => DELIVERY_STATUSES.includes(s)).sort();
  let domain: string | null = null;
  const typed = filter.domain?.trim().replace(/^@/, '');
  // The store holds lower-case ASCII (punycode) domains; a name that is not a valid host
  // name still filters (by its lower-case form) and simply matches nothing.
  if (typed) domain = toAsciiDomain(typed) ?? typed.toLowerCase();
  const text = filter.text?.trim();
  return {
    statuses: statuses.length && statuses.length < DELIVERY_STATUSES.length ? statuses : null,
    domain,
    since: filter.since ?? null,
    until: filter.until ?? null,
    like: text ? `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
    maxId: null,
  };
}

function atomsOf(f: Filters): Atom[] {
  const atoms: Atom[] = [];
  if (f.statuses) atoms.push('status');
  if (f.domain !== null) atoms.push('domain');
  if (f.since !== null || f.until !== null) atoms.push('date');
  return atoms;
}

const like = (column: string) => `${column} LIKE @like ESCAPE '\\'`;
const MESSAGE_TEXT = ['m.mail_from', 'm.subject', 'm.queue_id', 'm.message_id'].map(like).join(' OR ');
/**
 * The text match, two ways. Joined: each row looks up its message (cheap when a walk
 * stops after a page). As a list: the messages that match are found once, by scanning
 * the narrow index messages_search instead of the table (whose rows carry the message
 * bytes), then each delivery checks the list; the pass over every row, when few match.
 */
const TEXT_JOINED = `(${like('d.recipient')} OR ${MESSAGE_TEXT})`;
const TEXT_LISTED = `(${like('d.recipient')} OR d.message_id IN (
  SELECT m.id FROM messages m INDEXED BY messages_search WHERE ${MESSAGE_TEXT}))`;

/** WHERE terms for the filter (or one atom of it), with their parameters. */
function filterTerms(f: Filters, params: Record<string, unknown>, only?: Atom, text = TEXT_JOINED): string[] {
  const terms: string[] = [];
  if (f.statuses && (!only || only === 'status')) {
    const names = f.statuses.map((s, i) => {
      params[`s${i}`] = s;
      return `@s${i}`;
    });
    terms.push(`d.status IN (${names.join(', ')})`);
  }
  if (f.domain !== null && (!only || only === 'domain')) {
    params.domain = f.domain;
    terms.push('d.domain = @domain');
  }
  if (!only || only === 'date') {
    if (f.since !== null) {
      params.since = f.since;
      terms.push('d.created_at >= @since');
    }
    if (f.until !== null) {
      params.until = f.until;
      terms.push('d.created_at < @until');
    }
  }
  if (!only) {
    if (f.like !== null) {
      params.like = f.like;
      terms.push(text);
    }
    if (f.maxId !== null) {
      params.maxId = f.maxId;
      terms.push('d.id <= @maxId');
    }
  }
  return terms;
}

const where = (terms: string[]) => (terms.length ? `WHERE ${terms.join(' AND ')}` : '');
const joinFor = (f: Filters) => (f.like !== null ? 'CROSS JOIN messages m ON m.id = d.message_id' : '');

// ------------------------------------------------------------------ search: keyset cursors

interface Key {
  id: number;
  /** The first sort key's value (updated_at or recipient); absent for the id orders. */
  p?: number | string;
}

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

// ------------------------------------------------------------------ search: plans

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

const DEFAULT_TUNING: SearchTuning = { countCap: 10_000, probeCap: 200_000, budget: 20_000 };

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

function choosePlan(db: Db, f: Filters, spec: SortSpec, pageSize: number, t: SearchTuning): Plan {
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
function pageKeys(
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

const ROW_SQL = `SELECT d.id, d.message_id AS messageId, m.queue_id AS queueId, m.source, m.mail_from AS mailFrom,
    m.subject, d.recipient, d.domain, d.status, d.attempts,
    CASE WHEN d.status IN ('queued', 'deferred') THEN d.next_attempt_at END AS nextAttemptAt,
    d.last_code AS lastCode, d.last_enhanced AS lastEnhanced, d.last_response AS lastResponse, d.category,
    d.created_at AS createdAt, d.updated_at AS updatedAt
  FROM deliveries d JOIN messages m ON m.id = d.message_id`;

/** The rows of these ids, in this order. */
function loadRows(db: Db, ids: readonly number[]): LogRow[] {
  if (!ids.length) return [];
  const rows = db
    .prepare(`${ROW_SQL} WHERE d.id IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify(ids)) as LogRow[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

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

// ------------------------------------------------------------------ detail

const HEADER_READ_BYTES = 256 * 1024;
const MAX_HEADER_FIELDS = 200;
const MAX_HEADER_VALUE = 2000;

/** One delivery with its message's header fields and every event. */
export function deliveryDetail(db: Db, dataDir: string, id: number): LogDetail {
  const [delivery] = Number.isSafeInteger(id) ? loadRows(db, [id]) : [];
  if (!delivery) {
    throw new MailroomError(
      'NOT_FOUND',
      `There is no delivery ${id} in the log. It may have been removed; refresh the list and pick it again.`,
    );
  }
  const m = db
    .prepare(
      `SELECT id, queue_id AS queueId, source, mail_from AS mailFrom, header_from AS headerFrom, subject,
         message_id AS headerMessageId, size, created_at AS createdAt,
         substr(body, 1, ${HEADER_READ_BYTES}) AS head, spool_path AS spoolPath,
         (SELECT count(*) FROM deliveries WHERE message_id = messages.id) AS recipients
       FROM messages WHERE id = ?`,
    )
    .get(delivery.messageId) as Omit<LogDetail['message'], 'headers'> & {
    head: Buffer | null;
    spoolPath: string | null;
  };
  const { head, spoolPath, ...message } = m;
  return {
    delivery,
    message: { ...message, headers: parseHeaderFields(head ?? readSpoolHead(dataDir, spoolPath)) },
    events: readEvents(db, id),
  };
}

/**
 * The start of a spooled message. The path is relative to the data folder, as
 * MessageLoader reads it; a missing file gives no headers rather than no detail.
 */
function readSpoolHead(dataDir: string, spoolPath: string | null): Buffer {
  if (!spoolPath) return Buffer.alloc(0); // a campaign message: rendered per recipient, no stored bytes
  const file = path.join(dataDir, spoolPath);
  const rel = path.relative(dataDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return Buffer.alloc(0);
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(HEADER_READ_BYTES);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    return buf.subarray(0, n);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * The header section (up to the first empty line) as fields, unfolded (the line
 * breaks before continuation lines removed, RFC 5322 §2.2.3), not decoded. Lines that
 * are not a field are left out; a section cut off by the read limit loses its last,
 * partial line.
 */
export function parseHeaderFields(raw: Buffer): { name: string; value: string }[] {
  let text = raw.toString('utf8');
  const blank = /\r?\n\r?\n/.exec(text);
  if (text.startsWith('\r\n') || text.startsWith('\n')) text = '';
  else if (blank) text = text.slice(0, blank.index);
  else if (raw.length >= HEADER_READ_BYTES) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  const fields: { name: string; value: string }[] = [];
  let current: { name: string; value: string } | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (current && current.value.length <= MAX_HEADER_VALUE) current.value += line;
      continue;
    }
    current = null;
    if (fields.length >= MAX_HEADER_FIELDS) break;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    current = { name, value: line.slice(colon + 1) };
    fields.push(current);
  }
  return fields.map(({ name, value }) => {
    const v = value.replace(/^[ \t]+|[ \t]+$/g, '');
    return { name, value: v.length > MAX_HEADER_VALUE ? `${v.slice(0, MAX_HEADER_VALUE)}…` : v };
  });
}

// ------------------------------------------------------------------ cancel and retry

const CANCELLED_DETAIL = 'Cancelled by you; it will not be sent.';

const CANCEL_SKIPPED: Partial<Record<DeliveryStatus, string>> = {
  delivered: 'already delivered',
  bounced: 'already bounced',
  sending: 'being sent right now; try again in a moment',
  cancelled: 'already cancelled',
};

const RETRY_SKIPPED: Partial<Record<DeliveryStatus, string>> = {
  delivered: 'already delivered',
  bounced: 'already bounced',
  sending: 'being sent right now',
  cancelled: 'cancelled',
  unknown: 'waiting to learn whether the last attempt arrived; it is retried automatically',
};

function uniqueIds(ids: readonly number[]): number[] {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new MailroomError(
        'VALIDATION',
        `"${id}" is not a delivery number; pick deliveries in the log and try again.`,
      );
    }
  }
  return [...new Set(ids)];
}

/** The ones left alone, in the order asked, each with the reason in plain words. */
function skippedOf(
  db: Db,
  ids: readonly number[],
  changed: readonly number[],
  reasons: Partial<Record<DeliveryStatus, string>>,
): LogActionResult['skipped'] {
  const done = new Set(changed);
  const rest = ids.filter((id) => !done.has(id));
  if (!rest.length) return [];
  const status = new Map(
    (
      db
        .prepare('SELECT id, status FROM deliveries WHERE id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify(rest)) as { id: number; status: DeliveryStatus }[]
    ).map((r) => [r.id, r.status]),
  );
  return rest.map((id) => {
    const s = status.get(id);
    return { id, reason: s === undefined ? 'no such delivery' : (reasons[s] ?? s) };
  });
}

/**
 * Cancels deliveries that have not gone out: queued, deferred, and unknown (the last
 * attempt may have arrived; no more are made). One statement picks them by status, so
 * one the dispatcher has just claimed (sending) is never touched; with the events it is
 * one transaction.
 */
export function cancelDeliveries(db: Db, ids: readonly number[], now: number): LogActionResult {
  const list = uniqueIds(ids);
  if (!list.length) return { changed: 0, skipped: [] };
  return db
    .transaction(() => {
      const changed = db
        .prepare(
          `UPDATE deliveries SET status = 'cancelled', lease_until = NULL, updated_at = @now
           WHERE status IN ('queued', 'deferred', 'unknown') AND id IN (SELECT value FROM json_each(@ids))
           RETURNING id`,
        )
        .pluck()
        .all({ now, ids: JSON.stringify(list) }) as number[];
      const event = db.prepare(
        `INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, 'cancelled', ?)`,
      );
      for (const id of changed) event.run(id, now, CANCELLED_DETAIL);
      return { changed: changed.length, skipped: skippedOf(db, list, changed, CANCEL_SKIPPED) };
    })
    .immediate();
}

/**
 * "Retry now" for deliveries picked in the log: queued and deferred ones become due at
 * once (DeliveryQueue.retryNowIds). Poke the dispatcher afterwards so it looks now.
 */
export function retryDeliveries(queue: DeliveryQueue, db: Db, ids: readonly number[], now: number): LogActionResult {
  const list = uniqueIds(ids);
  if (!list.length) return { changed: 0, skipped: [] };
  return db
    .transaction(() => {
      const changed = queue.retryNowIds(list, now);
      return { changed: changed.length, skipped: skippedOf(db, list, changed, RETRY_SKIPPED) };
    })
    .immediate();
}

// ------------------------------------------------------------------ today

/**
 * Since `dayStart`: deliveries that reached delivered or bounced, and deferrals (each
 * one counts). These are the dispatcher's outcome events (kind = the new status); the
 * partial index delivery_events_outcome holds only those, so only today's are read.
 */
export function todayCounts(db: Db, dayStartMs: number): TodayCounts {
  const counts: TodayCounts = { delivered: 0, deferred: 0, bounced: 0 };
  const rows = db
    .prepare(
      `SELECT kind, count(*) AS n FROM delivery_events INDEXED BY delivery_events_outcome
       WHERE kind IN ('delivered', 'bounced', 'deferred') AND at >= ? GROUP BY kind`,
    )
    .all(dayStartMs) as { kind: keyof TodayCounts; n: number }[];
  for (const r of rows) counts[r.kind] = r.n;
  return counts;
}

// ------------------------------------------------------------------ CSV export

const CSV_PAGE = 5000;
const CSV_SLICE = 1000;
const CSV_COLUMNS: [string, (r: LogRow) => string | number | null][] = [
  ['Delivery ID', (r) => r.id],
  ['Queued at', (r) => new Date(r.createdAt).toISOString()],
  ['Updated at', (r) => new Date(r.updatedAt).toISOString()],
  ['Status', (r) => r.status],
  ['Recipient', (r) => r.recipient],
  ['Domain', (r) => r.domain],
  ['Sender', (r) => r.mailFrom || '<>'],
  ['Subject', (r) => r.subject],
  ['Queue ID', (r) => r.queueId],
  ['Attempts', (r) => r.attempts],
  ['Last code', (r) => r.lastCode],
  ['Last enhanced status', (r) => r.lastEnhanced],
  ['Last reply', (r) => r.lastResponse],
  ['Category', (r) => r.category],
];

/**
 * One CSV cell (RFC 4180). A text that a spreadsheet would run as a formula (starting
 * with = + - @, also after spaces or as their full-width forms, or with a tab or a
 * line break) gets a leading apostrophe, as OWASP's "CSV injection" advice says.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let s = value;
  if (/^[\t\r\n]|^\s*[=+\-@\uff1d\uff0b\uff0d\uff20]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const csvLine = (cells: (string | number | null)[]) => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * Writes every matching delivery to `filePath` as CSV (UTF-8 with a BOM so Excel reads
 * it as UTF-8; CRLF line ends), 5,000 rows at a time, giving the event loop back after
 * each page so the relay keeps working. Deliveries queued after the export started are
 * left out. It writes a temporary file beside the target and renames it at the end, so
 * a failed export leaves no half file. `total` in progress is null when not known
 * cheaply (a text search or several filters with more than 10,000 matches).
 */
export async function writeDeliveryCsv(
  db: Db,
  filter: LogFilter,
  sort: LogSort,
  filePath: string,
  onProgress?: (done: number, total: number | null) => void,
): Promise<{ rows: number }> {
  const spec = SORTS[sort];
  const f = normaliseFilter(filter);
  f.maxId = (db.prepare('SELECT max(id) FROM deliveries').pluck().get() as number | null) ?? 0;
  const plan = choosePlan(db, f, spec, CSV_PAGE, DEFAULT_TUNING);
  const total = plan.total.capped ? null : plan.total.count;
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `.${path.basename(filePath)}.${crypto.randomBytes(6).toString('hex')}.part`);
  let fh: fs.promises.FileHandle | null = null;
  try {
    fh = await fs.promises.open(tmp, 'wx');
    await fh.write(`\ufeff${csvLine(CSV_COLUMNS.map(([name]) => name))}`);
    let done = 0;
    let after: Key | null = null;
    for (;;) {
      const keys = pageKeys(db, f, spec, plan.driver, after, 'a', CSV_PAGE);
      // Rows are read and written a slice at a time, each followed by a turn of the event loop.
      for (let i = 0; i < keys.length; i += CSV_SLICE) {
        const rows = loadRows(
          db,
          keys.slice(i, i + CSV_SLICE).map((k) => k.id),
        );
        await fh.write(rows.map((r) => csvLine(CSV_COLUMNS.map(([, get]) => get(r)))).join(''));
        done += rows.length;
        await new Promise((resolve) => setImmediate(resolve));
      }
      onProgress?.(done, total);
      if (keys.length < CSV_PAGE) break;
      after = keys[keys.length - 1] as Key;
    }
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.promises.rename(tmp, filePath);
    return { rows: done };
  } catch (err) {
    await fh?.close().catch(() => {});
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    if (err instanceof MailroomError) throw err;
    throw new MailroomError(
      'EXPORT_FAILED',
      `Could not save the export to ${filePath}: ${(err as Error).message}. Choose a folder you can write to, with free space, and export again.`,
    );
  }
}
