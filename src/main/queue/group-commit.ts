import type { Enqueuer, NewMessage } from './enqueue.ts';

/** Commits a batch in one transaction; each message's id, or its error. */
export type BatchStore = (messages: NewMessage[]) => Promise<(number | Error)[]>;

/**
 * Group commit for the relay. Sessions that finish their DATA while a commit is being
 * written, or in the same turn of the event loop, are written in one transaction, so
 * one fsync covers them all; each session still gets its answer only after its own
 * rows are durable. One batch is written at a time: the longer the disk takes, the
 * more sessions share the next fsync.
 */
export class GroupCommitter {
  private readonly store: BatchStore;
  private pending: { message: NewMessage; resolve: (id: number) => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  private writing = false;
  private readonly onCommitted: () => void;

  /**
   * @param store writes a batch (the commit thread, or insertBatch on this thread)
   * @param onCommitted called after each batch is durable (the dispatcher looks for new work).
   */
  constructor(store: BatchStore, onCommitted: () => void = () => {}) {
    this.store = store;
    this.onCommitted = onCommitted;
  }

  commit(message: NewMessage): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing || this.pending.length === 0) return;
    this.scheduled = true;
    // setImmediate runs after the I/O callbacks of this loop turn, so every
    // session whose data ended in it joins the batch.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.writing = true;
    try {
      const results = await this.store(batch.map((b) => b.message));
      let committed = false;
      for (const [i, b] of batch.entries()) {
        const r = results[i];
        if (typeof r === 'number') {
          committed = true;
          b.resolve(r);
        } else b.reject(r ?? new Error('the commit returned no result for this message'));
      }
      if (committed) this.onCommitted();
    } catch (err) {
      for (const b of batch) b.reject(err as Error);
    } finally {
      this.writing = false;
      this.schedule();
    }
  }
}

/**
 * Inserts a batch in one transaction. If it fails on a constraint, each message is
 * retried alone, so one bad message costs only its own session a 451; anything else
 * (busy, I/O) would fail every retry too, each after the busy timeout, so it is thrown
 * and the whole batch gets 451 now.
 */
export function insertBatch(enqueuer: Enqueuer, messages: NewMessage[]): (number | Error)[] {
  try {
    return enqueuer.insertAll(messages);
  } catch (err) {
    if (messages.length === 1 || !String((err as { code?: string }).code ?? '').startsWith('SQLITE_CONSTRAINT')) {
      throw err;
    }
  }
  return messages.map((m) => {
    try {
      return enqueuer.insertAll([m])[0] as number;
    } catch (err) {
      return err as Error;
    }
  });
}
