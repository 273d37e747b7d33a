import path from 'node:path';
import {
  type ImportCounts,
  type ImportLayout,
  type ImportOptions,
  type ImportPreview,
  type ImportProblem,
  type ImportProgress,
  type ImportReport,
  type ImportSummary,
  importOptionsSchema,
  type SuppressionImportOptions,
  suppressionImportOptionsSchema,
} from '../../../shared/domain/contacts.ts';
import { MailroomError } from '../../../shared/errors.ts';
import type { Db } from '../../db/connection.ts';
import { csvCell } from '../../queue/log-csv.ts';
import { startImportThread } from './import-thread.ts';
import { previewSource } from './read-file.ts';
import { undoImport } from './undo.ts';

// engine.imports: the import wizard's and `mailroom contacts import`'s one door. Each job
// runs on its own worker thread (import-thread.ts) and changes the database in one
// transaction at its very end; until then Cancel leaves everything as it was.

export interface StartedImport {
  jobId: string;
  /** The report; rejects with IMPORT_CANCELLED after a cancel, or the error that stopped the import. */
  done: Promise<ImportReport>;
}

export interface ImportReportWithCsv {
  report: ImportReport;
  /** Every problem as CSV (UTF-8 with BOM, formula-looking cells defused), for "download report". */
  csv: string;
}

export class ImportService {
  private readonly db: Db;
  private readonly database: string;
  private readonly jobs = new Map<string, () => void>();
  private nextJob = 1;

  constructor(db: Db, database: string) {
    this.db = db;
    this.database = database;
  }

  /** What the wizard shows after choosing a file: layout, columns with samples, first rows, proposed mapping. */
  preview(file: string, opts: { encoding?: string; delimiter?: string } = {}): Promise<ImportPreview> {
    return previewSource(file, opts);
  }

  /** Imports contacts onto a list (or only checks, with dryRun). */
  start(file: string, options: ImportOptions, onProgress: (p: ImportProgress) => void = () => {}): StartedImport {
    const o = parseOptions(() => importOptionsSchema.parse(options));
    return this.run(
      {
        kind: 'contacts',
        path: file,
        encoding: o.encoding,
        delimiter: o.delimiter,
        mapping: o.mapping,
        fieldTypes: o.fieldTypes ?? {},
        fieldLabels: o.fieldLabels ?? {},
        list: o.list,
        tags: o.tags,
        basis: o.basis,
        existing: o.existing,
        dryRun: o.dryRun,
      },
      onProgress,
    );
  }

  /** `mailroom suppressions import`: every valid address of the file becomes a suppression; nothing else changes. */
  startSuppressions(
    file: string,
    options: SuppressionImportOptions,
    onProgress: (p: ImportProgress) => void = () => {},
  ): StartedImport {
    const o = parseOptions(() => suppressionImportOptionsSchema.parse(options));
    return this.run(
      {
        kind: 'suppressions',
        path: file,
        encoding: o.encoding,
        delimiter: o.delimiter,
        mapping: o.mapping,
        fieldTypes: {},
        fieldLabels: {},
        tags: [],
        existing: 'skip',
        reason: o.reason,
        dryRun: o.dryRun,
      },
      onProgress,
    );
  }

  /** Stops a running import; nothing changes unless its commit had already begun. False when no such job runs. */
  cancel(jobId: string): boolean {
    const cancel = this.jobs.get(jobId);
    if (!cancel) return false;
    cancel();
    return true;
  }

  /** Undoes a committed import; refused (with a sentence) when a later import is still committed. */
  undo(importId: number): ImportSummary {
    undoImport(this.db, importId);
    return this.summary(importId);
  }

  /** Every import, newest first. */
  list(): ImportSummary[] {
    const rows = this.db.prepare('SELECT * FROM imports ORDER BY id DESC').all() as ImportRow[];
    return rows.map(toSummary);
  }

  /** The newest import still committed (what "Undo last import" undoes), or null. */
  lastCommitted(): ImportSummary | null {
    const row = this.db.prepare("SELECT * FROM imports WHERE state = 'committed' ORDER BY id DESC LIMIT 1").get() as
      | ImportRow
      | undefined;
    return row ? toSummary(row) : null;
  }

