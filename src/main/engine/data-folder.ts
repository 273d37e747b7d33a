import fs from 'node:fs';
import path from 'node:path';
import { MailroomError } from '../../shared/errors.ts';
import { type Db, openDatabase } from '../db/connection.ts';
import { type DataPaths, defaultDataDir } from './paths.ts';

// Opening a data folder safely. The one thing Mailroom must never do is take a folder
// that lost its database (emptied with `: > mailroom.db`, deleted, or never copied
// back) for a new installation: it would write a fresh database over the evidence,
// make a new relay login, move the relay back to port 2525 and carry on as if the
// domains, the queue and the log had never existed. So a missing or empty database
// is only initialised when nothing else of Mailroom's is in the folder; anything
// else stops with a sentence that says what was found and how to restore.
//
// Every other way the folder can be unusable (not a folder, no parent, read-only,
// damaged, disk full) gets a sentence naming the path and the fix, instead of raw
// SQLite or errno text.

/** Things only an earlier Mailroom leaves in a data folder, with what each one means. */
function earlierInstallationSigns(paths: DataPaths): string[] {
  const signs: string[] = [];
  const exists = (p: string) => fs.existsSync(p);
  // -wal first: it may hold the latest changes, and the sentence says not to delete it.
  for (const [suffix, what] of [
    ['-wal', 'recent changes not yet written into the database; keep it'],
    ['-shm', 'the database’s shared-memory index'],
    ['-journal', 'an unfinished transaction'],
  ] as const) {
    if (exists(paths.database + suffix)) signs.push(`${path.basename(paths.database)}${suffix} (${what})`);
  }
  if (exists(paths.lockInfo))
    signs.push(`${path.basename(paths.lockInfo)} (an engine ran here and did not stop cleanly, or still runs)`);
  if (exists(paths.lock)) signs.push(`${path.basename(paths.lock)} (the relay has run here)`);
  if (exists(paths.secretsFile))
    signs.push(`${path.basename(paths.secretsFile)} (passwords kept with --secret-store file)`);
  // The spool folder is made right after the database gets its schema (openDataFolder),
  // so even an empty one means a database was here.
  if (exists(paths.spool)) {
    let messages = 0;
    try {
      messages = fs.readdirSync(paths.spool).filter((f) => f.endsWith('.eml')).length;
    } catch {
      // Unreadable: it is still a sign.
    }
    signs.push(
      messages > 0
        ? `spool/ with ${messages} stored message${messages === 1 ? '' : 's'}`
        : 'spool/ (made the first time Mailroom opened this folder)',
    );
  }
  return signs;
}

const q = (p: string) => JSON.stringify(p);

/** How to get going again when the database is gone or damaged: the same two ways everywhere. */
function restoreAdvice(dir: string): string {
  return (
    `To restore, move this folder aside (for example: mv ${q(dir)} ${q(`${dir}.old`)}), then run: ` +
    `mailroom restore BACKUP-FILE --data-dir ${q(dir)}. ` +
    'To start afresh instead, move the folder aside and start Mailroom again (domains, relay login and settings are then new)'
  );
}

/**
 * Checks the folder, refuses one that lost its database, opens (and migrates) the
 * database, then makes spool/. Errors are sentences with the path and the fix.
 */
export function openDataFolder(paths: DataPaths): Db {
  ensureFolder(paths);
  refuseLostDatabase(paths);
  let db: Db;
  try {
    db = openDatabase(paths.database);
  } catch (err) {
    throw explainStorageError(err, paths);
  }
  try {
    // Only now, with the schema committed: a second process opening the same new folder
    // at this moment then sees a database, never spool/ beside an empty file.
    fs.mkdirSync(paths.spoolTmp, { recursive: true, mode: 0o700 });
    // Large messages are written there before their 250: find out now, not mid-message.
    for (const d of [paths.spool, paths.spoolTmp]) fs.accessSync(d, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    db.close();
    throw explainStorageError(err, paths, paths.spool);
  }
  return db;
}

function errnoOf(err: unknown): string {
  return String((err as { code?: unknown })?.code ?? '');
}

/** The first path on the way to `p` that exists and is not a folder (what ENOTDIR is about). */
function fileOnTheWay(p: string): string | null {
  let cur = path.resolve(p);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const c of chain) {
    try {
      if (!fs.statSync(c).isDirectory()) return c;
    } catch {
      return null;
    }
  }
  return null;
}

function notAFolder(dir: string, file: string): MailroomError {
  let what = `${q(file)} is a file, so ${q(dir)} cannot be a folder`;
  let fix = 'Point --data-dir (or MAILROOM_DATA_DIR) at a folder; Mailroom makes it if it does not exist.';
  if (file === dir) {
    what = `${q(dir)} is a file, not a folder`;
    // The usual slip: naming the database instead of the folder it is in.
    if (path.basename(dir) === 'mailroom.db')
      fix = `That is the database itself: use --data-dir ${q(path.dirname(dir))}.`;
  }
  return new MailroomError('DATA_FOLDER', `The data folder cannot be used: ${what}. ${fix} Nothing was changed.`);
}

