import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  type BackupSummary,
  type SecretToReenter,
} from '../../shared/domain/backup.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { fsyncDir } from '../engine/durable-fs.ts';
import type { DataPaths } from '../engine/paths.ts';

// `mailroom backup FILE` and Settings → App → Back up…: one .tar.gz with manifest.json,
// a consistent copy of the database and the spool files that copy points at.
//
// - The copy is SQLite's online backup (better-sqlite3's db.backup()), taken while the
//   engine runs and the relay keeps accepting. In the process that runs the relay the
//   copy goes in small steps on the relay's own connection: SQLite then carries every
//   commit made meanwhile into the copy, and the relay waits at most one step. In any
//   other process (the CLI beside `mailroom serve`) it is one step, one read
//   transaction: WAL readers never block the relay's writers, and a step-wise copy
//   would start over at each of their commits.
// - Spool files are hard-linked into a staging folder inside the data folder the
//   moment the copy is made, so the clean-up removing one a moment later cannot tear
//   the archive; a file already gone is squared with the live database.
// - tar (the npm `tar` package, a mature implementation) keeps the archive readable
//   with standard tools: `tar tzf backup.tar.gz` lists it. gzip's CRC and the
//   manifest's SHA-256 per file let restore refuse a damaged or truncated archive.
// - Secrets are never in it; the manifest lists which ones a restore elsewhere needs.

export interface BackupOptions {
  db: Db;
  paths: DataPaths;
  /** The file to write, or a folder to write a dated file into. */
  target: string;
  /** The app's save dialog has already asked whether to replace the file. */
  overwrite: boolean;
  /** This process writes through `db` (it runs the relay): copy in small steps. */
  liveWriter: boolean;
  mailroomVersion: string;
}

export const SECRETS_NOTE =
  'Passwords and DKIM private keys are not in this backup: they stay in the OS keychain (or in secrets.json with --secret-store file), so the backup file holds no secret. Restored on this computer, Mailroom finds them in the keychain again; on another computer (or without secrets.json), enter these again:';

/** A dated name for a backup file. */
export function defaultBackupName(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `mailroom-backup-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}.tar.gz`;
}

/** The secrets this data folder uses, by name, from what the database says is set up. */
export function secretsToReenter(db: Db): SecretToReenter[] {
  const setting = (key: string) => {
    const v = db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
    return v === undefined ? '' : String(JSON.parse(v));
  };
  const out: SecretToReenter[] = [];
  if (setting('relay.username')) {
    out.push({
      name: 'relay.password',
      what: 'the password your mail programs use to log in to the relay',
      howToSet:
        'make a new one in Settings → Local relay (or: mailroom relay credentials --rotate) and type it into your mail programs, or set the old one with: mailroom secret set relay.password',
    });
  }
  const host = setting('smarthost.host');
  if (host) {
    out.push({
      name: 'smarthost.password',
      what: `the password or API key for your provider's server ${host}`,
      howToSet: 'Settings → Sending route, or: mailroom secret set smarthost.password',
    });
  }
  for (const k of db.prepare('SELECT domain, selector FROM dkim_keys ORDER BY domain, selector').all() as {
    domain: string;
    selector: string;
  }[]) {
    out.push({
      name: `dkim/${k.domain.toLowerCase()}/${k.selector.toLowerCase()}`,
      what: `the DKIM private key of ${k.domain} (selector ${k.selector})`,
      howToSet: `with a copy of the key: mailroom dkim import ${k.domain} --selector ${k.selector} --key FILE; without one, make a new key in Domain setup (or: mailroom dkim generate ${k.domain}) and publish its DNS record`,
    });
  }
  return out;
}

/** Which of these secrets the store holds; null when the store cannot be reached (no keychain). */
export async function secretsPresence(
  store: { get(name: string): Promise<string | null> },
  names: readonly SecretToReenter[],
): Promise<{ name: string; present: boolean | null }[]> {
  const out: { name: string; present: boolean | null }[] = [];
  for (const s of names) {
    try {
      out.push({ name: s.name, present: (await store.get(s.name)) !== null });
    } catch {
      out.push({ name: s.name, present: null });
    }
  }
  return out;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Resolves where the backup goes, refusing what would lose or hide something. */
function resolveTarget(o: BackupOptions): string {
  let target = path.resolve(o.target);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(target);
  } catch {
    // Does not exist yet: fine.
  }
  if (st?.isDirectory()) {
    target = path.join(target, defaultBackupName());
    st = fs.existsSync(target) ? fs.statSync(target) : null;
  }
  const rel = path.relative(o.paths.dataDir, target);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    throw new MailroomError(
      'BACKUP',
      `A backup inside the data folder (${target}) would be lost with it. Save it somewhere else: another disk, a USB stick or a synced folder. Nothing was written.`,
    );
  }
  if (st && !o.overwrite) {
    throw new MailroomError(
      'BACKUP',
      `${target} already exists. Choose another file name (or remove that file first); a backup never overwrites a file. Nothing was written.`,
    );
  }
  const parent = path.dirname(target);
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) {
    throw new MailroomError(
      'BACKUP',
      `The folder ${parent} does not exist. Make it first, or choose another place. Nothing was written.`,
    );
  }
  return target;
}

