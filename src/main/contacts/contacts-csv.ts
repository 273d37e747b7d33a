import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ContactFilter, ContactRow } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { csvCell } from '../queue/log-csv.ts';
import { parseRow } from './contact-page.ts';
import { matchingIdPages } from './contact-plan.ts';
import { listFields } from './fields.ts';
import { getList } from './lists.ts';
import { getSegment } from './segments.ts';
import { allSuppressions } from './suppressions.ts';

// Export of a list, a segment, a filter (or everyone), and of the do-not-send list, so a
// person can leave with their data: CSV in UTF-8 with a BOM (Excel reads it as UTF-8),
// CRLF line ends, every cell through the delivery-log export's csvCell (formula-looking
// text gets a leading apostrophe). Rows are read and written a page at a time, never all
// in memory; a temporary file is renamed into place at the end, so a failed export
// leaves no half file.

/** What to export: one list, one segment, a filter, or (nothing given) every contact. */
export type ContactExportSource =
  | { listId: number }
  | { segmentId: number }
  | { filter: ContactFilter }
  | Record<string, never>;

const PAGE = 1000;
const line = (cells: (string | number | null)[]) => `${cells.map(csvCell).join(',')}\r\n`;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function writeAtomically(
  filePath: string,
  body: (write: (text: string) => Promise<void>) => Promise<number>,
): Promise<{ rows: number }> {
  const tmp = path.join(
    path.dirname(filePath),
    `.${path.basename(filePath)}.${crypto.randomBytes(6).toString('hex')}.part`,
  );
  let fh: fs.promises.FileHandle | null = null;
  try {
    fh = await fs.promises.open(tmp, 'wx');
    const handle = fh;
    const rows = await body(async (text) => {
      await handle.write(text);
    });
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.promises.rename(tmp, filePath);
    return { rows };
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

export async function exportContacts(db: Db, source: ContactExportSource, filePath: string): Promise<{ rows: number }> {
  let filter: ContactFilter = {};
  let listId: number | null = null;
  if ('listId' in source && source.listId !== undefined) {
    listId = getList(db, source.listId).id;
    filter = { listId };
  } else if ('segmentId' in source && source.segmentId !== undefined) {
    filter = { segmentId: getSegment(db, source.segmentId).id };
  } else if ('filter' in source && source.filter) {
    filter = source.filter;
  }
  const fields = listFields(db);
  // Checked before the file is created: a bad filter leaves nothing behind.
  const pages = matchingIdPages(db, filter, PAGE);
  const header = [
    'email',
    'first_name',
    'last_name',
    'company',
    ...(listId !== null ? ['status'] : []),
    'lists',
    'tags',
    ...fields.map((f) => f.key),
    'suppressed',
    'consent_basis',
    'consent_source',
    'consent_at',
  ];
  const stmt = db.prepare(
    `SELECT c.id, c.address, c.first_name AS firstName, c.last_name AS lastName, c.company, c.created_at AS createdAt,
      (SELECT json_group_array(t.name ORDER BY t.name COLLATE NOCASE) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
        WHERE ct.contact_id = c.id) AS tags,
      (SELECT json_group_array(json_object('id', l.id, 'name', l.name, 'status', m.status) ORDER BY l.name COLLATE NOCASE)
        FROM list_members m JOIN lists l ON l.id = m.list_id AND l.deleted_at IS NULL WHERE m.contact_id = c.id) AS lists,
      (SELECT s.reason FROM suppressions s WHERE s.key = c.address_key) AS suppressed,
      (SELECT m.status FROM list_members m WHERE m.list_id = @list AND m.contact_id = c.id) AS status,
      json(c.fields) AS fields, c.consent_basis AS basis, c.consent_source AS source, c.consent_at AS consentAt,
      i.file_name AS file, i.file_sha256 AS sha
    FROM contacts c LEFT JOIN imports i ON i.id = c.import_id
    WHERE c.id IN (SELECT value FROM json_each(@ids))`,
  );
  type Raw = Parameters<typeof parseRow>[0] & {
    status: string | null;
    fields: string | null;
    basis: string | null;
    source: string;
    consentAt: number;
    file: string | null;
    sha: string | null;
  };
  return writeAtomically(filePath, async (write) => {
    await write(`\ufeff${line(header)}`);
    let n = 0;
    for (const ids of pages) {
      const rows = stmt.all({ list: listId, ids: JSON.stringify(ids) }) as Raw[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      let text = '';
      for (const id of ids) {
        const raw = byId.get(id);
        if (!raw) continue;
        const r: ContactRow = parseRow(raw);
        const values = raw.fields ? (JSON.parse(raw.fields) as Record<string, string | number>) : {};
        text += line([
          r.address,
          r.firstName,
          r.lastName,
          r.company,
          ...(listId !== null ? [raw.status] : []),
          r.lists.map((l) => `${l.name}:${l.status}`).join('; '),
          r.tags.join('; '),
          ...fields.map((f) => values[f.key] ?? null),
          r.suppressed,
          raw.basis,
          raw.source === 'import' && raw.file ? `import of ${raw.file} (sha256 ${raw.sha})` : raw.source,
          iso(raw.consentAt),
        ]);
        n++;
      }
      await write(text);
      // The relay and the window keep working between pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return n;
  });
}

/** The do-not-send list; erased entries have no address, only the hash of it. */
export function exportSuppressions(db: Db, filePath: string): Promise<{ rows: number }> {
  return writeAtomically(filePath, async (write) => {
    await write(`\ufeff${line(['email', 'hashed_key', 'reason', 'source', 'detail', 'at'])}`);
    let n = 0;
    for (const rows of allSuppressions(db, PAGE)) {
      await write(
        rows
          .map((s) => line([s.address, s.address === null ? s.key : null, s.reason, s.source, s.detail, iso(s.at)]))
          .join(''),
      );
      n += rows.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return n;
  });
}
