import type { Statement } from 'better-sqlite3';
import type { Db } from '../../db/connection.ts';
import { suppressionHashKey } from '../address.ts';
import type { StagedRow } from './check-records.ts';

// The staging table lives in the connection's TEMP database: writing it takes no lock on
// the main database, so the relay and the dispatcher keep committing while a large file is
// read and checked (measured: a TEMP-only write transaction does not block another
// connection's writer). Only the merge that follows takes the write lock, briefly.

export const STAGE_ROWS_PER_TRANSACTION = 5000;

export function createStage(db: Db): void {
  db.exec(`
    DROP TABLE IF EXISTS temp.stage;
    CREATE TEMP TABLE stage (
      rec         INTEGER PRIMARY KEY,
      key         TEXT    NOT NULL,
      address     TEXT    NOT NULL,
      first_name  TEXT    NOT NULL,
      last_name   TEXT    NOT NULL,
      company     TEXT    NOT NULL,
      fields      TEXT,
      tags        TEXT,
      detail      TEXT,
      declined    INTEGER NOT NULL,
      contact_id  INTEGER,
      existed     INTEGER NOT NULL DEFAULT 0,
      suppressed  INTEGER NOT NULL DEFAULT 0,
      changed     INTEGER NOT NULL DEFAULT 0
    );
  `);
  // The merge looks up erased suppressions by the hash of a key.
  db.function('suppression_hash', { deterministic: true }, (key: unknown) => suppressionHashKey(String(key)));
}

/**
 * Appends rows to the stage in one TEMP transaction. Each row gets the contact id it will
 * have if it is new: `idBase` (the largest contact id when the import started) plus its
 * record number, so the merge needs no lookup to link rows to new contacts.
 */
export function stageRows(db: Db, rows: StagedRow[], idBase: number): void {
  const insert = insertStatement(db);
  db.transaction(() => {
    for (const r of rows) {
      insert.run(
        r.record,
        r.key,
        r.address,
        r.firstName,
        r.lastName,
        r.company,
        r.fields,
        r.tags,
        r.detail,
        r.declined ? 1 : 0,
        idBase + r.record,
      );
    }
  })();
}

const statements = new WeakMap<Db, Statement<unknown[]>>();

function insertStatement(db: Db): Statement<unknown[]> {
  let insert = statements.get(db);
  if (!insert) {
    insert = db.prepare(
      `INSERT INTO temp.stage (rec, key, address, first_name, last_name, company, fields, tags, detail, declined, contact_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    statements.set(db, insert);
  }
  return insert;
}

export function dropStage(db: Db): void {
  statements.delete(db);
  db.exec('DROP TABLE IF EXISTS temp.stage; DROP TABLE IF EXISTS temp.upd; DROP TABLE IF EXISTS temp.problems');
}
