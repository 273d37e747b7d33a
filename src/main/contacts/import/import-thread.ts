import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImportProgress, ImportReport } from '../../../shared/domain/contacts.ts';
import { MailroomError } from '../../../shared/errors.ts';
import type { ImportJob, WorkerMessage } from './job-types.ts';

// Runs one import on its own thread (import-worker.ts) with its own connection: reading,
// checking and staging a million rows never blocks the main thread, where the relay
// answers SMTP clients and the window gets its replies.

const YOUNG_GENERATION_MB = 16;

export interface RunningImport {
  /** Resolves with the report, or null when cancelled; rejects with the error that stopped it. */
  done: Promise<ImportReport | null>;
  /** Asks the worker to stop; it does unless its commit has already begun. */
  cancel(): void;
}

export function startImportThread(
  job: Omit<ImportJob, 'cancel'>,
  onProgress: (p: Omit<ImportProgress, 'jobId'>) => void,
): RunningImport {
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const worker = new Worker(workerFile(), {
    workerData: { ...job, cancel } satisfies ImportJob,
    // A smaller young generation than V8 picks on its own: reading a million rows makes
    // mostly short-lived strings, and V8 otherwise grows the nursery (and the process's
    // RSS) by tens of MB without keeping more alive. Measured with bench:import
    // (1M rows): peak RSS ~310 MB instead of ~345, no slower. Override for measuring:
    // MAILROOM_IMPORT_YOUNG_MB.
    resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.MAILROOM_IMPORT_YOUNG_MB) || YOUNG_GENERATION_MB },
  });
  let settled = false;
  const done = new Promise<ImportReport | null>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.progress);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.report);
      } else if (m.type === 'cancelled') {
        settled = true;
        onProgress({ phase: 'cancelled', done: 0, total: 0, records: 0 });
        resolve(null);
      } else {
        settled = true;
        onProgress({ phase: 'failed', done: 0, total: 0, records: 0 });
        reject(new MailroomError(m.error.code as never, m.error.message));
      }
    });
    worker.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(`the import thread stopped (exit code ${code})`));
    });
  });
  return {
    done,
    cancel() {
      Atomics.store(flag, 0, 1);
    },
  };
}

/**
 * import-worker.ts beside this file when running from the sources; in the build the
 * worker is its own entry, out/main/import-worker.js, and this code may sit in
 * out/main/chunks/.
 */
function workerFile(): URL {
  for (const rel of ['./import-worker.ts', './import-worker.js', '../import-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (fs.existsSync(fileURLToPath(url))) return url;
  }
  throw new Error(`import-worker not found next to ${fileURLToPath(import.meta.url)}`);
}
