import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type BackupManifest, backupManifestSchema } from '../../shared/domain/backup.ts';
import { MailroomError } from '../../shared/errors.ts';
import { SCHEMA_VERSION } from '../db/connection.ts';
import { fsyncDir } from '../engine/durable-fs.ts';

// `mailroom restore FILE`: a backup into an empty or new data folder, never over
// anything. The archive is unpacked into a temporary folder beside the target (same
// file system), checked in full (manifest, schema not newer than this Mailroom, every
// file's size and SHA-256, SQLite's integrity_check, every spool file the database
// points at), fsynced, and only then renamed into place in one step. A damaged,
// truncated or foreign file is refused before anything is placed.

const SPOOL_ENTRY = /^spool\/[A-Za-z0-9._-]+\.eml$/;

export interface RestoreResult {
  dataDir: string;
  manifest: BackupManifest;
}

const refuse = (message: string) => new MailroomError('RESTORE', message);

/** The target must be missing or an empty folder; its parent must exist. */
function checkTarget(dataDir: string): void {
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(dataDir);
  } catch {
    // Missing: it is made.
  }
  if (st && !st.isDirectory()) {
    throw refuse(
      `${dataDir} is a file, not a folder. Choose a data folder that does not exist yet with --data-dir. Nothing was changed.`,
    );
  }
  if (st) {
    const entries = fs.readdirSync(dataDir);
    if (entries.length > 0) {
      const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
      throw refuse(
        `${dataDir} is not empty (it has ${shown}): a restore never overwrites anything. Move that folder aside (for example: mv "${dataDir}" "${dataDir}.old") and run the restore again, or restore into a new folder with --data-dir. Nothing was changed.`,
      );
    }
  }
  const parent = path.dirname(dataDir);
  if (!fs.existsSync(parent)) {
    throw refuse(
      `The folder ${parent} does not exist. Make it first (mkdir -p "${parent}"), or choose another --data-dir. Nothing was changed.`,
    );
  }
}

function sha256(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function unpack(file: string, into: string, damaged: (why: string) => MailroomError): Promise<void> {
  const foreign: string[] = [];
  // Loaded here, not at start: every other command and the app's start skip it.
  const { extract: extractTar } = await import('tar');
  try {
    await extractTar({
      file,
      cwd: into,
      strict: true,
      preserveOwner: false,
      // Only what a backup contains; anything else (links, devices, other paths) is
      // left out here and refused below, so nothing lands outside the folder.
      filter: (p, entry) => {
        const name = p.replace(/^\.\//, '').replace(/\/$/, '');
        const type = 'type' in entry ? entry.type : 'File';
        const ok =
          (type === 'File' && (name === 'manifest.json' || name === 'mailroom.db' || SPOOL_ENTRY.test(name))) ||
          (type === 'Directory' && name === 'spool');
        if (!ok) foreign.push(name);
        return ok;
      },
    });
  } catch (err) {
    throw damaged(`it could not be unpacked (${(err as Error).message})`);
  }
  if (foreign.length) {
    throw damaged(`it holds ${foreign.slice(0, 3).join(', ')}, which no Mailroom backup contains`);
  }
}

function readManifest(folder: string, damaged: (why: string) => MailroomError): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
  } catch {
    throw damaged('it has no readable manifest.json, so it is not a Mailroom backup');
  }
  const parsed = backupManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const format = (raw as { format?: unknown; formatVersion?: unknown }) ?? {};
    if (format.format === 'mailroom-backup' && typeof format.formatVersion === 'number' && format.formatVersion > 1) {
      throw refuse(
        'This backup was made by a newer Mailroom (backup format ' +
          format.formatVersion +
          '). Update Mailroom, then restore it. Nothing was changed.',
      );
    }
    throw damaged(
      `its manifest.json is not one Mailroom wrote (${parsed.error.issues[0]?.message ?? 'unexpected content'})`,
    );
  }
  return parsed.data;
}

