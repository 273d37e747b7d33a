import { type ContactFilter, MEMBER_STATUSES, type MemberStatus } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { matchingIdPages } from './contact-plan.ts';
import { eraseContacts } from './contact-store.ts';
import { getList } from './lists.ts';
import { recordEvent } from './suppressions.ts';
import { checkTagName, ensureTag, tagId } from './tags.ts';

// Actions on many contacts at once: the rows a person ticked (ids) or everything a
// filter matches. Each action is one transaction: all of it happens or none.

/** Ticked rows, or every contact the filter matches ("select all N matching"). */
export type ContactSelection = number[] | { ids: number[] } | { filter: ContactFilter };

export interface BulkResult {
  /** Contacts selected. */
  selected: number;
  /** Rows changed. */
  changed: number;
  /** A sentence for the person. */
  message: string;
}

const CHUNK = 5000;

/** The ids of a selection (existing or not; each action skips ids that are gone). */
export function selectionIds(db: Db, sel: ContactSelection): number[] {
  if (Array.isArray(sel)) return checkIds(sel);
  if ('ids' in sel) return checkIds(sel.ids);
  const ids: number[] = [];
  for (const page of matchingIdPages(db, sel.filter, CHUNK)) ids.push(...page);
  return ids;
}

function checkIds(ids: unknown[]): number[] {
  if (!ids.every((id) => Number.isSafeInteger(id) && (id as number) > 0)) {
    throw new MailroomError('VALIDATION', 'Contacts are chosen by their numbers (whole numbers above 0).');
  }
  return [...new Set(ids as number[])];
}

