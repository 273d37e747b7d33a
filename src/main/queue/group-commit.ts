import type { Enqueuer, NewMessage } from './enqueue.ts';

/**
 * Group commit for the relay. Sessions that finish their DATA in the same turn of
 * the event loop are written in one transaction, so one fsync covers them all;
 * each session still gets its answer only after its own rows are durable.
 *
 * If the shared transaction fails on a constraint, each message is retried alone,
 * so one bad message costs only its own session a 451.
 */
export class GroupCommitter {
  private readonly enqueuer: Enqueuer;
  private pending: { message: NewMessage; resolve: (id: number) => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  private readonly onCommitted: () => void;

  /** @param onCommitted called after each batch is durable (the dispatcher looks for new work). */
  constructor(enqueuer: Enqueuer, onCommitted: () => void = () => {}) {
    this.enqueuer = enqueuer;
    this.onCommitted = onCommitted;
  }

  commit(message: NewMessage): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the I/O callbacks of this loop turn, so every
        // session whose data ended in it joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    try {
      const ids = this.enqueuer.insertAll(batch.map((b) => b.message));
      for (const [i, b] of batch.entries()) b.resolve(ids[i] as number);
      this.onCommitted();
      return;
    } catch (err) {
      // A message the schema refuses fails alone; anything else (busy, I/O) would fail
      // every retry too, each after the busy timeout, so the whole batch gets 451 now.
      if (batch.length === 1 || !String((err as { code?: string }).code ?? '').startsWith('SQLITE_CONSTRAINT')) {
        for (const b of batch) b.reject(err as Error);
        return;
      }
    }
    for (const b of batch) {
      try {
        const [id] = this.enqueuer.insertAll([b.message]);
        b.resolve(id as number);
        this.onCommitted();
      } catch (err) {
        b.reject(err as Error);
      }
    }
  }
}