function ensureFolder(paths: DataPaths): void {
  const dir = paths.dataDir;
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOTDIR') throw notAFolder(dir, fileOnTheWay(dir) ?? dir);
    if (code !== 'ENOENT') throw explainStorageError(err, paths, dir);
  }
  if (st && !st.isDirectory()) throw notAFolder(dir, dir);
  if (!st) {
    const parent = path.dirname(dir);
    // The OS app-data folder's parent (~/.config on a new Linux account) may not exist
    // yet and is made; a folder someone named is not: a typo would otherwise grow a
    // tree of folders somewhere unexpected.
    if (!fs.existsSync(parent) && dir !== defaultDataDir()) {
      throw new MailroomError(
        'DATA_FOLDER',
        `The data folder ${q(dir)} cannot be made because the folder it goes in, ${q(parent)}, does not exist. Check the spelling of --data-dir (or MAILROOM_DATA_DIR), or make that folder first (mkdir -p ${q(parent)}). Nothing was changed.`,
      );
    }
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOTDIR' || code === 'EEXIST') throw notAFolder(dir, fileOnTheWay(dir) ?? dir);
      throw explainStorageError(err, paths, dir);
    }
  }
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw explainStorageError(err, paths, dir);
  }
}

function refuseLostDatabase(paths: DataPaths): void {
  const file = paths.database;
  let size: number | null = null;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) {
      throw new MailroomError(
        'DATA_FOLDER',
        `${q(file)} is a folder, but Mailroom keeps its database in a file of that name. Move that folder out of ${q(paths.dataDir)}, or choose another data folder with --data-dir. Nothing was changed.`,
      );
    }
    size = st.size;
  } catch (err) {
    if (err instanceof MailroomError) throw err;
    if (errnoOf(err) !== 'ENOENT') throw explainStorageError(err, paths);
  }
  if (size !== null && size > 0) {
    try {
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
    } catch (err) {
      throw explainStorageError(err, paths, file);
    }
    return;
  }
  const signs = earlierInstallationSigns(paths);
  // A truly new folder (nothing of Mailroom's in it) is set up silently.
  if (signs.length === 0) return;
  throw new MailroomError(
    'DATA_FOLDER',
    `The database ${q(file)} is ${size === null ? 'missing' : 'empty (0 bytes)'}, but this folder was used by Mailroom before: it has ${signs.join(', ')}. Mailroom will not start a new, empty database here, because your domains, relay login, settings, queue and log would silently be replaced. ${restoreAdvice(paths.dataDir)}. Nothing was changed.`,
  );
}

/** Why `target` cannot be written, in words; null when it can. */
function writeProblem(target: string): string | null {
  try {
    fs.accessSync(target, fs.constants.W_OK);
    return null;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EROFS') return 'it is on a read-only file system';
    if (code === 'ENOENT') return 'it does not exist';
    const who = typeof process.getuid === 'function' ? ` (user id ${process.getuid()})` : '';
    return `the user running Mailroom${who} may not write there`;
  }
}

/**
 * Turns raw SQLite and file-system errors about the data folder into a sentence with
 * the path and the fix. Anything else (and our own errors) passes through unchanged.
 */
export function explainStorageError(err: unknown, paths: DataPaths, subject: string = paths.database): unknown {
  if (err instanceof MailroomError) return err;
  const code = errnoOf(err);
  const detail = (err as Error)?.message ?? String(err);
  const dir = paths.dataDir;
  const db = paths.database;
  if (code === 'SQLITE_NOTADB') {
    return new MailroomError(
      'DATA_FOLDER',
      `${q(db)} is not a database Mailroom can read (SQLite: ${detail}): it was damaged or replaced by another file. ${restoreAdvice(dir)}. Nothing was changed.`,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new MailroomError(
      'DATA_FOLDER',
      `The database ${q(db)} is damaged (SQLite: ${detail}). Stop Mailroom before anything else is written. ${restoreAdvice(dir)}. Without a backup, "sqlite3 ${db} .recover" can often save what is still readable into a new file.`,
    );
  }
  // SQLite names no file: find the one that cannot be written (the database, else its folder).
  const sqliteTarget = fs.existsSync(db) && writeProblem(db) ? db : dir;
  const cannotWrite =
    code.startsWith('SQLITE_READONLY') ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    (code.startsWith('SQLITE_CANTOPEN') && writeProblem(sqliteTarget) !== null);
  if (cannotWrite) {
    const target = code.startsWith('SQLITE_') ? sqliteTarget : subject;
    const reason = code === 'EROFS' ? 'it is on a read-only file system' : (writeProblem(target) ?? 'it is read-only');
    const fsReadOnly = reason.includes('read-only file system');
    return new MailroomError(
      'DATA_FOLDER',
      `Mailroom cannot write to ${q(target)}: ${reason}. It needs to write everything in its data folder ${q(dir)}. ${
        fsReadOnly
          ? 'Copy the folder to a writable disk and point --data-dir (or MAILROOM_DATA_DIR) at the copy.'
          : `Make the folder and its files writable by the user running Mailroom (for example: chown -R "$(id -un)" ${q(dir)} && chmod -R u+rwX ${q(dir)}), or choose another folder with --data-dir.`
      } Nothing was changed.`,
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new MailroomError(
      'DATA_FOLDER',
      `The disk holding ${q(dir)} is full (${detail}). Free some space there, then try again. Mail already accepted is safe.`,
    );
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') return notAFolder(subject, fileOnTheWay(subject) ?? subject);
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR')) {
    return new MailroomError(
      'DATA_FOLDER',
      `Could not open the database ${q(db)} (SQLite: ${detail}). Check that ${q(dir)} is a folder on a working disk that Mailroom may write, or choose another with --data-dir.`,
    );
  }
  return err;
}
