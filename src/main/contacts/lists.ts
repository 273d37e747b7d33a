import { type ListSummary, listNameSchema } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { VersionedCache } from './db-version.ts';

const memberCounts = new VersionedCache<{ listId: number; status: string; n: number }[]>();

// Lists: create, rename, delete. Deleting a list removes its subscribed and pending
// memberships; its unsubscribes stay on the row, hidden (deleted_at), so a list made again
// with the same name, by hand or by an import, still honours them. A deleted list is
// invisible everywhere (every query here filters deleted_at IS NULL); the people and
// their suppressions stay.

function checkName(name: string): string {
  const r = listNameSchema.safeParse(name);
  if (!r.success) throw new MailroomError('VALIDATION', r.error.issues[0]?.message ?? 'Give the list a name.');
  return r.data;
}

/** The row holding this name, live or deleted (names stay unique across both). */
function rowNamed(db: Db, name: string): { id: number; name: string; deletedAt: number | null } | undefined {
  return db.prepare('SELECT id, name, deleted_at AS deletedAt FROM lists WHERE name = ? COLLATE NOCASE').get(name) as
    | { id: number; name: string; deletedAt: number | null }
    | undefined;
}

function nameTaken(db: Db, name: string, exceptId?: number): void {
  const other = rowNamed(db, name);
  if (!other || other.id === exceptId) return;
  if (other.deletedAt !== null) {
    throw new MailroomError(
      'NAME_TAKEN',
      `A deleted list was called "${other.name}" and still remembers who unsubscribed from it; choose another name, or make a new list with that name to bring it back.`,
    );
  }
  throw new MailroomError('NAME_TAKEN', `There is already a list called "${other.name}"; choose another name.`);
}

/**
 * A list by name for a caller that creates it when missing (createList, the import): a
 * deleted list of that name comes back (deleted_at cleared, looking new) with the
 * unsubscribes it kept, so they apply again. Returns null when no row has the name.
 */
export function reviveListNamed(db: Db, name: string, now: number): { id: number; name: string } | null {
  const row = rowNamed(db, name);
  if (!row || row.deletedAt === null) return null;
  db.prepare('UPDATE lists SET name = ?, deleted_at = NULL, created_at = ?, updated_at = ? WHERE id = ?').run(
    name,
    now,
    now,
    row.id,
  );
  return { id: row.id, name };
}

export function listLists(db: Db): ListSummary[] {
  const rows = db
    .prepare(`SELECT id, name, created_at AS createdAt FROM lists WHERE deleted_at IS NULL
       ORDER BY name COLLATE NOCASE`)
    .all() as {
    id: number;
    name: string;
    createdAt: number;
  }[];
  // One pass over the (list_id, status) index gives every list's counts (~50 ms per
  // million memberships), remembered until the database changes.
  const counts = memberCounts.get(
    db,
    'all',
    () =>
      db
        .prepare('SELECT list_id AS listId, status, count(*) AS n FROM list_members GROUP BY list_id, status')
        .all() as {
        listId: number;
        status: 'subscribed' | 'unsubscribed' | 'pending';
        n: number;
      }[],
  );
  const byList = new Map<number, Record<string, number>>();
  for (const c of counts) {
    const m = byList.get(c.listId) ?? {};
    m[c.status] = c.n;
    byList.set(c.listId, m);
  }
  return rows.map((r) => {
    const m = byList.get(r.id) ?? {};
    return {
      id: r.id,
      name: r.name,
      subscribed: m.subscribed ?? 0,
      unsubscribed: m.unsubscribed ?? 0,
      pending: m.pending ?? 0,
      createdAt: r.createdAt,
    };
  });
}

export function getList(db: Db, id: number): { id: number; name: string } {
  const row = db.prepare('SELECT id, name FROM lists WHERE id = ? AND deleted_at IS NULL').get(id) as
    | { id: number; name: string }
    | undefined;
  if (!row) throw new MailroomError('NOT_FOUND', `There is no list #${id}; it may have been deleted.`);
  return row;
}

/** A list by its name (any case), for the command line. */
export function listByName(db: Db, name: string): { id: number; name: string } {
  const row = db
    .prepare('SELECT id, name FROM lists WHERE name = ? COLLATE NOCASE AND deleted_at IS NULL')
    .get(name.trim()) as { id: number; name: string } | undefined;
  if (!row) {
    const names = (
      db
        .prepare('SELECT name FROM lists WHERE deleted_at IS NULL ORDER BY name COLLATE NOCASE')
        .pluck()
        .all() as string[]
    ).map((n) => `"${n}"`);
    throw new MailroomError(
      'NOT_FOUND',
      `There is no list called "${name}". ${names.length ? `Your lists: ${names.join(', ')}.` : 'You have no lists yet: mailroom lists add NAME'}`,
    );
  }
  return row;
}

export function createList(db: Db, name: string, now = Date.now()): { id: number; name: string } {
  const n = checkName(name);
  const revived = reviveListNamed(db, n, now);
  if (revived) return revived;
  nameTaken(db, n);
  const id = Number(
    db.prepare('INSERT INTO lists (name, created_at, updated_at) VALUES (?, ?, ?)').run(n, now, now).lastInsertRowid,
  );
  return { id, name: n };
}

export function renameList(db: Db, id: number, name: string, now = Date.now()): { id: number; name: string } {
  const n = checkName(name);
  getList(db, id);
  nameTaken(db, n, id);
  db.prepare('UPDATE lists SET name = ?, updated_at = ? WHERE id = ?').run(n, now, id);
  return { id, name: n };
}

/**
 * Deletes the list: its subscribed and pending memberships go; its unsubscribes stay on
 * the hidden row (the row itself goes only when it has none), so making the list again
 * by that name honours them. Contacts and suppressions stay.
 */
export function removeList(db: Db, id: number, now = Date.now()): { id: number; name: string; members: number } {
  return db.transaction(() => {
    const list = getList(db, id);
    const members = db.prepare('SELECT count(*) FROM list_members WHERE list_id = ?').pluck().get(id) as number;
    db.prepare("DELETE FROM list_members WHERE list_id = ? AND status <> 'unsubscribed'").run(id);
    const kept = db.prepare('SELECT count(*) FROM list_members WHERE list_id = ?').pluck().get(id) as number;
    if (kept > 0) db.prepare('UPDATE lists SET deleted_at = ?, updated_at = ? WHERE id = ?').run(now, now, id);
    else db.prepare('DELETE FROM lists WHERE id = ?').run(id);
    return { ...list, members };
  })();
}
