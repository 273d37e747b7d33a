import {
  BUILTIN_FIELDS,
  type ContactField,
  type FieldType,
  fieldKeySchema,
  fieldTypeSchema,
} from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';

// Custom fields (merge fields): the key never changes (campaigns write {{ key }}), the
// label may. Values live in contacts.fields as JSONB: text as text, numbers as numbers,
// dates as 'YYYY-MM-DD' text, so segments compare them the right way.

export function listFields(db: Db): ContactField[] {
  return db
    .prepare('SELECT id, key, label, type FROM contact_fields ORDER BY label COLLATE NOCASE, key')
    .all() as ContactField[];
}

export function fieldMap(db: Db): Map<string, ContactField> {
  return new Map(listFields(db).map((f) => [f.key, f]));
}

export function createField(db: Db, key: string, label: string, type: FieldType, now = Date.now()): ContactField {
  const k = fieldKeySchema.safeParse(key);
  if (!k.success) throw new MailroomError('VALIDATION', `"${key}": ${k.error.issues[0]?.message}`);
  if ((BUILTIN_FIELDS as readonly string[]).includes(k.data)) {
    throw new MailroomError('NAME_TAKEN', `"${key}" is a field every contact already has; choose another key.`);
  }
  const t = fieldTypeSchema.safeParse(type);
  if (!t.success) throw new MailroomError('VALIDATION', `A field is text, number or date (not "${type}").`);
  const l = label.trim() || k.data;
  if (l.length > 100) throw new MailroomError('VALIDATION', 'A field label has at most 100 characters.');
  if (db.prepare('SELECT 1 FROM contact_fields WHERE key = ?').get(k.data)) {
    throw new MailroomError('NAME_TAKEN', `There is already a field "${k.data}".`);
  }
  const id = Number(
    db
      .prepare('INSERT INTO contact_fields (key, label, type, created_at) VALUES (?, ?, ?, ?)')
      .run(k.data, l, t.data, now).lastInsertRowid,
  );
  return { id, key: k.data, label: l, type: t.data };
}

/** A new label; the key (what campaigns use) stays. */
export function renameField(db: Db, keyOrId: string | number, label: string): ContactField {
  const f = findField(db, keyOrId);
  const l = label.trim();
  if (!l || l.length > 100) throw new MailroomError('VALIDATION', 'A field label has 1 to 100 characters.');
  db.prepare('UPDATE contact_fields SET label = ? WHERE id = ?').run(l, f.id);
  return { ...f, label: l };
}

export function findField(db: Db, keyOrId: string | number): ContactField {
  const row = db
    .prepare(`SELECT id, key, label, type FROM contact_fields WHERE ${typeof keyOrId === 'number' ? 'id' : 'key'} = ?`)
    .get(keyOrId) as ContactField | undefined;
  if (!row) {
    throw new MailroomError('NOT_FOUND', `There is no custom field "${keyOrId}". ${knownFields(db)}`);
  }
  return row;
}

export function knownFields(db: Db): string {
  const keys = listFields(db).map((f) => f.key);
  return keys.length ? `Known fields: ${keys.join(', ')}.` : 'There are no custom fields yet.';
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A date as YYYY-MM-DD that exists in the calendar, or null. */
export function checkDate(text: string): string | null {
  const m = DATE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d ? (m[0] as string) : null;
}

/** One value checked against its field's type; null means "no value". */
export function checkFieldValue(field: ContactField, value: unknown): string | number | null {
  if (value === null || value === undefined || value === '') return null;
  if (field.type === 'number') {
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)
          ? Number(value)
          : Number.NaN;
    if (!Number.isFinite(n)) {
      throw new MailroomError(
        'VALIDATION',
        `The field "${field.key}" holds numbers (like 42 or 3.5), not "${String(value)}".`,
      );
    }
    return n;
  }
  if (field.type === 'date') {
    const d = typeof value === 'string' ? checkDate(value) : null;
    if (!d) {
      throw new MailroomError(
        'VALIDATION',
        `The field "${field.key}" holds dates written YYYY-MM-DD (like 2024-01-31), not "${String(value)}".`,
      );
    }
    return d;
  }
  const s = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (s === null) throw new MailroomError('VALIDATION', `The field "${field.key}" holds text.`);
  if (s.length > 2000)
    throw new MailroomError('VALIDATION', `The field "${field.key}" takes at most 2,000 characters.`);
  return s || null;
}

/**
 * Applies `patch` to `current`: each key must be a known field, each value fits its
 * type; null or '' removes the value. Returns the new values.
 */
export function mergeFieldValues(
  fields: Map<string, ContactField>,
  current: Record<string, string | number>,
  patch: Record<string, unknown>,
): Record<string, string | number> {
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const f = fields.get(key);
    if (!f) {
      const keys = [...fields.keys()];
      throw new MailroomError(
        'NOT_FOUND',
        `There is no custom field "${key}". ${keys.length ? `Known fields: ${keys.join(', ')}.` : 'There are no custom fields yet.'} Custom fields are created by an import or in the window's Fields; a value is only given to a field that exists.`,
      );
    }
    const v = checkFieldValue(f, value);
    if (v === null) delete next[key];
    else next[key] = v;
  }
  return next;
}
