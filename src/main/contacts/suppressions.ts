import crypto from 'node:crypto';
import { z } from 'zod';
import { SUPPRESSION_REASONS, type Suppression, type SuppressionReason } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { checkAddress, suppressionHashKey } from './address.ts';
import { sentence } from './text.ts';

// The do-not-send list: one row per normalised address (or its hash once the contact was
// erased), separate from contacts so it outlives them. Rows are only ever added by
// imports, bounces and clicks; removing one is a deliberate act on one address with a
// stated reason, recorded in suppression_events.

export interface SuppressionRow extends Suppression {
  key: string;
}

const COLUMNS = 'key, address, reason, source, detail, at';

/** The normalised key of a typed address, or a VALIDATION error with the reason. */
export function keyOf(address: string): { address: string; key: string } {
  const r = checkAddress(address);
  if (!r.ok) {
    throw new MailroomError(
      'ADDRESS_INVALID',
      `"${address.trim()}" is not an email address Mailroom can send to. ${sentence(r.reason)}`,
    );
  }
  return { address: r.address, key: r.key };
}

/** The suppression for this key: the plain row, else the hashed one left by an erasure. */
export function suppressionFor(db: Db, key: string): SuppressionRow | null {
  const row = db
    .prepare(`SELECT ${COLUMNS} FROM suppressions WHERE key IN (?, ?) ORDER BY address IS NULL LIMIT 1`)
    .get(key, suppressionHashKey(key)) as SuppressionRow | undefined;
  return row ?? null;
}

export function isSuppressed(db: Db, address: string): SuppressionRow | null {
  return suppressionFor(db, keyOf(address).key);
}

export interface SuppressResult {
  added: boolean;
  suppression: SuppressionRow;
  /** A sentence for the person: what happened. */
  message: string;
}

/**
 * Adds an address to the do-not-send list. An existing entry always stays as it is
 * (whatever its reason, it already stops every message): adding again changes nothing
 * and says so.
 */
export function suppress(
  db: Db,
  address: string,
  reason: SuppressionReason,
  source: string,
  detail: string | null = null,
  now = Date.now(),
): SuppressResult {
  if (!SUPPRESSION_REASONS.includes(reason) || reason === 'erased') {
    throw new MailroomError(
      'VALIDATION',
      `A suppression reason is one of ${SUPPRESSION_REASONS.filter((r) => r !== 'erased').join(', ')} (not "${reason}").`,
    );
  }
  const a = keyOf(address);
  return db.transaction(() => {
    const existing = suppressionFor(db, a.key);
    if (existing) {
      return {
        added: false,
        suppression: existing,
        message: `${a.address} is already on the do-not-send list (${existing.reason}, since ${new Date(existing.at).toISOString().slice(0, 10)}); nothing changed.`,
      };
    }
    db.prepare(`INSERT INTO suppressions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`).run(
      a.key,
      a.address,
      reason,
      source,
      detail,
      now,
    );
    recordEvent(db, a.key, 'added', reason, detail ?? source, now);
    return {
      added: true,
      suppression: { key: a.key, address: a.address, reason, source, detail, at: now },
      message: `${a.address} is on the do-not-send list now (${reason}): nothing will be sent to it.`,
    };
  })();
}

/**
 * Lifts the suppression of one address, with the reason the person gives (kept in
 * suppression_events). An erased entry (a hash) is found only from the address typed
 * again. Per-list unsubscribes stay as they are.
 */
export function unsuppress(db: Db, address: string, reason: string, now = Date.now()): SuppressionRow {
  const why = reason.trim();
  if (!why) {
    throw new MailroomError(
      'VALIDATION',
      'Say why this address may receive mail again (for example "asked to subscribe again by email on 3 May"); it is kept as evidence.',
    );
  }
  if (why.length > 500) throw new MailroomError('VALIDATION', 'Keep the reason under 500 characters.');
  const a = keyOf(address);
  return db.transaction(() => {
    const existing = suppressionFor(db, a.key);
    if (!existing) {
      throw new MailroomError('NOT_FOUND', `${a.address} is not on the do-not-send list; nothing changed.`);
    }
    db.prepare('DELETE FROM suppressions WHERE key = ?').run(existing.key);
    recordEvent(db, existing.key, 'removed', why, `was ${existing.reason}: ${existing.source}`, now);
    return existing;
  })();
}

export function recordEvent(
  db: Db,
  key: string,
  action: 'added' | 'removed' | 'erased',
  reason: string,
  note: string | null,
  now: number,
): void {
  db.prepare('INSERT INTO suppression_events (key, action, reason, note, at) VALUES (?, ?, ?, ?, ?)').run(
    key,
    action,
    reason,
    note,
    now,
  );
}

