import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LogFilter, LogRow, LogSort } from '../../shared/domain/delivery-log.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { normaliseFilter } from './log-filter.ts';
import { choosePlan, DEFAULT_TUNING, type Key, loadRows, pageKeys, SORTS } from './log-plan.ts';

// The log screen's CSV export (writeDeliveryCsv): every delivery the filter matches, in
// the chosen order, found page by page the way a search finds them (log-plan.ts), with
// each cell made safe to open in a spreadsheet (csvCell).

const CSV_PAGE = 5000;
const CSV_SLICE = 1000;
const CSV_COLUMNS: [string, (r: LogRow) => string | number | null][] = [
  ['Delivery ID', (r) => r.id],
  ['Queued at', (r) => new Date(r.createdAt).toISOString()],
  ['Updated at', (r) => new Date(r.updatedAt).toISOString()],
  ['Status', (r) => r.status],
  ['Recipient', (r) => r.recipient],
  ['Domain', (r) => r.domain],
  ['Sender', (r) => r.mailFrom || '<>'],
  ['Subject', (r) => r.subject],
  ['Queue ID', (r) => r.queueId],
  ['Attempts', (r) => r.attempts],
  ['Last code', (r) => r.lastCode],
  ['Last enhanced status', (r) => r.lastEnhanced],
  ['Last reply', (r) => r.lastResponse],
  ['Category', (r) => r.category],
];

/**
 * One CSV cell (RFC 4180). A text that a spreadsheet would run as a formula (starting
 * with = + - @, also after spaces or as their full-width forms, or with a tab or a
 * line break) gets a leading apostrophe, as OWASP's "CSV injection" advice says.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let s = value;
  if (/^[\t\r\n]|^\s*[=+\-@\uff1d\uff0b\uff0d\uff20]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const csvLine = (cells: (string | number | null)[]) => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * Writes every matching delivery to `filePath` as CSV (UTF-8 with a BOM so Excel reads
 * it as UTF-8; CRLF line ends), 5,000 rows at a time, giving the event loop back after
 * each page so the relay keeps working. Deliveries queued after the export started are
 * left out. It writes a temporary file beside the target and renames it at the end, so
 * a failed export leaves no half file. `total` in progress is null when not known
 * cheaply (a text search or several filters with more than 10,000 matches).
 */
export async function writeDeliveryCsv(
  db: Db,
  filter: LogFilter,
  sort: LogSort,
  filePath: string,
  onProgress?: (done: number, total: number | null) => void,
): Promise<{ rows: number }> {
  // "Recently updated" moves under the cursor while the dispatcher works (a delivery
  // updated mid-export jumps ahead of it and would be missed), so the file is written
  // newest first instead; every other order is fixed for a row's life.
  const spec = SORTS[sort === 'recently-updated' ? 'newest' : sort];
  const f = normaliseFilter(filter);
  f.maxId = (db.prepare('SELECT max(id) FROM deliveries').pluck().get() as number | null) ?? 0;
  const plan = choosePlan(db, f, spec, CSV_PAGE, DEFAULT_TUNING);
  const total = plan.total.capped ? null : plan.total.count;
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `.${path.basename(filePath)}.${crypto.randomBytes(6).toString('hex')}.part`);
  let fh: fs.promises.FileHandle | null = null;
  try {
    fh = await fs.promises.open(tmp, 'wx');
    await fh.write(`\ufeff${csvLine(CSV_COLUMNS.map(([name]) => name))}`);
    let done = 0;
    let after: Key | null = null;
    for (;;) {
      const keys = pageKeys(db, f, spec, plan.driver, after, 'a', CSV_PAGE);
      // Rows are read and written a slice at a time, each followed by a turn of the event loop.
      for (let i = 0; i < keys.length; i += CSV_SLICE) {
        const rows = loadRows(
          db,
          keys.slice(i, i + CSV_SLICE).map((k) => k.id),
        );
        await fh.write(rows.map((r) => csvLine(CSV_COLUMNS.map(([, get]) => get(r)))).join(''));
        done += rows.length;
        await new Promise((resolve) => setImmediate(resolve));
      }
      onProgress?.(done, total);
      if (keys.length < CSV_PAGE) break;
      after = keys[keys.length - 1] as Key;
    }
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.promises.rename(tmp, filePath);
    return { rows: done };
  } catch (err) {
    await fh?.close().catch(() => {});
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    if (err instanceof MailroomError) throw err;
    throw new MailroomError(
      'EXPORT_FAILED',
      `Could not save the export to ${filePath}: ${(err as Error).message}. Choose a folder you can write to, with free space, and export again.`,
    );
  }
}