function verify(folder: string, m: BackupManifest, damaged: (why: string) => MailroomError): void {
  if (m.schemaVersion > SCHEMA_VERSION) {
    throw refuse(
      `This backup was made by a newer Mailroom (${m.mailroomVersion}, database schema ${m.schemaVersion}; this one understands up to ${SCHEMA_VERSION}). Update Mailroom, then restore it. Nothing was changed.`,
    );
  }
  const listed = new Set(m.files.map((f) => f.path));
  if (!listed.has('mailroom.db')) throw damaged('its manifest lists no database');
  for (const f of m.files) {
    if (f.path !== 'mailroom.db' && !SPOOL_ENTRY.test(f.path)) throw damaged(`its manifest lists ${f.path}`);
    const file = path.join(folder, f.path);
    if (!fs.existsSync(file)) throw damaged(`${f.path} is missing from it`);
    const size = fs.statSync(file).size;
    if (size !== f.bytes || sha256(file) !== f.sha256) {
      throw damaged(`${f.path} is not what was backed up (${size} bytes, ${f.bytes} expected, or different content)`);
    }
  }
  const spool = path.join(folder, 'spool');
  for (const name of fs.existsSync(spool) ? fs.readdirSync(spool) : []) {
    if (!listed.has(`spool/${name}`)) throw damaged(`spool/${name} is in it but not in its manifest`);
  }
  const db = new Database(path.join(folder, 'mailroom.db'), { readonly: true, fileMustExist: true });
  try {
    const schema = db.pragma('user_version', { simple: true }) as number;
    if (schema !== m.schemaVersion)
      throw damaged(`its database is at schema ${schema}, its manifest says ${m.schemaVersion}`);
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw damaged(`SQLite's integrity check of its database failed (${String(check)})`);
    const installId = db.prepare("SELECT value FROM meta WHERE key = 'install_id'").pluck().get();
    if (installId !== m.installId) throw damaged('its database belongs to another installation than its manifest');
    const missing = (
      db.prepare('SELECT spool_path FROM messages WHERE spool_path IS NOT NULL').pluck().all() as string[]
    ).filter((p) => !listed.has(p) && !m.missingSpoolFiles.includes(p));
    if (missing.length) throw damaged(`its database points at ${missing[0]}, which is not in it`);
  } catch (err) {
    if (err instanceof MailroomError) throw err;
    throw damaged(`its database cannot be read (SQLite: ${(err as Error).message})`);
  } finally {
    db.close();
  }
}

export async function restoreBackup(file: string, dataDir: string): Promise<RestoreResult> {
  const source = path.resolve(file);
  const target = path.resolve(dataDir);
  if (!fs.existsSync(source) || !fs.statSync(source).isFile()) {
    throw refuse(
      `There is no backup file at ${source}. Check the name; backups are .tar.gz files made with "mailroom backup" or Settings → App. Nothing was changed.`,
    );
  }
  checkTarget(target);
  const damaged = (why: string) =>
    refuse(
      `${source} cannot be restored: ${why}. It may be damaged or incomplete; try another backup. Nothing was changed.`,
    );
  // Beside the target, so the final rename stays on one file system and is atomic.
  const temp = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.restore-`));
  try {
    await unpack(source, temp, damaged);
    const manifest = readManifest(temp, damaged);
    verify(temp, manifest, damaged);
    fs.rmSync(path.join(temp, 'manifest.json'));
    fs.mkdirSync(path.join(temp, 'spool', 'tmp'), { recursive: true, mode: 0o700 });
    fs.chmodSync(temp, 0o700);
    fs.chmodSync(path.join(temp, 'spool'), 0o700);
    // Everything on disk before the rename makes it the data folder.
    for (const f of manifest.files) fsyncFile(path.join(temp, f.path));
    fsyncDir(path.join(temp, 'spool'));
    fsyncDir(temp);
    checkTarget(target); // still empty: nobody started Mailroom there meanwhile
    if (fs.existsSync(target)) fs.rmdirSync(target); // empty (checked); rename cannot replace a folder everywhere
    fs.renameSync(temp, target);
    fsyncDir(path.dirname(target));
    return { dataDir: target, manifest };
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    if (err instanceof MailroomError) throw err;
    throw refuse(
      `The backup could not be restored into ${target}: ${(err as Error).message}. Nothing was placed there.`,
    );
  }
}