export async function createBackup(o: BackupOptions): Promise<BackupSummary> {
  const target = resolveTarget(o);
  const createdAt = new Date().toISOString();
  // Inside the data folder, so spool files can be hard-linked (same file system).
  const staging = fs.mkdtempSync(path.join(o.paths.dataDir, '.backup-'));
  const partial = `${target}.partial-${process.pid}`;
  try {
    const copyFile = path.join(staging, 'mailroom.db');
    await o.db.backup(copyFile, {
      // Pages per step: small steps on our own connection, else all of it at once.
      progress: () => (o.liveWriter ? 1024 : 0x7fffffff),
    });
    const copy = new Database(copyFile);
    let manifest: BackupManifest;
    try {
      copy.pragma('foreign_keys = ON');
      const missing = placeSpoolFiles(o, copy, staging);
      // A plain file that opens anywhere, even read-only, with no -wal beside it.
      copy.pragma('journal_mode = DELETE');
      const count = (sql: string) => copy.prepare(sql).pluck().get() as number;
      const spoolPaths = copy
        .prepare('SELECT spool_path FROM messages WHERE spool_path IS NOT NULL ORDER BY id')
        .pluck()
        .all() as string[];
      manifest = {
        format: BACKUP_FORMAT,
        formatVersion: BACKUP_FORMAT_VERSION,
        mailroomVersion: o.mailroomVersion,
        schemaVersion: copy.pragma('user_version', { simple: true }) as number,
        createdAt,
        installId: copy.prepare("SELECT value FROM meta WHERE key = 'install_id'").pluck().get() as string,
        counts: {
          messages: count('SELECT count(*) FROM messages'),
          deliveries: count('SELECT count(*) FROM deliveries'),
          deliveryEvents: count('SELECT count(*) FROM delivery_events'),
          spoolFiles: spoolPaths.length,
          sendingDomains: count('SELECT count(*) FROM sending_domains'),
        },
        // Sizes and hashes are filled in below, once the copy is closed.
        files: ['mailroom.db', ...spoolPaths.filter((p) => !missing.includes(p))].map((p) => ({
          path: p,
          bytes: 0,
          sha256: '',
        })),
        secrets: { note: SECRETS_NOTE, names: secretsToReenter(copy) },
        missingSpoolFiles: missing,
      };
    } finally {
      copy.close();
    }
    for (const f of manifest.files) {
      const file = path.join(staging, f.path);
      f.bytes = fs.statSync(file).size;
      f.sha256 = await sha256(file);
    }
    fs.writeFileSync(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(partial, { force: true });
    // Loaded here, not at start: every other command and the app's start skip it.
    const { create: createTar } = await import('tar');
    await createTar({ gzip: true, file: partial, cwd: staging, portable: true }, [
      'manifest.json',
      ...manifest.files.map((f) => f.path),
    ]);
    const fd = fs.openSync(partial, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(partial, target);
    fsyncDir(path.dirname(target));
    return {
      file: target,
      bytes: fs.statSync(target).size,
      createdAt,
      counts: manifest.counts,
      secrets: manifest.secrets,
      missingSpoolFiles: manifest.missingSpoolFiles,
    };
  } catch (err) {
    fs.rmSync(partial, { force: true });
    if (err instanceof MailroomError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOSPC' ? 'the disk is full' : e.message;
    throw new MailroomError('BACKUP', `The backup to ${target} could not be made: ${why}. Nothing was written there.`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Hard-links (or copies) every spool file the copy points at into the staging folder.
 * A file already gone was removed by the clean-up after the copy was taken: the copy
 * then takes the message's row as it is now (body removed, or message deleted), the
 * state a moment later. One that is gone while the live database still points at it
 * was lost before the backup; it is listed in the manifest rather than failing the
 * backup, which is exactly when a backup is wanted.
 */
function placeSpoolFiles(o: BackupOptions, copy: Database.Database, staging: string): string[] {
  const rows = copy.prepare('SELECT id, spool_path AS spoolPath FROM messages WHERE spool_path IS NOT NULL').all() as {
    id: number;
    spoolPath: string;
  }[];
  if (rows.length) fs.mkdirSync(path.join(staging, 'spool'));
  const live = o.db.prepare(
    'SELECT body, spool_path AS spoolPath, body_removed_at AS bodyRemovedAt FROM messages WHERE id = ?',
  );
  const lost: string[] = [];
  for (const r of rows) {
    if (!/^spool\/[A-Za-z0-9._-]+\.eml$/.test(r.spoolPath)) {
      lost.push(r.spoolPath);
      continue;
    }
    const from = path.join(o.paths.dataDir, r.spoolPath);
    const to = path.join(staging, r.spoolPath);
    try {
      try {
        fs.linkSync(from, to);
      } catch (err) {
        // No hard links on this file system (or across it): copy instead.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
        fs.copyFileSync(from, to);
      }
      continue;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const now = live.get(r.id) as
      | { body: Buffer | null; spoolPath: string | null; bodyRemovedAt: number | null }
      | undefined;
    if (!now) {
      copy.prepare('DELETE FROM messages WHERE id = ?').run(r.id);
    } else if (now.bodyRemovedAt !== null && now.spoolPath === null) {
      copy
        .prepare('UPDATE messages SET body = ?, spool_path = NULL, body_removed_at = ? WHERE id = ?')
        .run(now.body, now.bodyRemovedAt, r.id);
    } else {
      lost.push(r.spoolPath);
    }
  }
  return lost;
}
