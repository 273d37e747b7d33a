import { MailroomError } from '../../../shared/errors.ts';
import type { Db } from '../../db/connection.ts';

// Undo of an import: removes exactly what it added and restores what it changed, in one
// transaction. Suppressions (even those the import brought) and per-list unsubscribes are
// decisions, and are never touched.

interface ImportOptionsStored {
  listId?: number | null;
  listCreated?: boolean;
  createdFields?: string[];
  tagsAfter?: number;
  tagsUpTo?: number;
}

export function undoImport(db: Db, importId: number, now = Date.now()): void {
  db.transaction(() => {
    const row = db.prepare('SELECT state, options, file_name FROM imports WHERE id = ?').get(importId) as
      | { state: string; options: string; file_name: string }
      | undefined;
    if (!row) throw new MailroomError('NOT_FOUND', `There is no import number ${importId}.`);
    if (row.state === 'undone') {
      throw new MailroomError('IMPORT_UNDO', `The import of ${row.file_name} (number ${importId}) is already undone.`);
    }
    const later = db
      .prepare("SELECT id, file_name FROM imports WHERE id > ? AND state = 'committed' ORDER BY id DESC LIMIT 1")
      .get(importId) as { id: number; file_name: string } | undefined;
    if (later) {
      throw new MailroomError(
        'IMPORT_UNDO',
        `The import of ${later.file_name} (number ${later.id}) came after this one and may have changed the same people. Undo that one first, then this one.`,
      );
    }
    const opts = JSON.parse(row.options) as ImportOptionsStored;
    const p = { id: importId };

    // What it changed on people who were already there goes back to how it was.
    db.prepare(
      `UPDATE contacts SET
         first_name = json_extract(ch.before, '$.first_name'),
         last_name  = json_extract(ch.before, '$.last_name'),
         company    = json_extract(ch.before, '$.company'),
         fields     = CASE WHEN json_type(ch.before, '$.fields') IS NULL OR json_type(ch.before, '$.fields') = 'null'
                           THEN NULL ELSE jsonb(json_extract(ch.before, '$.fields')) END,
         updated_at = json_extract(ch.before, '$.updated_at')
       FROM import_changes ch WHERE ch.import_id = @id AND contacts.id = ch.contact_id`,
    ).run(p);
    db.prepare('DELETE FROM import_changes WHERE import_id = @id').run(p);

    // Memberships and tags it added, except an unsubscribe made since: that is a decision.
    db.prepare("DELETE FROM list_members WHERE import_id = @id AND status <> 'unsubscribed'").run(p);
    db.prepare('DELETE FROM contact_tags WHERE import_id = @id').run(p);

    // The people it added, unless one has unsubscribed from a list since (the contact and
    // that unsubscribe stay). Their suppressions are keyed by address and stay as well.
    db.prepare(
      `DELETE FROM contacts WHERE import_id = @id
         AND NOT EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = contacts.id AND m.status = 'unsubscribed')`,
    ).run(p);

    // Tags, fields and the list it created, when nothing uses them any more.
    if (opts.tagsAfter !== undefined && opts.tagsUpTo !== undefined) {
      db.prepare(
        `DELETE FROM tags WHERE id > ? AND id <= ?
           AND NOT EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.tag_id = tags.id)`,
      ).run(opts.tagsAfter, opts.tagsUpTo);
    }
    for (const key of opts.createdFields ?? []) {
      const used = db
        .prepare('SELECT EXISTS (SELECT 1 FROM contacts WHERE fields IS NOT NULL AND json_type(fields, ?) IS NOT NULL)')
        .pluck()
        .get(`$."${key}"`);
      if (!used) db.prepare('DELETE FROM contact_fields WHERE key = ?').run(key);
    }
    if (opts.listCreated && opts.listId) {
      db.prepare(
        'DELETE FROM lists WHERE id = ? AND NOT EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = lists.id)',
      ).run(opts.listId);
      // A list the import revived (see lists.ts) holds only kept unsubscribes again: hidden again.
      db.prepare(
        `UPDATE lists SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = lists.id AND m.status <> 'unsubscribed')`,
      ).run(now, opts.listId);
    }
    db.prepare("UPDATE imports SET state = 'undone', undone_at = ? WHERE id = ?").run(now, importId);
  }).immediate();
}
