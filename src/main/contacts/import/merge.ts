import type {
  ExistingMode,
  FieldType,
  ImportLayout,
  ImportMapping,
  ImportProblem,
} from '../../../shared/domain/contacts.ts';
import { MailroomError } from '../../../shared/errors.ts';
import type { Db } from '../../db/connection.ts';
import { reviveListNamed } from '../lists.ts';
import { lastContactId } from './stage.ts';

// The one write transaction of an import: the staged rows (temp.stage) go into contacts,
// list_members, contact_tags, contact_fields and suppressions, journalled so Undo can take
// exactly this import back. Everything is set-based SQL over the stage, so a million rows
// hold the write lock for about a second, not for the whole reading of the file.
//
// Rules that never bend, whatever the options:
// - a suppression is only ever added (ON CONFLICT DO NOTHING), never removed or changed;
// - an existing list membership keeps its status (an unsubscribe or a pending stays);
// - a suppressed address, and a row that said no to email marketing, is never put on the
//   list as subscribed (it is still kept or updated as a contact).

export interface MergeInput {
  kind: 'contacts' | 'suppressions';
  fileName: string;
  fileSha256: string;
  fileSize: number;
  layout: ImportLayout;
  mapping: ImportMapping;
  /** Column names, for the labels of custom fields the import creates. */
  header: string[];
  fieldTypes: Record<string, FieldType>;
  /** Labels typed for the custom fields the import creates (the column's header when absent). */
  fieldLabels?: Record<string, string>;
  list?: number | string;
  tags: string[];
  basis?: string;
  existing: ExistingMode;
  /** Rows become suppressions with this reason (a provider's unsubscribed or cleaned file, `suppressions import`). */
  suppress: { reason: string; source: string } | null;
  problems: ImportProblem[];
  /** The largest contact id when the rows were staged (each row's contact_id is idBase + record). */
  idBase: number;
  readCounts: { records: number; blank: number; skipped: number; declined: number };
  dryRun: boolean;
  /** Asked just before COMMIT: true rolls everything back (Cancel). */
  cancelled: () => boolean;
  now?: number;
}

