import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { FieldType, ImportMapping, ImportProgress, ImportReport } from '../../../shared/domain/contacts.ts';
import { MailroomError } from '../../../shared/errors.ts';
import type { Db } from '../../db/connection.ts';
import { recordChecker, type StagedRow } from './check-records.ts';
import { autoMap, headerKey } from './header-map.ts';
import type { ImportJob } from './job-types.ts';
import { Cancelled, merge } from './merge.ts';
import { openSource } from './read-file.ts';
import { createStage, dropStage, lastContactId, STAGE_ROWS_PER_TRANSACTION, stageRows } from './stage.ts';

// The whole import, from the file to the committed (or rolled back) transaction. Runs in
// the import worker; returns null when cancelled.

const PROGRESS_EVERY_MS = 100;

export async function runImport(
  db: Db,
  job: ImportJob,
  onProgress: (p: Omit<ImportProgress, 'jobId'>) => void,
): Promise<ImportReport | null> {
  const cancelFlag = new Int32Array(job.cancel);
  const cancelled = () => Atomics.load(cancelFlag, 0) === 1;
  const sha256 = hashFile(job.path);
  sha256.catch(() => {}); // awaited below; a failure before then is the reader's to report
  const source = await openSource(job.path, { encoding: job.encoding, delimiter: job.delimiter });
  const mapping = withProviderColumns(job.mapping ?? autoMap(source.header), source.header);
  if (mapping.email === undefined) {
    throw new MailroomError(
      'VALIDATION',
      'No column is chosen as the email address. Pick the column that holds the addresses in the mapping (or --map email=COLUMN).',
    );
  }
  for (const [field, col] of Object.entries(mapping)) {
    if (col >= Math.max(source.header.length, 1)) {
      throw new MailroomError(
        'VALIDATION',
        `The mapping sends column ${col + 1} to ${field}, but the file has ${source.header.length} columns. Choose a column that exists.`,
      );
    }
  }
  const fieldTypes = resolveFieldTypes(db, mapping, job.fieldTypes);
  createStage(db);
  const idBase = lastContactId(db);
  let batch: StagedRow[] = [];
  const stagedKey = db.prepare('SELECT key FROM temp.stage WHERE rec = ?').pluck();
  const keyOf = (record: number): string | undefined => {
    // Not flushed yet: in the batch, which is in record order.
    if (batch.length > 0 && record >= (batch[0] as StagedRow).record) return findInBatch(batch, record)?.key;
    return stagedKey.get(record) as string | undefined;
  };
  const checker = recordChecker(mapping, fieldTypes, source.header.length, keyOf);
  let last = 0;
  const report = (phase: ImportProgress['phase'], force = false) => {
    const t = Date.now();
    if (!force && t - last < PROGRESS_EVERY_MS) return;
    last = t;
    onProgress({ phase, done: source.bytesRead(), total: source.size, records: checker.counts.records });
  };
  try {
    report('reading', true);
    for await (const records of source.batches()) {
      for (const rec of records) {
        const row = checker.check(rec);
        if (row) batch.push(row);
      }
      if (batch.length >= STAGE_ROWS_PER_TRANSACTION) {
        if (cancelled()) return null;
        stageRows(db, batch, idBase);
        batch = [];
        report('checking');
      }
    }
    stageRows(db, batch, idBase);
    if (process.env.MAILROOM_IMPORT_TRACE) process.stderr.write(`import: read, checked and staged\n`);
    if (cancelled()) return null;
    onProgress({ phase: 'saving', done: source.size, total: source.size, records: checker.counts.records });
    const fileSha256 = await sha256;
    const recognised = source.layout.recognised ?? null;
    const suppressionFile = recognised === 'mailchimp-unsubscribed' || recognised === 'mailchimp-cleaned';
    const reason =
      job.reason ??
      (recognised === 'mailchimp-unsubscribed'
        ? 'unsubscribed'
        : recognised === 'mailchimp-cleaned'
          ? 'bounced'
          : 'imported');
    const result = merge(db, {
      kind: job.kind,
      fileName: job.fileName,
      fileSha256,
      fileSize: source.size,
      layout: { ...source.layout, notes: source.notes },
      mapping,
      header: source.header,
      fieldTypes,
      fieldLabels: job.fieldLabels ?? {},
      list: job.list,
      tags: job.tags,
      basis: job.basis,
      existing: job.existing,
      suppress:
        job.kind === 'suppressions' || suppressionFile
          ? { reason, source: `Imported from the file ${job.fileName}` }
          : null,
      problems: checker.problems,
      idBase,
      readCounts: checker.counts,
      dryRun: job.dryRun,
      cancelled,
    });
    onProgress({ phase: 'done', done: source.size, total: source.size, records: checker.counts.records });
    return {
      ...result.counts,
      importId: result.importId,
      dryRun: job.dryRun,
      fileName: job.fileName,
      fileSha256,
      encoding: source.layout.encoding,
      delimiter: source.layout.delimiter,
      recognised,
      mapping,
      problems: checker.problems,
      problemCount: checker.problems.length,
      notes: source.notes,
    };
  } catch (err) {
    if (err instanceof Cancelled) return null;
    throw err;
  } finally {
    dropStage(db);
  }
}

function findInBatch(batch: StagedRow[], record: number): StagedRow | undefined {
  let lo = 0;
  let hi = batch.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = batch[mid] as StagedRow;
    if (r.record === record) return r;
    if (r.record < record) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** A provider's suppression columns, which the wizard does not offer, are taken by their names. */
function withProviderColumns(mapping: ImportMapping, header: string[]): ImportMapping {
  const out = { ...mapping };
  const byName: Record<string, string> = {
    unsubreason: 'unsub_reason',
    unsubtime: 'unsub_time',
    cleancampaigntitle: 'clean_campaign_title',
    cleantime: 'clean_time',
  };
  header.forEach((name, i) => {
    const target = byName[headerKey(name)];
    if (target && out[target] === undefined) out[target] = i;
  });
  return out;
}

/** An existing custom field keeps its type; a new one gets the type chosen (text by default). */
function resolveFieldTypes(
  db: Db,
  mapping: ImportMapping,
  chosen: Record<string, FieldType>,
): Record<string, FieldType> {
  const types: Record<string, FieldType> = {};
  const existing = db.prepare('SELECT type FROM contact_fields WHERE key = ?').pluck();
  for (const target of Object.keys(mapping)) {
    if (!target.startsWith('field:')) continue;
    const key = target.slice('field:'.length);
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) {
      throw new MailroomError(
        'VALIDATION',
        `"${key}" cannot be a field name: use lowercase letters, digits and _ (starting with a letter).`,
      );
    }
    types[key] = (existing.get(key) as FieldType | undefined) ?? chosen[key] ?? 'text';
  }
  return types;
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