/**
 * Erasure's half of the suppression list: the entry for `key` becomes its hash with no
 * address (keeping its reason; 'erased' when there was none), so the address can never
 * be read back but still stops a later import or add.
 */
export function hashSuppression(db: Db, key: string, now: number): void {
  const hashed = suppressionHashKey(key);
  const plain = db.prepare(`SELECT ${COLUMNS} FROM suppressions WHERE key = ?`).get(key) as SuppressionRow | undefined;
  const already = db.prepare('SELECT 1 FROM suppressions WHERE key = ?').get(hashed);
  if (plain) {
    db.prepare('DELETE FROM suppressions WHERE key = ?').run(key);
    if (!already) {
      db.prepare(`INSERT INTO suppressions (${COLUMNS}) VALUES (?, NULL, ?, ?, ?, ?)`).run(
        hashed,
        plain.reason,
        plain.source,
        plain.detail,
        plain.at,
      );
    }
    // The plain key's history now belongs to the hash: the address must not be readable.
    db.prepare('UPDATE suppression_events SET key = ? WHERE key = ?').run(hashed, key);
  } else if (!already) {
    db.prepare(`INSERT INTO suppressions (${COLUMNS}) VALUES (?, NULL, 'erased', ?, NULL, ?)`).run(
      hashed,
      'contact deleted (erased) by hand',
      now,
    );
  }
  recordEvent(
    db,
    hashed,
    'erased',
    plain?.reason ?? 'erased',
    'contact erased; only a hash of the address is kept',
    now,
  );
}

// ------------------------------------------------------------------ listing (keyset)

export const suppressionQuerySchema = z.strictObject({
  reason: z.enum(SUPPRESSION_REASONS).optional(),
  /** The start of the address. */
  search: z.string().trim().max(200).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(500).optional(),
});
export type SuppressionQuery = z.input<typeof suppressionQuerySchema>;

export interface SuppressionPage {
  rows: Suppression[];
  /** Continues newest first; null at the end. */
  next: string | null;
}

const cursorSchema = z.strictObject({ v: z.literal(1), f: z.string(), at: z.number(), key: z.string() });

/** Newest first, keyset on (at, key) through suppressions_at. */
export function listSuppressions(db: Db, query: SuppressionQuery = {}): SuppressionPage {
  const q = suppressionQuerySchema.parse(query);
  const fp = crypto
    .createHash('sha256')
    .update(JSON.stringify([q.reason ?? null, q.search ?? null]))
    .digest('base64url')
    .slice(0, 10);
  const params: Record<string, unknown> = { limit: q.limit + 1 };
  const terms: string[] = [];
  if (q.reason) {
    params.reason = q.reason;
    terms.push('reason = @reason');
  }
  if (q.search) {
    params.lo = q.search.toLowerCase();
    params.hi = `${q.search.toLowerCase()}\u{10FFFF}`;
    terms.push('key >= @lo AND key < @hi');
  }
  if (q.cursor) {
    let c: z.infer<typeof cursorSchema> | null = null;
    try {
      const r = cursorSchema.safeParse(JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')));
      if (r.success) c = r.data;
    } catch {
      // reported below
    }
    if (!c || c.f !== fp) {
      throw new MailroomError(
        'VALIDATION',
        'The page position does not belong to this list; go back to the first page.',
      );
    }
    params.cat = c.at;
    params.ckey = c.key;
    terms.push('at <= @cat AND (at < @cat OR key < @ckey)');
  }
  const rows = db
    .prepare(
      `SELECT ${COLUMNS} FROM suppressions ${terms.length ? `WHERE ${terms.join(' AND ')}` : ''}
       ORDER BY at DESC, key DESC LIMIT @limit`,
    )
    .all(params) as SuppressionRow[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(({ key: _key, ...s }) => s),
    next:
      rows.length > q.limit && last
        ? Buffer.from(JSON.stringify({ v: 1, f: fp, at: last.at, key: last.key })).toString('base64url')
        : null,
  };
}

/** Every row, newest first, a page at a time (for the export). */
export function* allSuppressions(db: Db, pageSize = 1000): Generator<SuppressionRow[]> {
  let after: { at: number; key: string } | null = null;
  const first = db.prepare(`SELECT ${COLUMNS} FROM suppressions ORDER BY at DESC, key DESC LIMIT ?`);
  // Spelled out rather than a row value, so SQLite seeks the (at, key) index.
  const more = db.prepare(
    `SELECT ${COLUMNS} FROM suppressions WHERE at <= @at AND (at < @at OR key < @key)
     ORDER BY at DESC, key DESC LIMIT @limit`,
  );
  for (;;) {
    const rows = (after ? more.all({ ...after, limit: pageSize }) : first.all(pageSize)) as SuppressionRow[];
    if (rows.length) yield rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1] as SuppressionRow;
    after = { at: last.at, key: last.key };
  }
}