export interface MergeResult {
  importId: number | null;
  counts: {
    records: number;
    blank: number;
    added: number;
    updated: number;
    unchanged: number;
    suppressed: number;
    skipped: number;
    declined: number;
    suppressionsAdded: number;
  };
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export function merge(db: Db, input: MergeInput): MergeResult {
  const now = input.now ?? Date.now();
  const one = (sql: string, ...params: unknown[]) =>
    db
      .prepare(sql)
      .pluck()
      .get(...params) as number;
  const trace = process.env.MAILROOM_IMPORT_TRACE ? (what: string) => traceStep(what) : () => {};
  const run = (sql: string, params: Record<string, unknown> | unknown[] = {}) => {
    const changes = db.prepare(sql).run(params as never).changes;
    trace(sql.trim().slice(0, 60));
    return changes;
  };

  stageProblems(db, input.problems);
  trace('problems staged');
  db.exec('BEGIN IMMEDIATE');
  try {
    const options = {
      kind: input.kind,
      list: input.list ?? null,
      tags: input.tags,
      basis: input.basis ?? null,
      existing: input.existing,
      fieldTypes: input.fieldTypes,
      suppress: input.suppress,
    } as Record<string, unknown>;
    const importId = Number(
      db
        .prepare(
          `INSERT INTO imports (file_name, file_sha256, file_size, layout, mapping, options, counts, state, created_at)
           VALUES (?, ?, ?, ?, ?, '{}', '{}', 'committed', ?)`,
        )
        .run(
          input.fileName,
          input.fileSha256,
          input.fileSize,
          JSON.stringify(input.layout),
          JSON.stringify(input.mapping),
          now,
        ).lastInsertRowid,
    );
    const p = { id: importId, now };

    // Who is known already, and who is suppressed (by key, or by the hash an erased contact left).
    run('UPDATE temp.stage SET contact_id = c.id, existed = 1 FROM contacts c WHERE c.address_key = stage.key');
    let suppressionsAdded = 0;
    if (input.suppress) {
      // An erased address stays erased: its hash already suppresses it, so it is not written back in clear.
      suppressionsAdded = run(
        `INSERT INTO suppressions (key, address, reason, source, detail, import_id, at)
         SELECT key, coalesce(address, key), @reason, @source,
                coalesce(json_extract(detail, '$.unsubReason'), json_extract(detail, '$.cleanCampaignTitle')), @id, @now
         FROM temp.stage s
         WHERE NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.key = suppression_hash(s.key))
         ORDER BY rec
         ON CONFLICT (key) DO NOTHING`,
        { ...p, reason: input.suppress.reason, source: input.suppress.source },
      );
    }
    let erased = 0;
    if (one('SELECT EXISTS (SELECT 1 FROM suppressions)')) {
      erased = one("SELECT EXISTS (SELECT 1 FROM suppressions WHERE key >= 'sha256:' AND key < 'sha256;')");
      run('UPDATE temp.stage SET suppressed = 1 WHERE EXISTS (SELECT 1 FROM suppressions x WHERE x.key = stage.key)');
      // 2: the person was erased. Their address is not written back as a contact either.
      if (erased) {
        run(
          `UPDATE temp.stage SET suppressed = 2
           WHERE NOT suppressed AND EXISTS (SELECT 1 FROM suppressions x WHERE x.key = suppression_hash(stage.key))`,
        );
      }
    }

    let added = 0;
    if (input.kind === 'contacts') {
      const list = resolveList(db, input.list, now);
      options.listId = list?.id ?? null;
      options.listCreated = list?.created ?? false;
      options.createdFields = createFields(db, input, now);
      options.tagsAfter = one('SELECT coalesce(max(id), 0) FROM tags');

      // Contacts added since the rows were staged moved the ids on: renumber (rare).
      const idsBefore = lastContactId(db);
      if (idsBefore !== input.idBase) {
        run('UPDATE temp.stage SET contact_id = @base + rec WHERE NOT existed', { base: idsBefore });
      }
      // New contacts take the ids after the largest one, numbered by record (gaps where rows
      // were left out), so each staged row knows its contact without a lookup.
      added = run(
        `INSERT INTO contacts (id, address, address_key, first_name, last_name, company, fields, consent_source,
                               consent_basis, consent_at, consent_detail, import_id, created_at, updated_at)
         SELECT contact_id, coalesce(address, key), key, first_name, last_name, company, CASE WHEN fields IS NULL THEN NULL ELSE jsonb(fields) END,
                'import', @basis, @now, detail, @id, @now, @now
         FROM temp.stage WHERE NOT existed AND suppressed <> 2 ORDER BY rec`,
        { ...p, basis: input.basis ?? null },
      );
      if (erased) run('UPDATE temp.stage SET contact_id = NULL WHERE suppressed = 2');
      if (input.existing !== 'skip') updateExisting(db, input.existing, p);
      trace('contacts linked');
      if (input.existing !== 'skip') trace('existing updated');
      if (list) addToList(db, list.id, p);
      trace('list members');
      addTags(db, input.tags, p, input.existing === 'skip');
      trace('tags');
      options.tagsUpTo = one('SELECT coalesce(max(id), 0) FROM tags');
    }

    trace('before counts');
    // One pass over the stage for the three counts (each pass over a million rows is ~80 ms of the write lock).
    const staged = db
      .prepare(
        `SELECT coalesce(sum(existed AND changed), 0) AS updated, coalesce(sum(existed AND NOT changed), 0) AS unchanged,
                coalesce(sum(suppressed <> 0), 0) AS suppressed
         FROM temp.stage`,
      )
      .get() as { updated: number; unchanged: number; suppressed: number };
    const counts: MergeResult['counts'] = {
      records: input.readCounts.records,
      blank: input.readCounts.blank,
      added,
      updated: input.kind === 'contacts' ? staged.updated : 0,
      unchanged: input.kind === 'contacts' ? staged.unchanged : 0,
      suppressed: staged.suppressed,
      skipped: input.readCounts.skipped,
      declined: input.readCounts.declined,
      suppressionsAdded,
    };
    db.prepare('UPDATE imports SET options = ?, counts = ? WHERE id = ?').run(
      JSON.stringify(options),
      JSON.stringify(counts),
      importId,
    );
    db.prepare(
      'INSERT INTO import_problems (import_id, record, line, kind, value, reason, same_as) SELECT ?, record, line, kind, value, reason, same_as FROM temp.problems ORDER BY rowid',
    ).run(importId);
    trace('problems');
    if (input.cancelled()) throw new Cancelled();
    if (input.dryRun) {
      db.exec('ROLLBACK');
      return { importId: null, counts };
    }
    db.exec('COMMIT');
    trace('commit');
    return { importId, counts };
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** The problems go to a TEMP table before the write lock is taken, then into the import in one statement. */
function stageProblems(db: Db, problems: ImportProblem[]): void {
  db.exec(`DROP TABLE IF EXISTS temp.problems;
    CREATE TEMP TABLE problems (record INTEGER, line INTEGER, kind TEXT, value TEXT, reason TEXT, same_as INTEGER)`);
  const insert = db.prepare('INSERT INTO temp.problems VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const pr of problems) insert.run(pr.record, pr.line, pr.kind, pr.value, pr.reason, pr.sameAs ?? null);
  })();
}

function resolveList(db: Db, list: number | string | undefined, now: number): { id: number; created: boolean } | null {
  if (list === undefined) return null;
  if (typeof list === 'number') {
    const found = db.prepare('SELECT id FROM lists WHERE id = ? AND deleted_at IS NULL').pluck().get(list) as
      | number
      | undefined;
    if (found === undefined) throw new MailroomError('NOT_FOUND', `There is no list with id ${list}.`);
    return { id: found, created: false };
  }
  const name = list.trim();
  const found = db.prepare('SELECT id FROM lists WHERE name = ? AND deleted_at IS NULL').pluck().get(name) as
    | number
    | undefined;
  if (found !== undefined) return { id: found, created: false };
  // A deleted list of that name comes back with the unsubscribes it kept (Undo hides it again).
  const revived = reviveListNamed(db, name, now);
  if (revived) return { id: revived.id, created: true };
  const id = Number(
    db.prepare('INSERT INTO lists (name, created_at, updated_at) VALUES (?, ?, ?)').run(name, now, now).lastInsertRowid,
  );
  return { id, created: true };
}

/** Custom fields named in the mapping that do not exist yet; returns the keys created. */
function createFields(db: Db, input: MergeInput, now: number): string[] {
  const created: string[] = [];
  const insert = db.prepare(
    'INSERT INTO contact_fields (key, label, type, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
  );
  for (const [target, col] of Object.entries(input.mapping)) {
    if (!target.startsWith('field:')) continue;
    const key = target.slice('field:'.length);
    const label = input.fieldLabels?.[key]?.trim() || input.header[col]?.trim() || key;
    if (insert.run(key, label, input.fieldTypes[key] ?? 'text', now).changes > 0) created.push(key);
  }
  return created;
}

/**
 * Contacts that existed: fill empty fields, or overwrite with the file's non-empty cells
 * (an empty cell never erases). Their values before go to import_changes for Undo.
 */
function updateExisting(db: Db, mode: 'fill' | 'overwrite', p: { id: number; now: number }): void {
  const pick = (col: string) =>
    mode === 'fill'
      ? `CASE WHEN c.${col} = '' THEN s.${col} ELSE c.${col} END`
      : `CASE WHEN s.${col} <> '' THEN s.${col} ELSE c.${col} END`;
  // json_patch keeps the target's key order, so an unchanged object prints the same.
  const fields =
    mode === 'fill'
      ? `json_patch(coalesce(json(c.fields), '{}'), json_patch(s.fields, coalesce(json(c.fields), '{}')))`
      : `json_patch(coalesce(json(c.fields), '{}'), s.fields)`;
  db.exec(`DROP TABLE IF EXISTS temp.upd;
    CREATE TEMP TABLE upd (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, company TEXT, fields TEXT)`);
  db.exec(`
    INSERT INTO temp.upd
    SELECT id, nf, nl, nc, nfl FROM (
      SELECT c.id, ${pick('first_name')} AS nf, ${pick('last_name')} AS nl, ${pick('company')} AS nc,
             CASE WHEN s.fields IS NULL THEN coalesce(json(c.fields), '{}') ELSE ${fields} END AS nfl,
             c.first_name AS of, c.last_name AS ol, c.company AS oc, coalesce(json(c.fields), '{}') AS ofl
      FROM temp.stage s JOIN contacts c ON c.id = s.contact_id
      WHERE s.existed
    ) WHERE nf <> of OR nl <> ol OR nc <> oc OR nfl <> ofl`);
  db.prepare(
    `INSERT INTO import_changes (import_id, contact_id, before)
     SELECT @id, c.id, json_object('first_name', c.first_name, 'last_name', c.last_name, 'company', c.company,
                                   'fields', json(c.fields), 'updated_at', c.updated_at)
     FROM temp.upd u JOIN contacts c ON c.id = u.id`,
  ).run({ id: p.id });
  db.prepare(
    `UPDATE contacts SET first_name = u.first_name, last_name = u.last_name, company = u.company,
            fields = CASE WHEN u.fields = '{}' AND contacts.fields IS NULL THEN NULL ELSE jsonb(u.fields) END,
            updated_at = @now
     FROM temp.upd u WHERE contacts.id = u.id`,
  ).run({ now: p.now });
  db.exec('UPDATE temp.stage SET changed = 1 WHERE contact_id IN (SELECT id FROM temp.upd)');
}

/**
 * New members come in subscribed; an existing membership keeps its status whatever it is.
 * Suppressed addresses and people who said no to email marketing are not put on the list.
 */
function addToList(db: Db, listId: number, p: { id: number; now: number }): void {
  const eligible = 'NOT suppressed AND NOT declined AND contact_id IS NOT NULL';
  db.prepare(
    `INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at, import_id)
     SELECT @list, contact_id, 'subscribed', @now, @now, @id FROM temp.stage WHERE ${eligible} ORDER BY contact_id
     ON CONFLICT (list_id, contact_id) DO NOTHING`,
  ).run({ ...p, list: listId });
}

/**
 * The tags the user chose in the options (--tag, the wizard) go to everyone imported, existing
 * people too (that is what choosing them means); the tags a row's cell names (a TAGS column)
 * are part of the person's details, so under `skip` they go to new contacts only.
 *
 * The counts: an existing contact is `updated` only when its details changed (name, company,
 * fields, or under fill/overwrite a tag from the file); joining the list or receiving the
 * option tags leaves it `unchanged`. So under `skip` no existing contact is ever `updated`.
 */
function addTags(db: Db, optionTags: string[], p: { id: number; now: number }, skip: boolean): void {
  const fromFile = `
    SELECT s.contact_id AS contact_id, j.value AS name
    FROM temp.stage s, json_each(s.tags) j WHERE s.tags IS NOT NULL AND s.contact_id IS NOT NULL${skip ? ' AND NOT s.existed' : ''}`;
  const wanted = `${fromFile}
    UNION
    SELECT s.contact_id, o.value FROM temp.stage s, json_each(@options) o WHERE s.contact_id IS NOT NULL`;
  const options = JSON.stringify(optionTags);
  const hasAny = db
    .prepare('SELECT EXISTS (SELECT 1 FROM temp.stage WHERE tags IS NOT NULL) OR json_array_length(@options) > 0')
    .pluck()
    .get({ options });
  if (!hasAny) return;
  db.prepare(
    `INSERT INTO tags (name) SELECT DISTINCT name FROM (${wanted}) WHERE true ON CONFLICT (name) DO NOTHING`,
  ).run({ options });
  db.prepare(
    `UPDATE temp.stage SET changed = 1 WHERE existed AND NOT changed AND contact_id IN (
       SELECT w.contact_id FROM (${fromFile}) w JOIN tags t ON t.name = w.name
       WHERE NOT EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = w.contact_id AND ct.tag_id = t.id))`,
  ).run({ options });
  db.prepare(
    `INSERT INTO contact_tags (contact_id, tag_id, import_id)
     SELECT w.contact_id, t.id, @id FROM (${wanted}) w JOIN tags t ON t.name = w.name WHERE true
     ON CONFLICT (contact_id, tag_id) DO NOTHING`,
  ).run({ options, id: p.id });
}

let lastStep = performance.now();
function traceStep(what: string): void {
  const t = performance.now();
  const m = process.memoryUsage();
  process.stderr.write(
    `import: ${Math.round(t - lastStep)} ms ${what.replace(/\s+/g, ' ')} (rss ${m.rss >> 20} MB, heap ${m.heapUsed >> 20}/${m.heapTotal >> 20} MB, ext ${m.external >> 20} ab ${m.arrayBuffers >> 20}, cpu ${Math.round(process.cpuUsage().user / 1000)} ms)\n`,
  );
  lastStep = t;
}
