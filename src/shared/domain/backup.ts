import { z } from 'zod';

// A backup is one .tar.gz: manifest.json, a consistent copy of mailroom.db, and the
// spool files that copy points at. Secrets are never in it (see `secrets`).

/** A secret the backup does not carry, and how to enter it again. Names only, never values. */
export const secretToReenterSchema = z.object({
  name: z.string(),
  what: z.string(),
  howToSet: z.string(),
});
export type SecretToReenter = z.infer<typeof secretToReenterSchema>;

export const backupCountsSchema = z.object({
  messages: z.number().int().min(0),
  deliveries: z.number().int().min(0),
  deliveryEvents: z.number().int().min(0),
  spoolFiles: z.number().int().min(0),
  sendingDomains: z.number().int().min(0),
});

export const BACKUP_FORMAT = 'mailroom-backup';
export const BACKUP_FORMAT_VERSION = 1;

export const backupManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.literal(BACKUP_FORMAT_VERSION),
  mailroomVersion: z.string(),
  /** The database's schema (user_version): a backup from a newer Mailroom is refused. */
  schemaVersion: z.number().int().min(1),
  createdAt: z.string(),
  /** Keychain entries are filed under it: a restore on the same computer finds them again. */
  installId: z.string().regex(/^[0-9a-f]{32}$/),
  counts: backupCountsSchema,
  /** Every file in the archive besides the manifest, with its size and SHA-256, checked on restore. */
  files: z.array(
    z.object({
      path: z.string(),
      bytes: z.number().int().min(0),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
  secrets: z.object({ note: z.string(), names: z.array(secretToReenterSchema) }),
  /** Spool files the database pointed at that were already missing from the data folder. */
  missingSpoolFiles: z.array(z.string()),
});
export type BackupManifest = z.infer<typeof backupManifestSchema>;

/** What a finished backup tells the person (CLI and Settings → App). */
export const backupSummarySchema = z.object({
  file: z.string(),
  bytes: z.number(),
  createdAt: z.string(),
  counts: backupCountsSchema,
  secrets: z.object({ note: z.string(), names: z.array(secretToReenterSchema) }),
  missingSpoolFiles: z.array(z.string()),
});
export type BackupSummary = z.infer<typeof backupSummarySchema>;

/** The data folder's size on disk, in bytes. */
export const dataSizeSchema = z.object({
  /** mailroom.db with its -wal and -shm files. */
  database: z.number(),
  /** Space inside the database freed by clean-up, which new mail reuses before the file grows. */
  databaseFree: z.number(),
  /** Messages over 1 MB, stored as files. */
  spool: z.number(),
  spoolFiles: z.number(),
  total: z.number(),
});
export type DataSize = z.infer<typeof dataSizeSchema>;

/** 1,234 bytes → "1.2 KB", for sentences in the CLI and the window. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
