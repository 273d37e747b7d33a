import fs from 'node:fs';
import path from 'node:path';
import type { DataSize } from '../../shared/domain/backup.ts';
import type { Db } from '../db/connection.ts';
import type { DataPaths } from './paths.ts';

// What the data folder takes on disk: the database with its WAL and shared memory,
// and the spool. The app's own browser profile (Chromium's files, also in this folder)
// is not Mailroom's data and is left out.

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

export async function dataFolderSize(paths: DataPaths, db: Db): Promise<DataSize> {
  const database = (await Promise.all(['', '-wal', '-shm'].map((suffix) => fileSize(paths.database + suffix)))).reduce(
    (a, b) => a + b,
    0,
  );
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const freePages = db.pragma('freelist_count', { simple: true }) as number;
  let spool = 0;
  let spoolFiles = 0;
  let names: string[] = [];
  try {
    names = (await fs.promises.readdir(paths.spool)).filter((f) => f.endsWith('.eml'));
  } catch {
    // No spool folder yet: nothing in it.
  }
  for (const name of names) {
    spool += await fileSize(path.join(paths.spool, name));
    spoolFiles++;
  }
  return { database, databaseFree: pageSize * freePages, spool, spoolFiles, total: database + spool };
}
