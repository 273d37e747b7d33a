import type { Dashboard } from '../../shared/domain/dashboard.ts';
import type { EngineState } from '../../shared/ipc/contract.ts';
import { buildDashboard } from './dashboard.ts';
import { type Engine, LOGIN_BLOCK_QUIET_MS } from './engine.ts';

/**
 * Pushes the dashboard to the window and the tray when something changed, instead
 * of the window polling the database. Once a second it reads three cheap things:
 * SQLite's data_version (commits by other processes, such as the CLI), this
 * connection's total_changes() (our own relay and dispatcher), and the dispatcher's
 * waiting reason (in memory). Only when one of them moved does it run the counting
 * queries; under a steady stream of mail that is at most once per interval.
 */
export class LiveStatus {
  private readonly engine: Engine;
  private readonly engineState: () => EngineState;
  private readonly probe;
  private readonly listeners = new Set<(d: Dashboard) => void>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastKey = '';
  private last: Dashboard | null = null;
  /** Counting runs (for the benchmark and tests: proves idle means no queries). */
  rebuilds = 0;

  constructor(engine: Engine, engineState: () => EngineState) {
    this.engine = engine;
    this.engineState = engineState;
    this.probe = engine.db.prepare(
      `SELECT total_changes() AS own, (SELECT data_version FROM pragma_data_version) AS others,
         (SELECT max(blocked_until) FROM relay_login_blocks) AS blockedUntil`,
    );
  }

  subscribe(listener: (d: Dashboard) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A failed look (the database busy or closing) is retried on the next tick;
      // it must never become an uncaught exception in the main process.
      try {
        this.check();
      } catch (err) {
        this.engine.log.warn('the live status could not be read', { error: (err as Error).message });
      }
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * The latest dashboard, built now if anything changed since the last one. A change
   * found here is pushed to the subscribers (the tray) too, not kept to itself.
   */
  current(): Dashboard {
    this.check();
    return this.last as Dashboard;
  }

  /** Looks for a change; builds and pushes a new dashboard only when there is one. */
  check(force = false): void {
    const key = this.changeKey();
    if (!force && key === this.lastKey && this.last) return;
    this.rebuild(key);
    for (const l of this.listeners) {
      try {
        l(this.last as Dashboard);
      } catch (err) {
        this.engine.log.warn('a live status listener failed', { error: (err as Error).message });
      }
    }
  }

  private rebuild(key: string): void {
    this.rebuilds++;
    this.last = buildDashboard(this.engine, this.engineState());
    this.lastKey = key;
  }

  private changeKey(): string {
    const p = this.probe.get() as { own: number; others: number; blockedUntil: number | null };
    const state = this.engineState();
    // The day matters too: "today" resets at midnight without any write.
    const now = Date.now();
    const day = new Date(now).toDateString();
    // So does the clock for a relay login block: its warning changes when the block
    // ends, and goes when the quiet time after it has passed, without any write.
    const until = p.blockedUntil ?? 0;
    const block = until > now ? 'blocked' : until + LOGIN_BLOCK_QUIET_MS > now ? 'quiet' : '';
    return `${p.own}:${p.others}:${state.state}:${this.engine.waitingReason() ?? ''}:${day}:${block}`;
  }
}
