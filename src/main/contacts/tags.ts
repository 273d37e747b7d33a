import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';

// Tags: free words on contacts, created on first use.

export interface TagSummary {
  id: number;
  name: string;
  contacts: number;
}

export function listTags(db: Db): TagSummary[] {
  return db
    .prepare(
      `SELECT t.id, t.name, (SELECT count(*) FROM contact_tags ct WHERE ct.tag_id = t.id) AS contacts
       FROM tags t ORDER BY t.name COLLATE NOCASE`,
    )
    .all() as TagSummary[];
}

export function checkTagName(name: string): string {
  const n = name.trim();
  if (!n) throw new MailroomError('VALIDATION', 'A tag needs at least one character.');
  if (n.length > 100) throw new MailroomError('VALIDATION', 'A tag has at most 100 characters.');
  return n;
}

/** The tag's id, creating it when new (names compare without case). */
export function ensureTag(db: Db, name: string): number {
  const n = checkTagName(name);
  db.prepare('INSERT INTO tags (name) VALUES (?) ON CONFLICT DO NOTHING').run(n);
  return db.prepare('SELECT id FROM tags WHERE name = ? COLLATE NOCASE').pluck().get(n) as number;
}

/** An existing tag's id by name, or null. */
export function tagId(db: Db, name: string): number | null {
  return (
    (db.prepare('SELECT id FROM tags WHERE name = ? COLLATE NOCASE').pluck().get(name.trim()) as number | undefined) ??
    null
  );
}

export function tagByName(db: Db, name: string): { id: number; name: string } {
  const row = db.prepare('SELECT id, name FROM tags WHERE name = ? COLLATE NOCASE').get(name.trim()) as
    | { id: number; name: string }
    | undefined;
  if (!row) throw new MailroomError('NOT_FOUND', `No contact has the tag "${name}".`);
  return row;
}
