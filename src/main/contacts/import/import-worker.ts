// The import thread's side (see import-thread.ts): reads the file, checks every record,
// stages the valid ones in its own connection's TEMP database, then merges them in one
// short write transaction (or rolls it back for a dry run). Nothing reaches the main
// database before that transaction, so a cancel, an error or a kill -9 at any moment
// leaves every list as it was.
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../../shared/errors.ts';
import { openDatabase } from '../../db/connection.ts';
import type { ImportJob, WorkerMessage } from './job-types.ts';
import { runImport } from './run-import.ts';

const port = parentPort;
if (!port) throw new Error('import-worker.ts runs as a worker thread (see import-thread.ts)');
const job = workerData as ImportJob;
const post = (m: WorkerMessage) => port.postMessage(m);

const db = openDatabase(job.database);
runImport(db, job, (progress) => post({ type: 'progress', progress })).then(
  (report) => {
    db.close();
    post(report ? { type: 'done', report } : { type: 'cancelled' });
  },
  (err: unknown) => {
    db.close();
    post({ type: 'failed', error: describeError(err) });
  },
);
