import type { Db } from '../db/connection.ts';

export interface RoutePause {
  route: string;
  reason: string;
  code: number | null;
  response: string | null;
  fingerprint: string | null;
  pausedAt: number;
}

/**
 * A route held back by something only the user can fix (the smarthost refused our
 * login, the route is not configured). Nothing bounces while a route is paused; mail
 * waits, and the reason is shown in `mailroom status` and the app.
 */
export class RoutePauses {
  private readonly db: Db;
  private readonly getStmt;

  constructor(db: Db) {
    this.db = db;
    // Prepared once: the dispatcher asks on every look for work.
    this.getStmt = db.prepare(
      'SELECT route, reason, code, response, fingerprint, paused_at AS pausedAt FROM route_pauses WHERE route = ?',
    );
  }

  get(route: string): RoutePause | null {
    return (this.getStmt.get(route) as RoutePause | undefined) ?? null;
  }

  list(): RoutePause[] {
    return this.db
      .prepare(
        'SELECT route, reason, code, response, fingerprint, paused_at AS pausedAt FROM route_pauses ORDER BY route',
      )
      .all() as RoutePause[];
  }

  pause(p: Omit<RoutePause, 'pausedAt'>, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO route_pauses (route, reason, code, response, fingerprint, paused_at) VALUES (@route, @reason, @code, @response, @fingerprint, @now)
         ON CONFLICT (route) DO UPDATE SET reason = excluded.reason, code = excluded.code, response = excluded.response,
           fingerprint = excluded.fingerprint, paused_at = excluded.paused_at`,
      )
      .run({ ...p, now });
  }

  resume(route: string): boolean {
    return this.db.prepare('DELETE FROM route_pauses WHERE route = ?').run(route).changes > 0;
  }
}
