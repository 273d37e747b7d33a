import { listNameSchema, type SegmentDefinition, type SegmentSummary } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { VersionedCache } from './db-version.ts';
import { Params, parseDefinition, segmentDriver, segmentWhere } from './segment-sql.ts';

// Saved segments and their live counts. The SQL of a definition: segment-sql.ts.

function checkName(name: string): string {
  const r = listNameSchema.safeParse(name);
  if (!r.success) throw new MailroomError('VALIDATION', (r.error.issues[0]?.message ?? '').replace('list', 'segment'));
  return r.data;
}

function nameTaken(db: Db, name: string, exceptId?: number): void {
  const other = db.prepare('SELECT id, name FROM segments WHERE name = ? COLLATE NOCASE').get(name) as
    | { id: number; name: string }
    | undefined;
  if (other && other.id !== exceptId) {
    throw new MailroomError('NAME_TAKEN', `There is already a segment called "${other.name}"; choose another name.`);
  }
}

/** Checks the definition fully (fields exist, values fit their type) by compiling it. */
function checkDefinition(db: Db, definition: unknown): SegmentDefinition {
  const def = parseDefinition(definition);
  segmentWhere(db, def, new Params());
  return def;
}

type Row = { id: number; name: string; definition: string; updatedAt: number };
const toSummary = (r: Row): SegmentSummary => ({
  id: r.id,
  name: r.name,
  definition: parseDefinition(JSON.parse(r.definition)),
  updatedAt: r.updatedAt,
});

export function listSegments(db: Db): SegmentSummary[] {
  return (
    db
      .prepare('SELECT id, name, definition, updated_at AS updatedAt FROM segments ORDER BY name COLLATE NOCASE')
      .all() as Row[]
  ).map(toSummary);
}

export function getSegment(db: Db, idOrName: number | string): SegmentSummary {
  const row = db
    .prepare(
      `SELECT id, name, definition, updated_at AS updatedAt FROM segments WHERE ${typeof idOrName === 'number' ? 'id = ?' : 'name = ? COLLATE NOCASE'}`,
    )
    .get(typeof idOrName === 'string' ? idOrName.trim() : idOrName) as Row | undefined;
  if (!row) {
    throw new MailroomError(
      'NOT_FOUND',
      typeof idOrName === 'number' ? `There is no segment #${idOrName}.` : `There is no segment called "${idOrName}".`,
    );
  }
  return toSummary(row);
}

export function createSegment(db: Db, name: string, definition: unknown, now = Date.now()): SegmentSummary {
  const n = checkName(name);
  const def = checkDefinition(db, definition);
  nameTaken(db, n);
  const id = Number(
    db
      .prepare('INSERT INTO segments (name, definition, created_at, updated_at) VALUES (?, ?, ?, ?)')
      .run(n, JSON.stringify(def), now, now).lastInsertRowid,
  );
  return { id, name: n, definition: def, updatedAt: now };
}

export function updateSegment(
  db: Db,
  id: number,
  patch: { name?: string; definition?: unknown },
  now = Date.now(),
): SegmentSummary {
  const cur = getSegment(db, id);
  const n = patch.name !== undefined ? checkName(patch.name) : cur.name;
  const def = patch.definition !== undefined ? checkDefinition(db, patch.definition) : cur.definition;
  nameTaken(db, n, id);
  db.prepare('UPDATE segments SET name = ?, definition = ?, updated_at = ? WHERE id = ?').run(
    n,
    JSON.stringify(def),
    now,
    id,
  );
  return { id, name: n, definition: def, updatedAt: now };
}

export function removeSegment(db: Db, id: number): SegmentSummary {
  const cur = getSegment(db, id);
  db.prepare('DELETE FROM segments WHERE id = ?').run(id);
  return cur;
}

/**
 * The contacts a definition matches, as SQL selecting `id` (for the campaign engine
 * to reuse), with its parameters.
 */
export function segmentQuery(
  db: Db,
  definition: unknown,
  p = new Params(),
): { sql: string; params: Record<string, unknown> } {
  const def = parseDefinition(definition);
  // A positive list or tag condition hands over the candidates from its index; when
  // every condition is a list or a tag, the contacts table is not read at all.
  const driver = segmentDriver(db, def, p);
  if (!driver) return { sql: `SELECT c.id AS id FROM contacts c WHERE ${segmentWhere(db, def, p)}`, params: p.values };
  const onlyIds = def.conditions.every((c) => c.kind !== 'field');
  const w = segmentWhere(db, def, p, { skip: driver.index, id: onlyIds ? 'src.id' : 'c.id' });
  return {
    sql: onlyIds
      ? `SELECT src.id AS id FROM (${driver.source}) src WHERE ${w}`
      : `SELECT c.id AS id FROM (${driver.source}) src CROSS JOIN contacts c ON c.id = src.id WHERE ${w}`,
    params: p.values,
  };
}

/**
 * Counts already made since the database last changed: a count over a million contacts
 * reads every row (~0.1–0.2 s), and the window asks again for the same segments whenever
 * it shows them.
 */
const counts = new VersionedCache<number>();

/** The count, read from the database now (no cache). */
export function countSegmentNow(db: Db, definition: unknown): number {
  const q = segmentQuery(db, definition);
  return db.prepare(`SELECT count(*) FROM (${q.sql})`).pluck().get(q.params) as number;
}

/** The live count of a definition (saved or not). */
export function countSegment(db: Db, definition: unknown): number {
  const def = parseDefinition(definition);
  return counts.get(db, JSON.stringify(def), () => countSegmentNow(db, def));
}

/** Every contact id a segment matches, in pages (for campaigns and bulk actions). */
export function* segmentContactIds(db: Db, definition: unknown, pageSize = 5000): Generator<number[]> {
  const p = new Params();
  const q = segmentQuery(db, definition, p);
  const stmt = db.prepare(`SELECT id FROM (${q.sql}) WHERE id > @afterId ORDER BY id LIMIT @pageSize`).pluck();
  let after = 0;
  for (;;) {
    const ids = stmt.all({ ...q.params, afterId: after, pageSize }) as number[];
    if (ids.length) yield ids;
    if (ids.length < pageSize) return;
    after = ids[ids.length - 1] as number;
  }
}