  /** A committed import's counts and every problem, with the problems as CSV. */
  report(importId: number): ImportReportWithCsv {
    const row = this.row(importId);
    const problems = (
      this.db
        .prepare(
          'SELECT record, line, kind, value, reason, same_as FROM import_problems WHERE import_id = ? ORDER BY rowid',
        )
        .all(importId) as {
        record: number;
        line: number;
        kind: ImportProblem['kind'];
        value: string | null;
        reason: string;
        same_as: number | null;
      }[]
    ).map((p) => ({
      record: p.record,
      line: p.line,
      kind: p.kind,
      value: p.value,
      reason: p.reason,
      ...(p.same_as === null ? {} : { sameAs: p.same_as }),
    }));
    const layout = JSON.parse(row.layout) as ImportLayout;
    const report: ImportReport = {
      ...countsOf(row),
      importId: row.id,
      dryRun: false,
      fileName: row.file_name,
      fileSha256: row.file_sha256,
      encoding: layout.encoding,
      delimiter: layout.delimiter,
      recognised: layout.recognised ?? null,
      mapping: JSON.parse(row.mapping),
      problems,
      problemCount: problems.length,
      notes: layout.notes ?? [],
    };
    return { report, csv: problemsCsv(problems) };
  }

  private summary(importId: number): ImportSummary {
    return toSummary(this.row(importId));
  }

  private row(importId: number): ImportRow {
    const row = this.db.prepare('SELECT * FROM imports WHERE id = ?').get(importId) as ImportRow | undefined;
    if (!row) throw new MailroomError('NOT_FOUND', `There is no import number ${importId}.`);
    return row;
  }

  private run(
    job: Omit<Parameters<typeof startImportThread>[0], 'database' | 'fileName'>,
    onProgress: (p: ImportProgress) => void,
  ): StartedImport {
    const jobId = `import-${process.pid}-${this.nextJob++}`;
    const running = startImportThread({ ...job, database: this.database, fileName: path.basename(job.path) }, (p) =>
      onProgress({ ...p, jobId }),
    );
    this.jobs.set(jobId, running.cancel);
    const done = running.done
      .then((report) => {
        if (!report) throw new MailroomError('IMPORT_CANCELLED', 'The import was cancelled; nothing was changed.');
        return report;
      })
      .finally(() => this.jobs.delete(jobId));
    // The caller may only look at progress; an unobserved failure must not end the process.
    done.catch(() => {});
    return { jobId, done };
  }
}

interface ImportRow {
  id: number;
  file_name: string;
  file_sha256: string;
  file_size: number;
  layout: string;
  mapping: string;
  options: string;
  counts: string;
  state: 'committed' | 'undone';
  created_at: number;
  undone_at: number | null;
}

function countsOf(row: ImportRow): ImportCounts {
  const c = JSON.parse(row.counts) as Partial<ImportCounts>;
  return {
    records: c.records ?? 0,
    blank: c.blank ?? 0,
    added: c.added ?? 0,
    updated: c.updated ?? 0,
    unchanged: c.unchanged ?? 0,
    suppressed: c.suppressed ?? 0,
    skipped: c.skipped ?? 0,
    declined: c.declined ?? 0,
    suppressionsAdded: c.suppressionsAdded ?? 0,
  };
}

function toSummary(row: ImportRow): ImportSummary {
  return {
    id: row.id,
    fileName: row.file_name,
    state: row.state,
    counts: countsOf(row),
    createdAt: row.created_at,
    undoneAt: row.undone_at,
  };
}

function parseOptions<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
    if (!issues) throw err;
    throw new MailroomError(
      'VALIDATION',
      `The import options are not valid: ${issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`,
    );
  }
}

/** The problems of a report as CSV: UTF-8 with a BOM so Excel opens it right. */
export function problemsCsv(problems: ImportProblem[]): string {
  const lines = [['Record', 'Line', 'Problem', 'Value', 'What happened', 'Same as record'].join(',')];
  for (const p of problems) {
    lines.push(
      [p.record, p.line, p.kind, p.value, p.reason, p.sameAs ?? null].map((v) => csvCell(v ?? null)).join(','),
    );
  }
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