function chunks(ids: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(JSON.stringify(ids.slice(i, i + CHUNK)));
  return out;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

function run(db: Db, sel: ContactSelection, fn: (ids: number[]) => { changed: number; message: string }): BulkResult {
  return db.transaction(() => {
    const ids = selectionIds(db, sel);
    const r = fn(ids);
    return { selected: ids.length, ...r };
  })();
}

/** Adds to a list as subscribed; anyone already on it keeps their status there (an unsubscribe stays). */
export function addToList(db: Db, sel: ContactSelection, listId: number, now = Date.now()): BulkResult {
  return run(db, sel, (ids) => {
    const list = getList(db, listId);
    const stmt = db.prepare(
      `INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at)
       SELECT @list, c.id, 'subscribed', @now, @now FROM contacts c WHERE c.id IN (SELECT value FROM json_each(@ids))
       ON CONFLICT DO NOTHING`,
    );
    let changed = 0;
    for (const c of chunks(ids)) changed += stmt.run({ list: listId, now, ids: c }).changes;
    return { changed, message: `${plural(changed, 'contact')} added to "${list.name}".` };
  });
}

/**
 * Takes contacts off a list. Someone who unsubscribed from it stays recorded as
 * unsubscribed there, so a later import onto that list cannot subscribe them again.
 */
export function removeFromList(db: Db, sel: ContactSelection, listId: number): BulkResult {
  return run(db, sel, (ids) => {
    const list = getList(db, listId);
    const del = db.prepare(
      `DELETE FROM list_members WHERE list_id = @list AND status <> 'unsubscribed'
       AND contact_id IN (SELECT value FROM json_each(@ids))`,
    );
    const kept = db.prepare(
      `SELECT count(*) FROM list_members WHERE list_id = @list AND status = 'unsubscribed'
       AND contact_id IN (SELECT value FROM json_each(@ids))`,
    );
    let changed = 0;
    let unsub = 0;
    for (const c of chunks(ids)) {
      changed += del.run({ list: listId, ids: c }).changes;
      unsub += kept.pluck().get({ list: listId, ids: c }) as number;
    }
    return {
      changed,
      message: `${plural(changed, 'contact')} removed from "${list.name}".${unsub ? ` ${plural(unsub, 'contact')} who unsubscribed from it stay recorded as unsubscribed there.` : ''}`,
    };
  });
}

export function tag(db: Db, sel: ContactSelection, name: string): BulkResult {
  return run(db, sel, (ids) => {
    const id = ensureTag(db, name);
    const stmt = db.prepare(
      `INSERT INTO contact_tags (contact_id, tag_id)
       SELECT c.id, @tag FROM contacts c WHERE c.id IN (SELECT value FROM json_each(@ids)) ON CONFLICT DO NOTHING`,
    );
    let changed = 0;
    for (const c of chunks(ids)) changed += stmt.run({ tag: id, ids: c }).changes;
    return { changed, message: `Tag "${name.trim()}" added to ${plural(changed, 'contact')}.` };
  });
}

export function untag(db: Db, sel: ContactSelection, name: string): BulkResult {
  return run(db, sel, (ids) => {
    const id = tagId(db, checkTagName(name));
    if (id === null) return { changed: 0, message: `No contact has the tag "${name.trim()}".` };
    const stmt = db.prepare(
      'DELETE FROM contact_tags WHERE tag_id = @tag AND contact_id IN (SELECT value FROM json_each(@ids))',
    );
    let changed = 0;
    for (const c of chunks(ids)) changed += stmt.run({ tag: id, ids: c }).changes;
    // A tag nobody has any more is gone from the tag list too.
    db.prepare('DELETE FROM tags WHERE id = ? AND NOT EXISTS (SELECT 1 FROM contact_tags WHERE tag_id = ?)').run(
      id,
      id,
    );
    return { changed, message: `Tag "${name.trim()}" removed from ${plural(changed, 'contact')}.` };
  });
}

/** Sets the status on a list (adding to it where needed). */
export function setListStatus(
  db: Db,
  sel: ContactSelection,
  listId: number,
  status: MemberStatus,
  now = Date.now(),
): BulkResult {
  if (!MEMBER_STATUSES.includes(status)) {
    throw new MailroomError('VALIDATION', `A status on a list is ${MEMBER_STATUSES.join(', ')} (not "${status}").`);
  }
  return run(db, sel, (ids) => {
    const list = getList(db, listId);
    const stmt = db.prepare(
      `INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at)
       SELECT @list, c.id, @status, @now, @now FROM contacts c WHERE c.id IN (SELECT value FROM json_each(@ids))
       ON CONFLICT (list_id, contact_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
       WHERE list_members.status <> excluded.status`,
    );
    let changed = 0;
    for (const c of chunks(ids)) changed += stmt.run({ list: listId, status, now, ids: c }).changes;
    return { changed, message: `${plural(changed, 'contact')} now ${status} on "${list.name}".` };
  });
}

/**
 * Unsubscribes from one list (status 'unsubscribed' there, added where missing), or,
 * without a list, everywhere: a global suppression 'unsubscribed', "marked by hand".
 * An existing suppression stays as it is.
 */
export function unsubscribe(db: Db, sel: ContactSelection, listId?: number, now = Date.now()): BulkResult {
  if (listId !== undefined) {
    const r = setListStatus(db, sel, listId, 'unsubscribed', now);
    return r;
  }
  return run(db, sel, (ids) => {
    const rows = db.prepare(
      `INSERT INTO suppressions (key, address, reason, source, detail, at)
       SELECT c.address_key, c.address, 'unsubscribed', 'marked by hand', NULL, @now
       FROM contacts c WHERE c.id IN (SELECT value FROM json_each(@ids)) ON CONFLICT DO NOTHING RETURNING key`,
    );
    let changed = 0;
    for (const c of chunks(ids)) {
      for (const key of rows.pluck().all({ now, ids: c }) as string[]) {
        recordEvent(db, key, 'added', 'unsubscribed', 'marked by hand', now);
        changed++;
      }
    }
    const already = ids.length - changed;
    return {
      changed,
      message: `${plural(changed, 'contact')} unsubscribed from everything (on the do-not-send list now).${already > 0 ? ` ${plural(already, 'was', 'were')} already suppressed or gone.` : ''}`,
    };
  });
}

/** Erases contacts (see eraseContacts): hashed suppressions keep them from coming back. */
export function removeContacts(db: Db, sel: ContactSelection, now = Date.now()): BulkResult {
  return run(db, sel, (ids) => {
    const changed = eraseContacts(db, ids, now);
    return {
      changed,
      message: `${plural(changed, 'contact')} deleted. Their addresses stay on the do-not-send list as hashes, so an import cannot bring them back.`,
    };
  });
}
