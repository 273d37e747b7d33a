import type { Db } from './connection.ts';

/**
 * Tells whether another connection (the CLI in another process, the app) has
 * committed since the last look, through SQLite's `data_version`, which changes only
 * for other connections' commits. Lets hot paths cache small tables (sending
 * domains, DKIM keys) without missing a change made elsewhere; changes made through
 * this connection are invalidated by the code that makes them.
 */
export class ChangeWatch {
  private readonly stmt;
  private last: number;

  constructor(db: Db) {
    this.stmt = db.prepare('PRAGMA data_version').pluck();
    this.last = this.stmt.get() as number;
  }

  /** True once after each commit by another connection. */
  changed(): boolean {
    const now = this.stmt.get() as number;
    if (now === this.last) return false;
    this.last = now;
    return true;
  }
}
