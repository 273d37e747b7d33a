import fs from 'node:fs';
import Database from 'better-sqlite3';
import { MailroomError } from '../../shared/errors.ts';
import type { DataPaths } from './paths.ts';

export interface EngineInfo {
  pid: number;
  kind: 'serve' | 'app';
  startedAt: string;
  /** `listening` is absent in an engine.json written before the relay listened on ::1 too. */
  relay: { host: string; port: number; listening?: string[] } | null;
}

/**
 * One engine (relay + dispatcher) per data folder. The lock is an exclusive SQLite
 * lock on a small file of its own, held for the life of the process: the OS drops
 * it when the process dies, even by kill -9, so there is never a stale lock to
 * clean up. engine.json beside it says who holds it.
 */
export class EngineLock {
  private readonly db: Database.Database;
  private readonly paths: DataPaths;

  private constructor(db: Database.Database, paths: DataPaths) {
    this.db = db;
    this.paths = paths;
  }

  static acquire(paths: DataPaths, kind: EngineInfo['kind']): EngineLock {
    // Wait a moment: `mailroom status` briefly takes the lock to see whether it is held.
    const db = tryLock(paths, 1500);
    if (!db) {
      const info = readEngineInfo(paths);
      const who = info
        ? `${info.kind === 'app' ? 'the Mailroom app' : '"mailroom serve"'} (process ${info.pid}, started ${info.startedAt})`
        : 'another Mailroom process';
      throw new MailroomError(
        'ENGINE_RUNNING',
        `${who} is already running the engine on ${paths.dataDir}. Only one may run per data folder: stop it first, or use another folder with --data-dir.`,
      );
    }
    const lock = new EngineLock(db, paths);
    lock.update({ pid: process.pid, kind, startedAt: new Date().toISOString(), relay: null });
    return lock;
  }

  update(info: EngineInfo): void {
    fs.writeFileSync(this.paths.lockInfo, `${JSON.stringify(info)}\n`);
  }

  release(): void {
    fs.rmSync(this.paths.lockInfo, { force: true });
    this.db.close();
  }
}

function tryLock(paths: DataPaths, timeoutMs = 0): Database.Database | null {
  const db = new Database(paths.lock, { timeout: timeoutMs });
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    // An exclusive transaction that never ends keeps the lock until close or death.
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return null;
    throw err;
  }
}

/** Is an engine running on this folder right now? (Takes and drops the lock to find out.) */
export function runningEngine(paths: DataPaths): EngineInfo | null {
  if (!fs.existsSync(paths.lock)) return null;
  const db = tryLock(paths);
  if (db) {
    db.close();
    return null;
  }
  return readEngineInfo(paths) ?? { pid: 0, kind: 'serve', startedAt: '', relay: null };
}

function readEngineInfo(paths: DataPaths): EngineInfo | null {
  try {
    return JSON.parse(fs.readFileSync(paths.lockInfo, 'utf8')) as EngineInfo;
  } catch {
    return null;
  }
}
