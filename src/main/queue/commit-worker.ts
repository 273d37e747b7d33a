// The commit thread's side: its own connection to the database (synchronous=FULL,
// asserted by openDatabase like every other connection), where the relay's group
// commits and the dispatcher's claims and results are written. Each request is one transaction;
// the reply goes back only once COMMIT (and with it the fsync) has returned.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connection.ts';
import type { CommitReply, CommitRequest } from './commit-thread.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { Enqueuer } from './enqueue.ts';
import { insertBatch } from './group-commit.ts';

const port = parentPort;
if (!port) throw new Error('commit-worker.ts runs as a worker thread (see commit-thread.ts)');

const db = openDatabase((workerData as { database: string }).database);
const enqueuer = new Enqueuer(db);
const queue = new DeliveryQueue(db, enqueuer);

port.on('message', (req: CommitRequest) => {
  if (req.op === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: CommitReply;
  try {
    if (req.op === 'enqueue') {
      const results = insertBatch(enqueuer, req.messages).map((r) =>
        typeof r === 'number' ? r : { message: r.message, code: errorCode(r) },
      );
      reply = { id: req.id, ok: true, results };
    } else if (req.op === 'ping') {
      reply = { id: req.id, ok: true, results: [] };
    } else if (req.op === 'claim') {
      reply = { id: req.id, ok: true, results: queue.claim(req.opts) };
    } else {
      queue.complete(req.batch, req.now);
      reply = { id: req.id, ok: true, results: [] };
    }
  } catch (err) {
    reply = { id: req.id, ok: false, error: { message: (err as Error).message, code: errorCode(err) } };
  }
  port.postMessage(reply);
});

function errorCode(err: unknown): string | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}
