import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ClaimedDelivery, ClaimOptions, CompletionBatch } from './delivery-queue.ts';
import type { NewMessage } from './enqueue.ts';

// The queue's busy write transactions (the relay's group commits, the dispatcher's
// claims and results) run on a worker thread with its own connection. With synchronous=FULL each
// COMMIT waits for an fsync; on the main thread that wait held up every SMTP session
// and delivery (a third of the engine's time with 50 KB messages). Here the main thread
// posts the rows and carries on, and the relay still answers 250 only when the reply
// says the commit returned: the guarantee is unchanged, the waiting moved.

export type CommitRequest =
  | { id: number; op: 'enqueue'; messages: NewMessage[] }
  | { id: number; op: 'complete'; batch: CompletionBatch; now: number }
  | { id: number; op: 'claim'; opts: ClaimOptions }
  | { id: number; op: 'ping' }
  | { op: 'close' };

export interface CommitFailure {
  message: string;
  code: string | null;
}

type Results = (number | CommitFailure)[] | ClaimedDelivery[];

export type CommitReply = { id: number; ok: true; results: Results } | { id: number; ok: false; error: CommitFailure };

interface Waiter {
  resolve: (results: Results) => void;
  reject: (err: Error) => void;
}

export class CommitThread {
  private readonly database: string;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private closed = false;

  constructor(database: string) {
    this.database = database;
    this.spawn();
  }

  /**
   * One transaction for all of them. Resolves with each message's id, or its error when
   * the batch failed on a constraint and that message failed again alone.
   */
  async enqueue(messages: NewMessage[]): Promise<(number | Error)[]> {
    // A body that owns its whole memory moves to the thread instead of being copied;
    // the caller hands it over and does not read it again.
    const transfer = new Set<ArrayBuffer>();
    for (const { body } of messages) {
      if (
        body &&
        body.byteOffset === 0 &&
        body.byteLength === body.buffer.byteLength &&
        body.buffer instanceof ArrayBuffer
      )
        transfer.add(body.buffer);
    }
    const results = (await this.request({ op: 'enqueue', messages }, [...transfer])) as (number | CommitFailure)[];
    return results.map((r) => (typeof r === 'number' ? r : toError(r)));
  }

  /** DeliveryQueue.claim (one UPDATE … RETURNING, so one commit) on the commit thread. */
  async claim(opts: ClaimOptions): Promise<ClaimedDelivery[]> {
    return (await this.request({ op: 'claim', opts })) as ClaimedDelivery[];
  }

  /** Resolves once the thread has loaded and opened its connection (it fails like any request). */
  async ready(): Promise<void> {
    await this.request({ op: 'ping' });
  }

  /** DeliveryQueue.complete in one transaction on the commit thread. */
  async complete(batch: CompletionBatch, now: number): Promise<void> {
    await this.request({ op: 'complete', batch, now });
  }

  /** Waits for the requests already posted, then closes the thread's connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      // Posted after every request still queued, so those commit first.
      worker.postMessage({ op: 'close' } satisfies CommitRequest);
    });
  }

  private request(
    req: DistributiveOmit<Exclude<CommitRequest, { op: 'close' }>, 'id'>,
    transfer: ArrayBuffer[] = [],
  ): Promise<Results> {
    if (this.closed) return Promise.reject(new Error('the commit thread is closed'));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<Results>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...req, id } as CommitRequest, transfer);
    });
  }

  private spawn(): Worker {
    const worker = new Worker(workerFile(), { workerData: { database: this.database } });
    this.worker = worker;
    worker.on('message', (reply: CommitReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.results);
      else w.reject(toError(reply.error));
    });
    // A thread that dies (it could not open the database, or crashed) fails what it
    // held: those sessions get 451 and those results are retried. The next request
    // starts a new thread.
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`the database commit thread stopped (exit code ${code})`)));
    return worker;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function toError(f: CommitFailure): Error {
  return Object.assign(new Error(f.message), f.code ? { code: f.code } : {});
}

/**
 * commit-worker.ts beside this file when running from the sources; in the build the
 * worker is its own entry, out/main/commit-worker.js, and this code may sit in
 * out/main/chunks/.
 */
function workerFile(): URL {
  for (const rel of ['./commit-worker.ts', './commit-worker.js', '../commit-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (fs.existsSync(fileURLToPath(url))) return url;
  }
  throw new Error(`commit-worker not found next to ${fileURLToPath(import.meta.url)}`);
}
