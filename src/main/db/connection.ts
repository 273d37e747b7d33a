import Database from 'better-sqlite3';
import { MailroomError } from '../../shared/errors.ts';
import { MIGRATIONS } from './migrations/index.ts';

export type Db = Database.Database;

/**
 * Opens the Mailroom database with the settings the guarantees depend on.
 *
 * better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, so a WAL database
 * silently runs at synchronous=NORMAL, where a commit is not fsynced before it
 * returns. A message we answer 250 for must survive a power cut, so every
 * connection sets FULL and we read it back rather than trust it.
 */
export function openDatabase(file: string): Db {
  // Errors keep SQLite's code (SQLITE_CANTOPEN, SQLITE_NOTADB…): the data folder layer
  // (engine/data-folder.ts) turns them into a sentence naming the folder and the fix.
  const db: Db = new Database(file);
  try {
    // The busy timeout first: switching to WAL and migrating wait for another process
    // (the app and the CLI opening a new folder at the same moment) instead of failing.
    db.pragma('busy_timeout = 5000');
    // Refuse a newer schema before anything (even switching to WAL) touches the file.
    refuseNewerSchema(db);
    withBusyRetry(() => db.pragma('journal_mode = WAL'));
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Reads through a memory map rather than one read() per 4 KB page (SQLite's own cache
    // is 2 MB): a pass over every contact, as a segment count makes, takes about half the
    // time (~100 ms instead of ~200 ms over 1M contacts, bench/contacts.ts). The pages are
    // the OS file cache's, not this process's memory; writes still go through write() and
    // fsync, so guarantee 1 is unchanged.
    db.pragma('mmap_size = 1073741824');
    assertPragmas(db);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function assertPragmas(db: Db): void {
  const sync = db.pragma('synchronous', { simple: true });
  const fk = db.pragma('foreign_keys', { simple: true });
  const journal = db.pragma('journal_mode', { simple: true });
  if (sync !== 2 || fk !== 1 || journal !== 'wal') {
    throw new MailroomError(
      'DATABASE',
      `The database did not accept Mailroom's safety settings (synchronous=${sync}, foreign_keys=${fk}, journal_mode=${journal}); refusing to run without them.`,
    );
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Applies pending migrations, each in its own transaction together with its version
 * bump. The version is read again inside the write lock, so two processes opening a
 * new data folder at once apply each migration exactly once.
 */
export function migrate(db: Db): void {
  for (;;) {
    let applied: string | null = null;
    // The pragma is a no-op inside a transaction, so it is switched before BEGIN for
    // the next migration when that one rebuilds a referenced table.
    const next = MIGRATIONS[db.pragma('user_version', { simple: true }) as number];
    if (next?.foreignKeysOff) db.pragma('foreign_keys = OFF');
    let retry = false;
    const step = db.transaction(() => {
      const version = refuseNewerSchema(db);
      const migration = MIGRATIONS[version];
      if (!migration) return;
      // Another process may have migrated between our look and the lock: only run a
      // migration with the foreign-key setting it was prepared for.
      if (Boolean(migration.foreignKeysOff) !== Boolean(next?.foreignKeysOff)) {
        retry = true;
        return;
      }
      try {
        db.exec(migration.sql);
        if (migration.foreignKeysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`${broken.length} rows would break a foreign key`);
        }
      } catch (err) {
        throw new MailroomError(
          'DATABASE',
          `Updating the database to schema ${version + 1} (${migration.name}) failed: ${(err as Error).message}. The database was left at schema ${version}.`,
        );
      }
      db.pragma(`user_version = ${version + 1}`);
      applied = migration.name;
    });
    try {
      step.immediate();
    } finally {
      db.pragma('foreign_keys = ON');
    }
    if (retry) continue;
    if (!applied) return;
  }
}

function refuseNewerSchema(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new MailroomError(
      'DATABASE_TOO_NEW',
      `This data folder was written by a newer Mailroom (schema ${current}; this version understands up to ${SCHEMA_VERSION}). Update Mailroom, or point it at another data folder with --data-dir. Nothing was changed.`,
    );
  }
  return current;
}

/**
 * SQLite does not call the busy handler while it switches a new database to WAL,
 * so a second process opening the same new file at that instant gets SQLITE_BUSY
 * at once; try again for up to five seconds.
 */
function withBusyRetry<T>(fn: () => T): T {
  const until = Date.now() + 5000;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > until) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
