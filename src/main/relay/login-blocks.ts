import type { Db } from '../db/connection.ts';

/** A client refused at login because it kept getting the relay password wrong. */
export interface LoginBlock {
  /** "this computer", or the client's address (an IPv6 client's /64). */
  client: string;
  /** Failed logins from this client since the relay started counting them. */
  failures: number;
  firstFailureAt: number;
  blockedAt: number;
  blockedUntil: number;
}

/** Blocks of a week ago are of no more use to anybody. */
const KEEP_MS = 7 * 24 * 3600_000;
/** A bound on rows, whatever an attack from many addresses does. */
const KEEP_ROWS = 100;

const COLUMNS =
  'client, failures, first_failure_at AS firstFailureAt, blocked_at AS blockedAt, blocked_until AS blockedUntil';

/**
 * The relay's login blocks in the database, so that the dashboard and `mailroom status`
 * in any process can say that someone is guessing the relay password, and a restarted
 * relay keeps refusing a client whose block has not ended.
 */
export class LoginBlocks {
  private readonly db: Db;
  private readonly latestStmt;

  constructor(db: Db) {
    this.db = db;
    this.latestStmt = db.prepare(`SELECT ${COLUMNS} FROM relay_login_blocks ORDER BY blocked_until DESC LIMIT 1`);
  }

  record(block: LoginBlock): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO relay_login_blocks (client, failures, first_failure_at, blocked_at, blocked_until)
           VALUES (@client, @failures, @firstFailureAt, @blockedAt, @blockedUntil)
           ON CONFLICT (client) DO UPDATE SET failures = excluded.failures, first_failure_at = excluded.first_failure_at,
             blocked_at = excluded.blocked_at, blocked_until = excluded.blocked_until`,
        )
        .run(block);
      this.db
        .prepare(
          `DELETE FROM relay_login_blocks WHERE blocked_until < ? OR client NOT IN
             (SELECT client FROM relay_login_blocks ORDER BY blocked_until DESC LIMIT ${KEEP_ROWS})`,
        )
        .run(block.blockedAt - KEEP_MS);
    })();
  }

  /** Blocks still running at `now` (a restarted relay carries them on). */
  active(now: number): LoginBlock[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM relay_login_blocks WHERE blocked_until > ? ORDER BY blocked_until`)
      .all(now) as LoginBlock[];
  }

  /** The block that ends (or ended) last, if any. */
  latest(): LoginBlock | null {
    return (this.latestStmt.get() as LoginBlock | undefined) ?? null;
  }
}
