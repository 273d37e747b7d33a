// The commit thread's side: its own connection to the database (synchronous=FULL,
// asserted by openDatabase like every other connection), where the relay's group
// commits and the dispatcher's claims and results are written. Requests that arrive
// together (a group commit, a claim, a batch of results) share one transaction, so one
// fsync; every reply goes back only once that COMMIT has returned.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connection.ts';
import type { CommitReply, CommitRequest } from './commit-thread.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { Enqueuer } from './enqueue.ts';
import { insertBatch } from './group-commit.ts';

type Request = Exclude<CommitRequest, { op: 'close' }>;

const port = parentPort;
if (!port) throw new Error('commit-worker.ts runs as a worker thread (see commit-thread.ts)');

const db = openDatabase((workerData as { database: string }).database);
// A contacts import commits a million rows in one transaction (all or nothing) and holds the
// write lock for a few seconds on a busy machine; the relay's commit waits for it rather than
// answering 451 after the default 5 s. A client waits up to 10 minutes for the reply to its
// message (RFC 5321 4.5.3.2.6), so a minute here only delays that one reply.
db.pragma('busy_timeout = 60000');
const enqueuer = new Enqueuer(db);
const queue = new DeliveryQueue(db, enqueuer);
let waiting: Request[] = [];
let scheduled = false;

port.on('message', (req: CommitRequest) => {
  if (req.op === 'close') {
    run(); // what came before the close commits first
    db.close();
    port.close();
    return;
  }
  waiting.push(req);
  if (!scheduled) {
    scheduled = true;
    // After every message already delivered to this thread: they all join the transaction.
    setImmediate(run);
  }
});

function run(): void {
  scheduled = false;
  const batch = waiting;
  waiting = [];
  if (batch.length === 0) return;
  let replies: CommitReply[];
  try {
    // Each request's own transaction becomes a savepoint inside this one, so a request
    // that fails leaves the others' rows in; the COMMIT covers them all.
    replies = db.transaction(() => batch.map(execute))();
  } catch (err) {
    // The COMMIT itself failed (disk full, I/O error): nothing of the batch is stored.
    replies = batch.map((req) => failure(req.id, err));
  }
  for (const reply of replies) port?.postMessage(reply);
}

function execute(req: Request): CommitReply {
  try {
    if (req.op === 'enqueue') {
      const results = insertBatch(enqueuer, req.messages).map((r) =>
        typeof r === 'number' ? r : { message: r.message, code: errorCode(r) },
      );
      return { id: req.id, ok: true, results };
    }
    if (req.op === 'claim') return { id: req.id, ok: true, results: queue.claim(req.opts) };
    if (req.op === 'complete') queue.complete(req.batch, req.now);
    return { id: req.id, ok: true, results: [] };
  } catch (err) {
    // SQLite rolls the whole transaction back on some errors (disk full, I/O): then the
    // batch is over, or the requests after this one would commit outside it.
    if (!db.inTransaction) throw err;
    return failure(req.id, err);
  }
}

function failure(id: number, err: unknown): CommitReply {
  return { id, ok: false, error: { message: (err as Error).message, code: errorCode(err) } };
}

function errorCode(err: unknown): string | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}
