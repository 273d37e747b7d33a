import { type ListSummary, listNameSchema } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { VersionedCache } from './db-version.ts';

const memberCounts = new VersionedCache<{ listId: number; status: string; n: number }[]>();

// Lists: create, rename, delete. Deleting a list removes only its memberships (the
// list_members rows cascade); the people and their suppressions stay.

function checkName(name: string): string {
  const r = listNameSchema.safeParse(name);
  if (!r.success) throw new MailroomError('VALIDATION', r.error.issues[0]?.message ?? 'Give the list a name.');
  return r.data;
}

function nameTaken(db: Db, name: string, exceptId?: number): void {
  const other = db.prepare('SELECT id, name FROM lists WHERE name = ? COLLATE NOCASE').get(name) as
    | { id: number; name: string }
    | undefined;
  if (other && other.id !== exceptId) {
    throw new MailroomError('NAME_TAKEN', `There is already a list called "${other.name}"; choose another name.`);
  }
}

export function listLists(db: Db): ListSummary[] {
  const rows = db.prepare('SELECT id, name, created_at AS createdAt FROM lists ORDER BY name COLLATE NOCASE').all() as {
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
  const row = db.prepare('SELECT id, name FROM lists WHERE id = ?').get(id) as { id: number; name: string } | undefined;
  if (!row) throw new MailroomError('NOT_FOUND', `There is no list #${id}; it may have been deleted.`);
  return row;
}

/** A list by its name (any case), for the command line. */
export function listByName(db: Db, name: string): { id: number; name: string } {
  const row = db.prepare('SELECT id, name FROM lists WHERE name = ? COLLATE NOCASE').get(name.trim()) as
    | { id: number; name: string }
    | undefined;
  if (!row) {
    const names = (db.prepare('SELECT name FROM lists ORDER BY name COLLATE NOCASE').pluck().all() as string[]).map(
      (n) => `"${n}"`,
    );
    throw new MailroomError(
      'NOT_FOUND',
      `There is no list called "${name}". ${names.length ? `Your lists: ${names.join(', ')}.` : 'You have no lists yet: mailroom lists add NAME'}`,
    );
  }
  return row;
}

export function createList(db: Db, name: string, now = Date.now()): { id: number; name: string } {
  const n = checkName(name);
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

/** Deletes the list and its memberships; contacts and suppressions stay. */
export function removeList(db: Db, id: number): { id: number; name: string; members: number } {
  return db.transaction(() => {
    const list = getList(db, id);
    const members = db.prepare('SELECT count(*) FROM list_members WHERE list_id = ?').pluck().get(id) as number;
    db.prepare('DELETE FROM list_members WHERE list_id = ?').run(id);
    db.prepare('DELETE FROM lists WHERE id = ?').run(id);
    return { ...list, members };
  })();
}
