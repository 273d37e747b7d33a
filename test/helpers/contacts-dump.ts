import path from 'node:path';
import Database from 'better-sqlite3';

// Everything an import may change, read through a separate connection as another process
// would: two dumps are equal exactly when the lists, people, tags, fields and suppressions are.

const TABLES: Record<string, string> = {
  lists: 'SELECT * FROM lists ORDER BY id',
  contacts:
    'SELECT id, address, address_key, first_name, last_name, company, json(fields) AS fields, consent_source, consent_basis, consent_at, consent_detail, import_id, created_at, updated_at FROM contacts ORDER BY id',
  list_members: 'SELECT * FROM list_members ORDER BY list_id, contact_id',
  tags: 'SELECT * FROM tags ORDER BY id',
  contact_tags: 'SELECT * FROM contact_tags ORDER BY contact_id, tag_id',
  contact_fields: 'SELECT * FROM contact_fields ORDER BY id',
  suppressions: 'SELECT * FROM suppressions ORDER BY key',
  import_changes: 'SELECT * FROM import_changes ORDER BY import_id, contact_id',
};

export type Dump = Record<string, unknown[]>;

export function dumpContacts(dataDir: string, tables = Object.keys(TABLES)): Dump {
  const db = new Database(path.join(dataDir, 'mailroom.db'), { readonly: true });
  try {
    return Object.fromEntries(tables.map((t) => [t, db.prepare(TABLES[t] as string).all()]));
  } finally {
    db.close();
  }
}
