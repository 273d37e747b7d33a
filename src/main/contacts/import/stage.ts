import type { Statement } from 'better-sqlite3';
import type { Db } from '../../db/connection.ts';
import { suppressionHashKey } from '../address.ts';
import type { StagedRow } from './check-records.ts';

// The staging table lives in the connection's TEMP database: writing it takes no lock on
// the main database, so the relay and the dispatcher keep committing while a large file is
// read and checked (measured: a TEMP-only write transaction does not block another
// connection's writer). Only the merge that follows takes the write lock, briefly.

export const STAGE_ROWS_PER_TRANSACTION = 1000;

export function createStage(db: Db): void {
  db.exec(`
    DROP TABLE IF EXISTS temp.stage;
    CREATE TEMP TABLE stage (
      rec         INTEGER PRIMARY KEY,
      key         TEXT    NOT NULL,
      address     TEXT,             -- NULL when the same as the key (most rows: less to bind and write)
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
  const many = statement(db, ROWS_PER_STATEMENT);
  const one = statement(db, 1);
  db.transaction(() => {
    let i = 0;
    // Many rows per statement: a million single-row calls cost more than SQLite's own work.
    const params: unknown[] = [];
    for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) {
      params.length = 0;
      for (let j = i; j < i + ROWS_PER_STATEMENT; j++) push(params, rows[j] as StagedRow, idBase);
      many.run(params);
    }
    for (; i < rows.length; i++) {
      params.length = 0;
      push(params, rows[i] as StagedRow, idBase);
      one.run(params);
    }
  })();
}

const ROWS_PER_STATEMENT = 50;

function push(params: unknown[], r: StagedRow, idBase: number): void {
  params.push(
    r.record,
    r.key,
    r.address === r.key ? null : r.address,
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

const statements = new WeakMap<Db, Map<number, Statement<unknown[]>>>();

function statement(db: Db, rows: number): Statement<unknown[]> {
  let byRows = statements.get(db);
  if (!byRows) {
    byRows = new Map();
    statements.set(db, byRows);
  }
  let st = byRows.get(rows);
  if (!st) {
    const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    st = db.prepare(
      `INSERT INTO temp.stage (rec, key, address, first_name, last_name, company, fields, tags, detail, declined, contact_id)
       VALUES ${values}`,
    );
    byRows.set(rows, st);
  }
  return st;
}

export function dropStage(db: Db): void {
  statements.delete(db);
  db.exec('DROP TABLE IF EXISTS temp.stage; DROP TABLE IF EXISTS temp.upd; DROP TABLE IF EXISTS temp.problems');
}

/**
 * The id the last contact got (contacts are AUTOINCREMENT: a deleted id is never given
 * again, so new ids start above the sequence, not above the largest id left).
 */
export function lastContactId(db: Db): number {
  return db
    .prepare(
      `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'contacts'), 0),
                  coalesce((SELECT max(id) FROM contacts), 0))`,
    )
    .pluck()
    .get() as number;
}
