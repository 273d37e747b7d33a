import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ImportOptions, ImportReport } from '../../../shared/domain/contacts.ts';
import { MailroomError } from '../../../shared/errors.ts';
import { REPORT_PROBLEMS_SHOWN } from '../../../shared/ipc/contacts-contract.ts';
import type { HandlerContext } from './index.ts';

/** Writes beside the target and renames, so a failed write never leaves half a report. */
async function writeFileAtomically(target: string, text: string): Promise<void> {
  const temp = `${target}.${process.pid}.part`;
  try {
    await fs.promises.writeFile(temp, text);
    await fs.promises.rename(temp, target);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw new MailroomError(
      'EXPORT_FAILED',
      `The report could not be saved there: ${(err as Error).message}. Choose another folder.`,
    );
  }
}

// The import wizard over IPC. The file is chosen in the native dialog and its path stays
// here: the window holds a random token for it, so a page can never make main read a
// path it names (the same rule as the save dialog for exports). Progress goes out as
// `imports.progress` events; `imports.result` answers once, when the job ends.

const FILE_TYPES = [
  { name: 'Spreadsheets and contact files', extensions: ['csv', 'txt', 'tsv', 'tab', 'vcf', 'vcard'] },
];
/** Tokens kept per window; older ones are forgotten (the wizard uses one at a time). */
const MAX_TOKENS = 20;
/** How long the answer of a finished job waits for `imports.result`. */
const UNCLAIMED_RESULT_MS = 10 * 60_000;
/** Progress events at most this often, plus every change of phase. */
const PROGRESS_EVERY_MS = 100;

export function importHandlers({ engine, desktop, emit, live }: HandlerContext) {
  const chosen = new Map<string, string>();
  const jobs = new Map<string, Promise<ImportReport>>();

  const pathOf = (token: string): string => {
    const file = chosen.get(token);
    if (!file) {
      throw new MailroomError('NOT_FOUND', 'That file is no longer chosen. Choose the file again to continue.');
    }
    return file;
  };

  const shown = (report: ImportReport): ImportReport =>
    report.problems.length > REPORT_PROBLEMS_SHOWN
      ? { ...report, problems: report.problems.slice(0, REPORT_PROBLEMS_SHOWN) }
      : report;

  return {
    'imports.chooseFile': async () => {
      const file = await desktop.chooseOpenPath(FILE_TYPES);
      if (!file) return null;
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch (err) {
        throw new MailroomError(
          'IMPORT_FILE',
          `That file could not be opened (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check it is still there, then choose it again.`,
        );
      }
      const token = randomUUID();
      chosen.set(token, file);
      while (chosen.size > MAX_TOKENS) chosen.delete(chosen.keys().next().value as string);
      return { token, fileName: path.basename(file), size };
    },
    'imports.preview': ({ token, encoding, delimiter }: { token: string; encoding?: string; delimiter?: string }) =>
      engine.imports.preview(pathOf(token), { encoding, delimiter }),
    'imports.start': ({ token, options }: { token: string; options: ImportOptions }) => {
      let last = 0;
      let lastPhase = '';
      const { jobId, done } = engine.imports.start(pathOf(token), options, (p) => {
        const now = Date.now();
        if (p.phase === lastPhase && now - last < PROGRESS_EVERY_MS) return;
        last = now;
        lastPhase = p.phase;
        emit('imports.progress', p);
      });
      const settled = done.then((report) => {
        if (!report.dryRun) live.check();
        return report;
      });
      // Nobody may ask for the result (the window closed): that is not an unhandled rejection,
      // and an answer nobody fetched is forgotten after a while.
      settled.catch(() => {}).finally(() => setTimeout(() => jobs.delete(jobId), UNCLAIMED_RESULT_MS).unref());
      jobs.set(jobId, settled);
      return { jobId };
    },
    'imports.result': async ({ jobId }: { jobId: string }) => {
      const job = jobs.get(jobId);
      if (!job) throw new MailroomError('NOT_FOUND', 'That import is not running any more.');
      try {
        return shown(await job);
      } finally {
        jobs.delete(jobId);
      }
    },
    'imports.cancel': ({ jobId }: { jobId: string }) => {
      engine.imports.cancel(jobId);
      return null;
    },
    'imports.list': () => engine.imports.list(),
    'imports.report': ({ importId }: { importId: number }) => shown(engine.imports.report(importId).report),
    'imports.downloadReport': async ({ importId }: { importId: number }) => {
      const summary = engine.imports.list().find((i) => i.id === importId);
      if (!summary) throw new MailroomError('NOT_FOUND', 'That import is not in the list any more.');
      const base = summary.fileName.replace(/\.[^.]*$/, '');
      const target = await desktop.chooseSavePath(`${base} - import report.csv`, {
        name: 'CSV (spreadsheet)',
        extensions: ['csv'],
      });
      if (!target) return { saved: false, path: null, rows: 0 };
      const { report, csv } = engine.imports.report(importId);
      await writeFileAtomically(target, csv);
      return { saved: true, path: target, rows: report.problems.length };
    },
    'imports.undo': ({ importId }: { importId: number }) => {
      const result = engine.imports.undo(importId);
      live.check();
      return result;
    },
  };
}
