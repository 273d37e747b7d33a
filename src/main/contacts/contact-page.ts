import crypto from 'node:crypto';
import { z } from 'zod';
import {
  type ContactPage,
  type ContactQuery,
  type ContactRow,
  contactQuerySchema,
} from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { choosePlan, DEFAULT_TUNING, type Filters, normaliseFilter, pageIds, type Tuning } from './contact-plan.ts';

// The contacts page (queryContacts): one page, newest first, with the cursors to the
// next and the previous page. A cursor holds the id a page ends or starts at and a hash
// of the filter, so a cursor from another filter is refused, not misread. How the ids
// are found: contact-plan.ts.

const cursorSchema = z.strictObject({
  v: z.literal(1),
  f: z.string(),
  d: z.enum(['a', 'b']),
  id: z.number().int().nonnegative(),
});

function fingerprint(f: Filters): string {
  return crypto.createHash('sha256').update(JSON.stringify(f)).digest('base64url').slice(0, 12);
}

const encode = (fp: string, d: 'a' | 'b', id: number) =>
  Buffer.from(JSON.stringify({ v: 1, f: fp, d, id })).toString('base64url');

function decode(text: string, fp: string): z.infer<typeof cursorSchema> {
  let c: z.infer<typeof cursorSchema> | null = null;
  try {
    const r = cursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    if (r.success) c = r.data;
  } catch {
    // reported below
  }
  if (!c) {
    throw new MailroomError(
      'VALIDATION',
      'The page position is not one Mailroom made; go back to the first page of contacts.',
    );
  }
  if (c.f !== fp) {
    throw new MailroomError(
      'VALIDATION',
      'The page position belongs to another search (the filter changed since); go back to the first page of contacts.',
    );
  }
  return c;
}

export function queryContacts(db: Db, query: ContactQuery, tuning: Tuning = DEFAULT_TUNING): ContactPage {
  const parsed = contactQuerySchema.safeParse(query);
  if (!parsed.success) {
    throw new MailroomError('VALIDATION', `The contacts query is not valid: ${parsed.error.issues[0]?.message}.`);
  }
  const q = parsed.data;
  const f = normaliseFilter(q.filter);
  const fp = fingerprint(f);
  const cursor = q.cursor ? decode(q.cursor, fp) : null;
  const size = q.pageSize;
  const plan = choosePlan(db, f, tuning);

  if (cursor?.d === 'b') {
    const ids = pageIds(db, plan, cursor.id, 'b', size + 1);
    if (ids.length > size) {
      const page = ids.slice(0, size).reverse();
      return {
        rows: loadContactRows(db, page),
        next: encode(fp, 'a', page[page.length - 1] as number),
        previous: encode(fp, 'b', page[0] as number),
        total: plan.total,
      };
    }
    // Fewer than a page before it: that is the first page.
    return forward(null);
  }
  return forward(cursor?.id ?? null);

  function forward(after: number | null): ContactPage {
    const ids = pageIds(db, plan, after, 'a', size + 1);
    const page = ids.slice(0, size);
    const first = page[0] ?? after;
    return {
      rows: loadContactRows(db, page),
      next: ids.length > size ? encode(fp, 'a', page[page.length - 1] as number) : null,
      previous: after !== null && first !== null ? encode(fp, 'b', first) : null,
      total: plan.total,
    };
  }
}

const ROW_SQL = `SELECT c.id, c.address, c.first_name AS firstName, c.last_name AS lastName, c.company,
    c.created_at AS createdAt,
    (SELECT json_group_array(t.name ORDER BY t.name COLLATE NOCASE) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
      WHERE ct.contact_id = c.id) AS tags,
    (SELECT json_group_array(json_object('id', l.id, 'name', l.name, 'status', m.status) ORDER BY l.name COLLATE NOCASE)
      FROM list_members m JOIN lists l ON l.id = m.list_id AND l.deleted_at IS NULL WHERE m.contact_id = c.id) AS lists,
    (SELECT s.reason FROM suppressions s WHERE s.key = c.address_key) AS suppressed
  FROM contacts c`;

type RawRow = Omit<ContactRow, 'tags' | 'lists'> & { tags: string; lists: string };

export const parseRow = (r: RawRow): ContactRow => ({
  ...r,
  tags: JSON.parse(r.tags) as string[],
  lists: JSON.parse(r.lists) as ContactRow['lists'],
});

/** The rows of these ids, in this order. */
export function loadContactRows(db: Db, ids: readonly number[]): ContactRow[] {
  if (!ids.length) return [];
  const rows = db
    .prepare(`${ROW_SQL} WHERE c.id IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify(ids)) as RawRow[];
  const byId = new Map(rows.map((r) => [r.id, parseRow(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export { DEFAULT_TUNING };
