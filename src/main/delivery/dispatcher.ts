import crypto from 'node:crypto';
import os from 'node:os';
import type { DeliveryCategory } from '../../shared/domain/delivery.ts';
import { describeElapsed } from '../../shared/domain/durations.ts';
import { parseDnsServers, type Settings } from '../../shared/domain/settings.ts';
import { buildDsn } from '../bounce/dsn.ts';
import { domainOfAddress } from '../domains/domains-service.ts';
import type { Logger } from '../engine/log.ts';
import type {
  ClaimedDelivery,
  ClaimOptions,
  CompletionBatch,
  DeliveryQueue,
  Outcome,
} from '../queue/delivery-queue.ts';
import type { NewMessage } from '../queue/enqueue.ts';
import { RetryPolicy } from '../queue/retry-policy.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { SettingsService } from '../settings/settings-service.ts';
import { classifyReply, classifyTransportError, type Stage } from './classify-response.ts';
import { createMxResolver, type MxResolver } from './mx-resolver.ts';
import type { MessageLoader, OutgoingMessage } from './outgoing-message.ts';
import type { RoutePauses } from './route-pauses.ts';
import { HopOpenError, type HopTarget, SmtpHop, type TransactionResult } from './smtp-hop.ts';

// The dispatcher: claims due deliveries, groups them into SMTP transactions, and
// runs them over a bounded set of connections per destination. It holds no state
// that matters across a crash: everything it decides is in the database, and a
// claimed delivery it never finished comes back when its lease runs out.

type RouteName = 'direct' | 'smarthost';

interface Config {
  route: RouteName;
  paused: boolean;
  ehloName: string;
  timeoutMs: number;
  leaseMs: number;
  maxConnections: number;
  perDestination: number;
  ratePerMinute: number;
  dailyCap: number;
  mxPort: number;
  dnsServers: { host: string; port: number }[];
  smarthost: { host: string; port: number; security: 'starttls' | 'tls' | 'none'; username: string };
  retry: RetryPolicy;
  loadedAt: number;
}

/** One SMTP transaction to be: recipients of one message going to one destination. */
interface Job {
  destination: Destination;
  messageId: number;
  deliveries: ClaimedDelivery[];
  claimedAt: number;
  finished?: boolean;
}

interface Destination {
  key: string;
  route: RouteName;
  /** Recipient domain on the direct route. */
  domain: string | null;
  jobs: Job[];
  /** Workers (connections) serving this destination, busy or waiting for a job. */
  active: number;
  /** Workers waiting for a job; called when jobs arrive. */
  waiters: (() => void)[];
}

interface Verdict {
  action: 'delivered' | 'defer' | 'bounce' | 'unknown';
  category: DeliveryCategory | null;
  code: number | null;
  enhanced: string | null;
  response: string | null;
  detail: string;
}

interface AttemptContext {
  route: RouteName;
  /** The server as the log shows it: "mx.example.net[192.0.2.1]" or "smtp.example.com:587". */
  remoteHost: string | null;
  /** Its DNS name alone, for the bounce report's Remote-MTA (RFC 3464: "dns; mx.example.net"). */
  remoteName: string | null;
  tls: boolean | null;
}

export const PAUSED_BY_USER = 'Sending is paused (delivery.paused). Mail is queued and leaves when sending is resumed.';

/** Most recipients in one transaction; RFC 5321 requires servers to take at least 100. */
const MAX_RCPTS_PER_TRANSACTION = 100;
/** Most deliveries held in memory per connection slot. */
const JOBS_PER_CONNECTION = 20;
/** How long a connection with nothing to do stays open for the next batch. */
const IDLE_CONNECTION_MS = 2000;

export interface DispatcherOptions {
  queue: DeliveryQueue;
  loader: MessageLoader;
  settings: SettingsService;
  secrets: SecretStore;
  pauses: RoutePauses;
  log: Logger;
  /**
   * Writes a batch of results in one transaction (the engine's commit thread, so the
   * fsync does not hold up this thread); queue.complete on this thread when not given.
   */
  commitResults?: (batch: CompletionBatch, now: number) => Promise<void>;
  /** DeliveryQueue.claim on the commit thread (its write would wait for the thread's commits here). */
  claimDeliveries?: (opts: ClaimOptions) => Promise<ClaimedDelivery[]>;
}

export interface DispatcherState {
  route: RouteName;
  /** Why nothing is leaving right now, in plain words; null when sending. */
  waiting: string | null;
  connections: number;
  inFlight: number;
}

export class Dispatcher {
  private readonly o: DispatcherOptions;
  private cfg: Config;
  private resolver: MxResolver;
  private resolverKey = '';
  private readonly destinations = new Map<string, Destination>();
  private inFlight = 0;
  /** Ids of deliveries this dispatcher holds (claimed, not yet recorded); their leases are ours. */
  private readonly holding = new Set<number>();
  /** Earliest next message start per destination key, for the per-minute rate. */
  private readonly nextStart = new Map<string, number>();
  private connections = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;
  private idle: (() => void)[] = [];
  private waiting: string | null = null;
  private nextReclaimAt = 0;
  private nextPauseCheckAt = 0;
  private clock = { wall: Date.now(), mono: performance.now() };
  private completions = emptyCompletions();
  private flushFailures = 0;
  /** Deliveries with an outcome waiting for the group commit. */
  private readonly pending = new Set<number>();
  private flushScheduled = false;
  /** The results commit being written, if any: one at a time, the next batch gathers meanwhile. */
  private flushing: Promise<void> | null = null;
  /** A claim on the commit thread; while it runs, a look for work waits for it. */
  private claiming: Promise<void> | null = null;
  private lookAgain = false;
  private pokedSettings = false;
  private readonly memoryKey = crypto.randomBytes(32);
  private pausedPassword: string | null = null;
  private readonly unsignedWarned = new Set<string>();

  constructor(opts: DispatcherOptions) {
    this.o = opts;
    this.cfg = this.loadConfig(Date.now());
    this.resolver = this.makeResolver();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A pause from an earlier run is lifted once: the user may have fixed the login
    // while Mailroom was stopped, and one more attempt shows whether they did.
    for (const p of this.o.pauses.list()) this.o.pauses.resume(p.route);
    const n = this.o.queue.reclaimExpired(Date.now());
    if (n > 0) this.o.log.warn('deliveries whose attempt did not finish are queued again', { count: n });
    this.nextReclaimAt = Date.now() + 10_000;
    this.schedule(0);
  }

  /** New mail was queued: look for work now. */
  wake(): void {
    if (this.running) this.schedule(0);
  }

  /** Something changed (retry now, settings, a password): reread the settings and look again now. */
  poke(): void {
    if (!this.running) return;
    this.pokedSettings = true;
    this.schedule(0);
  }

  state(): DispatcherState {
    return { route: this.cfg.route, waiting: this.waiting, connections: this.connections, inFlight: this.inFlight };
  }

  /**
   * Stops claiming, gives back what has not started, and waits (up to graceMs) for
   * transactions on the wire to finish. Anything still running after that keeps its
   * lease and is retried at the next start.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.claiming; // what it claimed goes back (running is false)
    const now = Date.now();
    for (const dest of this.destinations.values()) {
      this.releaseJobs(dest.jobs.splice(0), now, null);
      for (const wake of dest.waiters.splice(0)) wake();
    }
    if (this.connections > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.idle.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    // Results already handed to the commit are waited for; the rest get one more try.
    await this.flushing;
    this.flush();
    await this.flushing;
  }

  // --- scheduling -------------------------------------------------------------

  private schedule(delayMs: number): void {
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, delayMs));
  }

  private tick(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (!this.running) return;
    if (this.claiming) {
      this.lookAgain = true;
      return;
    }
    const now = Date.now();
    try {
      this.followClock(now);
      if (this.pokedSettings || now - this.cfg.loadedAt > 1000) this.reloadConfig(now);
      this.pokedSettings = false;
      if (now >= this.nextReclaimAt) {
        // Our own slow attempts keep their rows: only leases nobody is working on come back.
        this.o.queue.reclaimExpired(now, this.holding);
        this.nextReclaimAt = now + 10_000;
      }
      const delay = this.claimWork(now);
      if (delay !== null) this.schedule(delay);
    } catch (err) {
      this.o.log.error('the dispatcher could not read the queue; trying again in 5 s', {
        error: (err as Error).message,
      });
      this.schedule(5000);
    }
  }

  /**
   * Claims what can be sent now; returns how long to wait before looking again, or
   * null when the claim runs on the commit thread and schedules the next look itself.
   */
  private claimWork(now: number): number | null {
    const cfg = this.cfg;
    if (cfg.paused) {
      this.waiting = PAUSED_BY_USER;
      // Mail already claimed but not started goes back too: pause means pause.
      for (const dest of this.destinations.values()) this.releaseJobs(dest.jobs.splice(0), now, null);
      return 1000;
    }
    const pause = this.o.pauses.get(cfg.route);
    if (pause) {
      this.waiting = pause.reason;
      if (now >= this.nextPauseCheckAt) {
        this.nextPauseCheckAt = now + 5000;
        this.resumeIfChanged(pause.fingerprint).catch((err: Error) =>
          this.o.log.error('could not check whether the route settings changed', { error: err.message }),
        );
      }
      return 1000;
    }
    const problem = this.routeProblem();
    if (problem) {
      this.pauseRoute(problem, null, null).catch((err: Error) =>
        this.o.log.error('could not pause the route', { error: err.message }),
      );
      return 1000;
    }
    const maxInFlight = cfg.maxConnections * JOBS_PER_CONNECTION;
    let limit = maxInFlight - this.inFlight;
    if (cfg.dailyCap > 0) {
      const left = cfg.dailyCap - this.o.queue.sentToday(cfg.route, localDay(now)) - this.inFlight;
      if (left <= 0) {
        if (this.inFlight > 0) return 1000;
        const resume = nextLocalMidnight(now);
        this.waiting = `The daily limit of ${cfg.dailyCap} recipients for the ${cfg.route} route is reached (${cfg.route}.dailyCap). Mail waits and sending resumes at ${new Date(resume).toLocaleTimeString()}; nothing fails.`;
        return Math.min(60_000, resume - now);
      }
      limit = Math.min(limit, left);
    }
    this.waiting = null;
    // Work is claimed in batches, once what is in memory has drained to half, so a busy
    // queue costs one claim transaction per batch rather than one per message. Workers
    // call schedule(0) as their backlog drains, so the wait here is only a fallback.
    if (this.inFlight > maxInFlight / 2) return 1000;
    const backlog = this.destinationBacklog();
    const exclude: string[] = [];
    if (cfg.route === 'smarthost') {
      const waiting = this.destinations.get('smarthost')?.jobs.length ?? 0;
      if (waiting >= backlog / 2) return 1000;
      limit = Math.min(limit, backlog - waiting);
    } else {
      for (const dest of this.destinations.values())
        if (dest.domain && dest.jobs.length >= backlog) exclude.push(dest.domain);
    }
    const opts: ClaimOptions = { now, leaseMs: cfg.leaseMs, limit, excludeDomains: exclude };
    if (!this.o.claimDeliveries) {
      const claimed = this.o.queue.claim(opts);
      if (claimed.length > 0) this.dispatch(claimed);
      return claimed.length === limit ? 0 : this.nextDueDelay(now);
    }
    this.lookAgain = false;
    this.claiming = this.o
      .claimDeliveries(opts)
      .then((claimed) => {
        this.claiming = null;
        if (!this.running) {
          // Stopped while claiming: give them back untried.
          this.o.queue.release(
            claimed.map((d) => d.id),
            Date.now(),
            Date.now(),
            null,
          );
          return;
        }
        if (claimed.length > 0) this.dispatch(claimed);
        this.schedule(claimed.length === limit || this.lookAgain ? 0 : this.nextDueDelay(Date.now()));
      })
      .catch((err: Error) => {
        // What was claimed and not dispatched comes back when its lease ends.
        this.claiming = null;
        this.o.log.error('the dispatcher could not claim work; trying again in 5 s', { error: err.message });
        if (this.running) this.schedule(5000);
      });
    return null;
  }

  /** Jobs a destination may hold in memory: enough to keep its connections busy, fewer when rate-limited. */
  private destinationBacklog(): number {
    const cfg = this.cfg;
    const byConnections = cfg.perDestination * JOBS_PER_CONNECTION;
    return cfg.ratePerMinute > 0
      ? Math.max(1, Math.min(byConnections, Math.ceil(cfg.ratePerMinute / 2)))
      : byConnections;
  }

  private nextDueDelay(now: number): number {
    const due = this.o.queue.nextDueAt();
    // Look at least every second: another process (the CLI's "retry now", a
    // settings change) may have made something due without telling us.
    // Something due that was not claimed waits for a busy or rate-limited destination,
    // whose workers call schedule(0) when they drain; 100 ms is only the fallback.
    return due === null ? 1000 : Math.min(1000, Math.max(100, due - now));
  }

  /**
   * Timers run on a monotonic clock, retry times are wall-clock. When the two drift
   * apart (the computer slept, or the clock was changed), repair the schedule: spread
   * out retries that all fell due at once, and pull in ones pushed too far ahead.
   */
  private followClock(now: number): void {
    const mono = performance.now();
    const drift = now - this.clock.wall - (mono - this.clock.mono);
    this.clock = { wall: now, mono };
    if (drift > 60_000) {
      const n = this.o.queue.spreadOverdue(now, 5 * 60_000);
      if (n)
        this.o.log.info('the clock jumped forward (sleep?); spreading overdue retries over 5 minutes', { count: n });
    } else if (drift < -60_000) {
      const n = this.o.queue.clampFuture(now, this.cfg.retry.maxStepMs);
      if (n) this.o.log.info('the clock went back; pulling in retries scheduled too far ahead', { count: n });
    }
  }

  private dispatch(claimed: ClaimedDelivery[]): void {
    const byJob = new Map<string, Job>();
    for (const d of claimed) {
      const destKey = this.cfg.route === 'smarthost' ? 'smarthost' : `direct:${d.domain}`;
      let dest = this.destinations.get(destKey);
      if (!dest) {
        dest = {
          key: destKey,
          route: this.cfg.route,
          domain: this.cfg.route === 'direct' ? d.domain : null,
          jobs: [],
          active: 0,
          waiters: [],
        };
        this.destinations.set(destKey, dest);
      }
      // A campaign delivery (contact_id set) is rendered for its contact, so it travels
      // alone; the loader is the one place that will render (campaign, contact).
      const jobKey = d.contactId === null ? `${destKey}|${d.messageId}` : `${destKey}|${d.messageId}|${d.id}`;
      let job = byJob.get(jobKey);
      if (!job || job.deliveries.length >= MAX_RCPTS_PER_TRANSACTION) {
        job = { destination: dest, messageId: d.messageId, deliveries: [], claimedAt: Date.now() };
        byJob.set(jobKey, job);
        dest.jobs.push(job);
        this.o.loader.retain(d.messageId);
      }
      job.deliveries.push(d);
      this.inFlight++;
      this.holding.add(d.id);
    }
    for (const dest of this.destinations.values()) for (const wake of dest.waiters.splice(0)) wake();
    this.pump();
  }

  /** Starts workers where a destination has jobs and a connection slot is free. */
  private pump(): void {
    for (const dest of this.destinations.values()) {
      while (
        this.running &&
        dest.jobs.length > dest.active &&
        dest.active < this.cfg.perDestination &&
        this.connections < this.cfg.maxConnections
      ) {
        dest.active++;
        this.connections++;
        void this.runWorker(dest);
      }
      if (dest.jobs.length === 0 && dest.active === 0) this.destinations.delete(dest.key);
    }
  }

  // --- one connection -----------------------------------------------------------

  /** Sends jobs for one destination over one connection, reusing it while jobs remain. */
  private async runWorker(dest: Destination): Promise<void> {
    let hop: SmtpHop | null = null;
    try {
      for (;;) {
        if (!this.running) break;
        let job = dest.jobs.shift();
        if (!job && hop?.usable) {
          // Keep a working connection a moment for the next batch instead of closing
          // and reopening it between claims.
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, IDLE_CONNECTION_MS);
            dest.waiters.push(() => {
              clearTimeout(t);
              resolve();
            });
          });
          job = this.running ? dest.jobs.shift() : undefined;
        }
        if (!job) break;
        // Everything about one job is inside this try: whatever fails, the job's
        // deliveries get an outcome or go back on the queue, never stay in memory.
        try {
          await this.rateWait(dest);
          if (!hop?.usable) {
            hop?.close();
            hop = null;
            const opened = await this.openHop(dest);
            if (!(opened instanceof SmtpHop)) {
              // The destination is unreachable: the jobs waiting for it would fail the
              // same way, so they share this outcome instead of hammering the server.
              const failed = [job, ...dest.jobs.splice(0)];
              if (opened.pauseRoute || !this.running) {
                this.releaseJobs(failed, Date.now(), `Waiting: ${opened.verdict.detail}`);
              } else {
                for (const j of failed) await this.record(j, () => opened.verdict, opened.ctx);
              }
              break;
            }
            hop = opened;
          }
          if (!this.running) {
            // stop() came while we waited for the rate limit or a connection.
            this.releaseJobs([job], Date.now(), null);
            break;
          }
          const now = Date.now();
          if (now - job.claimedAt > this.cfg.leaseMs / 3) {
            this.o.queue.extendLease(
              job.deliveries.map((d) => d.id),
              now + this.cfg.leaseMs,
            );
          }
          await this.deliver(hop, job);
        } catch (err) {
          this.abandon(job, err);
          hop?.close();
          hop = null;
        }
        if (this.wantsWork(dest)) this.schedule(0);
      }
    } catch (err) {
      this.o.log.error('a delivery worker failed', { error: (err as Error).stack ?? String(err) });
    } finally {
      hop?.close();
      dest.active--;
      this.connections--;
      if (this.connections === 0) for (const f of this.idle.splice(0)) f();
      if (this.running) {
        this.pump();
        this.schedule(0);
      }
    }
  }

  /** True when the backlog has drained far enough that claiming more is worth a transaction. */
  private wantsWork(dest: Destination): boolean {
    const max = this.cfg.maxConnections * JOBS_PER_CONNECTION;
    if (this.inFlight <= max / 2) return true;
    return dest.route === 'smarthost' && dest.jobs.length < this.destinationBacklog() / 2;
  }

  /**
   * A bug or an unexpected failure while sending one job: its deliveries that have no
   * outcome yet go back on the queue for a minute from now, instead of waiting in
   * memory forever.
   */
  private abandon(job: Job, err: unknown): void {
    this.o.log.error('a delivery attempt failed unexpectedly; its recipients are queued again', {
      error: (err as Error).stack ?? String(err),
    });
    const open = job.deliveries.filter((d) => this.holding.has(d.id) && !this.pending.has(d.id));
    const now = Date.now();
    this.o.queue.release(
      open.map((d) => d.id),
      now + 60_000,
      now,
      `Waiting: something went wrong inside Mailroom (${(err as Error).message}); trying again in a minute.`,
    );
    for (const d of open) this.holding.delete(d.id);
    this.inFlight -= open.length;
    this.finishJob(job);
  }

  private releaseJobs(jobs: Job[], now: number, detail: string | null): void {
    const ids = jobs.flatMap((j) => j.deliveries.map((d) => d.id));
    this.o.queue.release(ids, now, now, detail);
    for (const id of ids) this.holding.delete(id);
    this.inFlight -= ids.length;
    for (const j of jobs) this.finishJob(j);
  }

  private async rateWait(dest: Destination): Promise<void> {
    const rate = this.cfg.ratePerMinute;
    if (rate <= 0) return;
    const now = Date.now();
    // Kept per destination key, not on the Destination (dropped when idle), so the
    // spacing holds across batches.
    for (const [k, t] of this.nextStart) if (t < now) this.nextStart.delete(k);
    const start = Math.max(now, this.nextStart.get(dest.key) ?? 0);
    this.nextStart.set(dest.key, start + 60_000 / rate);
    // Sleep in short steps so stop() is not held up by a slow rate.
    while (this.running && Date.now() < start)
      await new Promise((r) => setTimeout(r, Math.min(250, start - Date.now())));
  }

  private async openHop(
    dest: Destination,
  ): Promise<SmtpHop | { verdict: Verdict; ctx: AttemptContext; pauseRoute: boolean }> {
    const cfg = this.cfg;
    if (dest.route === 'smarthost') {
      const s = cfg.smarthost;
      const ctx: AttemptContext = {
        route: 'smarthost',
        remoteHost: `${s.host}:${s.port}`,
        remoteName: s.host,
        tls: null,
      };
      let pass: string | null = null;
      if (s.username) {
        pass = await this.o.secrets.get('smarthost.password');
        if (!pass) {
          const reason = `The smarthost needs a password for ${s.username}: set it with "mailroom secret set smarthost.password" or in Settings → Sending route. Sending resumes once it is saved.`;
          await this.pauseRoute(reason, null, null);
          return { verdict: verdict('defer', 'auth', null, null, reason), ctx, pauseRoute: true };
        }
      }
      try {
        return await SmtpHop.open({
          host: s.host,
          port: s.port,
          servername: s.host,
          label: `${s.host}:${s.port}`,
          security: s.security,
          auth: s.username && pass ? { user: s.username, pass } : undefined,
          ehloName: cfg.ehloName,
          timeoutMs: cfg.timeoutMs,
        });
      } catch (err) {
        const v = this.openFailure(err, 'smarthost');
        // A refused login (5xx, or no usable AUTH at all) needs the user; "try again
        // later" (454) is just a temporary failure.
        if (v.category === 'auth' && (v.code === null || v.code >= 500)) {
          const reason = `The smarthost ${s.host} refused Mailroom's login (${v.response ?? v.detail}). Check the user name and the password in Settings → Sending route (or "mailroom secret set smarthost.password"); sending resumes on its own once either changes.`;
          await this.pauseRoute(reason, v.code, v.response);
          return { verdict: { ...v, detail: reason }, ctx, pauseRoute: true };
        }
        // Whatever the smarthost says while we connect (even 554 at the greeting) is
        // about our account or its state, never about the recipients: defer.
        return { verdict: { ...v, action: 'defer' }, ctx, pauseRoute: false };
      }
    }
    const domain = dest.domain as string;
    const ctx: AttemptContext = { route: 'direct', remoteHost: null, remoteName: null, tls: null };
    const found = await this.resolver.resolve(domain);
    if (found.kind !== 'hosts') {
      return {
        verdict: verdict(found.kind === 'bounce' ? 'bounce' : 'defer', 'dns', null, null, found.reason),
        ctx,
        pauseRoute: false,
      };
    }
    // Try each MX in preference order, each of its addresses, until one talks to us.
    let last: Verdict | null = null;
    let tried = 0;
    for (const host of found.hosts) {
      for (const address of host.addresses) {
        if (++tried > 5) break;
        const label = `${host.name}[${address}]`;
        const target: HopTarget = {
          host: address,
          port: cfg.mxPort,
          servername: host.name,
          label,
          security: 'opportunistic',
          ehloName: cfg.ehloName,
          timeoutMs: cfg.timeoutMs,
        };
        ctx.remoteHost = label;
        ctx.remoteName = host.name;
        try {
          return await SmtpHop.open(target);
        } catch (err) {
          last = this.openFailure(err, label);
          if (!(err instanceof HopOpenError && err.tlsFailed)) continue;
          // Opportunistic TLS that fails is not a reason to leave the message waiting:
          // like Postfix at smtp_tls_security_level=may ("When TLS handshakes fail, the
          // connection is retried with TLS disabled"), the same address is tried once
          // more in plain text, and the log says so. Never on the smarthost route.
          const because = tlsFailure(err);
          this.o.log.warn('TLS with a mail server failed; trying the same server again in plain text', {
            host: label,
            reason: because,
          });
          try {
            return await SmtpHop.open({
              ...target,
              security: 'none',
              plainTextBecause: `${because}, so Mailroom connected again without TLS, as Postfix does`,
            });
          } catch (plainErr) {
            const v = this.openFailure(plainErr, label);
            last = { ...v, detail: `${v.detail} (Tried in plain text because ${because}.)` };
          }
        }
      }
    }
    // A mail server that refuses to talk is not a verdict on the recipient: defer, and
    // let the queue lifetime decide.
    const v = last ?? verdict('defer', 'network', null, null, `No mail server for ${domain} could be reached.`);
    return { verdict: { ...v, action: 'defer' }, ctx, pauseRoute: false };
  }

  private openFailure(err: unknown, where: string): Verdict {
    if (err instanceof HopOpenError) {
      if (err.code) {
        const c = classifyReply({ code: err.code, text: err.response ?? '', stage: err.stage });
        return {
          action: c.action === 'delivered' ? 'defer' : c.action,
          category: c.category,
          code: err.code,
          enhanced: c.enhanced,
          response: err.response,
          detail: `${where} answered "${err.response}" during ${err.stage}.`,
        };
      }
      const t = classifyTransportError({ code: err.errorCode ?? undefined, message: err.message }, err.stage);
      return verdict('defer', t.category, null, null, `${where}: ${t.reason}`);
    }
    return verdict('defer', 'unknown', null, null, `${where}: ${(err as Error).message}`);
  }

  // --- one transaction ----------------------------------------------------------------

  private async deliver(hop: SmtpHop, job: Job): Promise<void> {
    const ctx: AttemptContext = {
      route: job.destination.route,
      remoteHost: hop.target.label,
      remoteName: hop.target.servername ?? hop.target.host,
      tls: hop.tls,
    };
    let message: OutgoingMessage;
    try {
      message = await this.o.loader.get(job.messageId);
    } catch (err) {
      await this.record(
        job,
        () => verdict('defer', 'unknown', null, null, `The message could not be read: ${(err as Error).message}`),
        ctx,
      );
      return;
    }
    const caps = hop.capabilities;
    const mailFrom = message.row.mailFrom;
    // SMTPUTF8 addresses can only go to a hop that advertises SMTPUTF8 (RFC 6531).
    let rcpts = job.deliveries;
    if (!caps.smtpUtf8) {
      const needs = (a: string) => /[^\x00-\x7f]/.test(a);
      const blocked = needs(mailFrom) ? rcpts : rcpts.filter((d) => needs(d.recipient));
      if (blocked.length) {
        const v: Verdict = {
          ...verdict(
            'bounce',
            'protocol',
            null,
            null,
            `${hop.target.label} does not support international (SMTPUTF8) addresses, which this message needs.`,
          ),
          // RFC 6531 §3.6.1: "non-ASCII addresses not permitted for that recipient".
          enhanced: '5.6.7',
        };
        await this.record(job, () => v, ctx, message, { only: blocked, finish: false });
        rcpts = rcpts.filter((d) => !blocked.includes(d));
        if (!rcpts.length) return this.finishJob(job);
      }
    }
    let variant: Awaited<ReturnType<OutgoingMessage['forHop']>>;
    try {
      variant = await message.forHop(caps);
    } catch (err) {
      // Signing failed (a key the keychain would not hand over): not the recipient's fault.
      const why = `The message could not be prepared or signed: ${(err as Error).message}`;
      await this.record(job, () => verdict('defer', 'unknown', null, null, why), ctx, message, { only: rcpts });
      return;
    }
    if (!variant.ok) {
      await this.record(job, () => verdict('bounce', 'content', null, null, variant.reason), ctx, message, {
        only: rcpts,
      });
      return;
    }
    if (!variant.signedBy && message.signingDomain && !this.unsignedWarned.has(message.signingDomain)) {
      this.unsignedWarned.add(message.signingDomain);
      this.o.log.warn('sending unsigned: no DKIM key for the From domain', { domain: message.signingDomain });
    }
    const signing = variant.signedBy
      ? `signed by ${variant.signedBy}`
      : `unsigned: no DKIM key for ${message.signingDomain ?? 'the From domain'}`;
    const result = await hop.send(
      mailFrom,
      rcpts.map((d) => d.recipient),
      variant.bytes,
      { eightBit: variant.eightBit, smtpUtf8: message.needsSmtpUtf8 },
    );
    const byRcpt = new Map(('recipients' in result ? result.recipients : []).map((r) => [r.recipient, r]));
    await this.record(job, (d) => this.verdictFor(result, byRcpt.get(d.recipient), hop, signing), ctx, message, {
      only: rcpts,
    });
    if (result.kind === 'refused' || (result.kind === 'answered' && result.code >= 400)) await hop.reset();
  }

  private verdictFor(
    result: TransactionResult,
    rcpt: { accepted: boolean; code: number | null; response: string | null } | undefined,
    hop: SmtpHop,
    signing: string,
  ): Verdict {
    const where = hop.target.label;
    const tls = hop.tls ? 'TLS' : hop.target.plainTextBecause ? `no TLS: ${hop.target.plainTextBecause}` : 'no TLS';
    if (result.kind === 'interrupted') {
      const t = classifyTransportError({ code: result.errorCode ?? undefined, message: result.reason }, 'data');
      return verdict('defer', t.category, null, null, `${where} (${tls}): ${t.reason}`);
    }
    if (rcpt && !rcpt.accepted && rcpt.code && (result.kind !== 'refused' || result.stage === 'rcpt')) {
      return this.fromReply(rcpt.code, rcpt.response ?? '', 'rcpt', `${where} (${tls}) refused the recipient.`);
    }
    if (result.kind === 'unknown') {
      return verdict(
        'unknown',
        'network',
        null,
        null,
        `${where} (${tls}): ${result.reason}. Mailroom will try again after the lease ends; the recipient may get it twice.`,
      );
    }
    if (result.kind === 'refused') {
      return this.fromReply(
        result.code,
        result.response,
        result.stage,
        `${where} (${tls}) refused the message at ${result.stage.toUpperCase()}.`,
      );
    }
    const ok = result.code < 300;
    return this.fromReply(
      result.code,
      result.response,
      'message',
      ok ? `Delivered to ${where} (${tls}), ${signing}.` : `${where} (${tls}) refused the message after receiving it.`,
    );
  }

  private fromReply(code: number, response: string, stage: Stage, detail: string): Verdict {
    const c = classifyReply({ code, text: response, stage });
    // A smarthost saying "sending limit exceeded" (Gmail's 550 5.4.5) is about our
    // account, not the recipient: wait and retry rather than bounce.
    const action =
      this.cfg.route === 'smarthost' && c.category === 'rate-limit' && c.action === 'bounce' ? 'defer' : c.action;
    return { action, category: c.category, code, enhanced: c.enhanced, response, detail };
  }

  // --- outcomes -----------------------------------------------------------------------

  /**
   * Turns verdicts into outcomes (a temporary failure past the queue lifetime
   * becomes a bounce) and hands them to the group commit.
   */
  private async record(
    job: Job,
    decide: (d: ClaimedDelivery) => Verdict,
    ctx: AttemptContext,
    message?: OutgoingMessage,
    opts: { only?: ClaimedDelivery[]; finish?: boolean } = {},
  ): Promise<void> {
    const now = Date.now();
    const cfg = this.cfg;
    if (!message) message = await this.o.loader.get(job.messageId).catch(() => undefined);
    const isBounceReport = message?.row.source === 'bounce';
    const bounced: BounceEntry['recipients'] = [];
    for (const d of opts.only ?? job.deliveries) {
      let v = decide(d);
      if ((v.action === 'defer' || v.action === 'unknown') && cfg.retry.expired(d.createdAt, now, isBounceReport)) {
        // "over 12 minutes", "over 3 hours", "over 5 days": a short lifetime never reads "over 0 hours".
        const over = describeElapsed(now - d.createdAt);
        const tries = d.attempts === 1 ? '1 attempt' : `${d.attempts} attempts`;
        v = {
          ...v,
          action: 'bounce',
          detail:
            v.action === 'unknown'
              ? `Gave up after ${tries} over ${over} (the queue lifetime): the receiving server never confirmed the message, so it may or may not have arrived. Last problem: ${v.detail}`
              : `Gave up after ${tries} over ${over} (the queue lifetime). Last problem: ${v.detail}`,
        };
      }
      const status =
        v.action === 'delivered'
          ? 'delivered'
          : v.action === 'bounce'
            ? 'bounced'
            : v.action === 'unknown'
              ? 'unknown'
              : 'deferred';
      this.completions.outcomes.push({
        deliveryId: d.id,
        status,
        nextAttemptAt: status === 'deferred' ? cfg.retry.nextAttemptAt(d.attempts, now) : undefined,
        // An unknown outcome is retried when its lease ends, and never sooner than the
        // retry schedule would allow: each retry may deliver a duplicate.
        leaseUntil:
          status === 'unknown' ? Math.max(now + cfg.leaseMs, cfg.retry.nextAttemptAt(d.attempts, now)) : undefined,
        route: ctx.route,
        remoteHost: ctx.remoteHost,
        tls: ctx.tls,
        code: v.code,
        enhanced: v.enhanced,
        response: v.response,
        category: status === 'delivered' ? null : v.category,
        detail: v.detail,
      });
      if (status === 'delivered' || status === 'unknown') {
        const key = `${ctx.route}|${localDay(now)}`;
        this.completions.counts.set(key, (this.completions.counts.get(key) ?? 0) + 1);
      }
      // RFC 3464 report to the sender, for relayed mail only, never for a bounce
      // report itself or a message with the null sender <>.
      if (status === 'bounced' && message && message.row.source === 'relay' && message.row.mailFrom !== '') {
        bounced.push({
          recipient: d.recipient,
          status: v.enhanced ?? (v.code ? `${String(v.code)[0]}.0.0` : '5.0.0'),
          remoteMta: ctx.remoteName,
          remoteHost: ctx.remoteHost,
          diagnostic: v.code ? { code: v.code, text: v.response ?? '' } : null,
          lastAttemptDate: new Date(now),
          reason: v.detail,
        });
      }
      this.inFlight--;
      // Still held until the outcome is committed, so no lease check can take it back.
      this.pending.add(d.id);
    }
    if (bounced.length && message) {
      try {
        this.completions.bounceReports.push(this.bounceReport({ message, recipients: bounced }, now));
      } catch (err) {
        // The bounces themselves are still recorded; only the report is missing.
        this.o.log.error('could not build a bounce report; the bounces are recorded without one', {
          message: message.row.queueId,
          error: (err as Error).message,
        });
      }
    }
    if (opts.finish !== false) this.finishJob(job);
    this.scheduleFlush();
  }

  private finishJob(job: Job): void {
    // Once per job: a job is finished by its outcome, or by abandon() after a failure.
    if (job.finished) return;
    job.finished = true;
    this.o.loader.release(job.messageId);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Transactions that end in the same loop turn share one commit (one fsync).
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    // A commit is being written: this batch follows when it is done.
    if (this.flushing) return;
    const batch = this.completions;
    this.completions = emptyCompletions();
    if (batch.outcomes.length === 0) return;
    const commit = this.o.commitResults ?? ((b, now) => Promise.resolve(this.o.queue.complete(b, now)));
    let written: Promise<void>;
    try {
      written = commit(
        {
          outcomes: batch.outcomes,
          routeCounts: [...batch.counts].map(([k, n]) => {
            const [route, day] = k.split('|') as [string, string];
            return { route, day, n };
          }),
          bounceReports: batch.bounceReports,
        },
        Date.now(),
      );
    } catch (err) {
      written = Promise.reject(err);
    }
    this.flushing = written.then(
      () => {
        this.flushing = null;
        this.flushFailures = 0;
        for (const o of batch.outcomes) {
          this.pending.delete(o.deliveryId);
          this.holding.delete(o.deliveryId);
        }
        if (batch.bounceReports.length) this.schedule(0);
        if (this.completions.outcomes.length) this.scheduleFlush();
      },
      (err: Error) => {
        this.flushing = null;
        // Keep the outcomes (their deliveries stay held, so nothing is sent again) and
        // try the commit again in a second: the database may be busy or the disk full.
        if (this.flushFailures++ % 60 === 0) {
          this.o.log.error('could not record delivery results; trying again every second', {
            error: err.message,
            deliveries: batch.outcomes.length,
          });
        }
        this.completions = {
          outcomes: [...batch.outcomes, ...this.completions.outcomes],
          bounceReports: [...batch.bounceReports, ...this.completions.bounceReports],
          counts: mergeCounts(batch.counts, this.completions.counts),
        };
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setTimeout(() => this.flush(), 1000).unref();
        }
      },
    );
  }

  private bounceReport(b: BounceEntry, now: number): NewMessage {
    const row = b.message.row;
    // The ASCII (punycode) form: it goes into Message-ID and From, which must be ASCII.
    const senderDomain = domainOfAddress(row.mailFrom) ?? this.cfg.ehloName;
    const id = `${crypto.randomUUID()}@${senderDomain}`;
    const body = buildDsn({
      reportingMta: this.cfg.ehloName,
      fromDomain: senderDomain,
      to: row.mailFrom,
      originalEnvelopeId: row.queueId,
      arrivalDate: new Date(row.createdAt),
      originalHeaders: b.message.headerSection(),
      originalMessageId: row.messageId,
      originalSubject: row.subject,
      recipients: b.recipients,
      now: new Date(now),
      messageId: id,
    });
    return {
      source: 'bounce',
      queueId: crypto.randomBytes(8).toString('hex'),
      mailFrom: '',
      recipients: [row.mailFrom],
      bodyType: '7bit',
      messageId: `<${id}>`,
      subject: 'Undelivered Mail Returned to Sender',
      headerFrom: `MAILER-DAEMON@${senderDomain}`,
      size: body.length,
      body,
      bounceOf: row.id,
    };
  }

  // --- route state ------------------------------------------------------------------

  private routeProblem(): string | null {
    const cfg = this.cfg;
    if (cfg.route !== 'smarthost') return null;
    if (!cfg.smarthost.host) {
      return 'The smarthost route is chosen but no smarthost is set. Choose a provider in Settings → Sending route, or run "mailroom settings set smarthost.host HOST".';
    }
    return null;
  }

  /** The route's settings, hashed: stored with a pause so any process can tell they changed. */
  private settingsFingerprint(): string {
    return crypto
      .createHash('sha256')
      .update(JSON.stringify([this.cfg.route, this.cfg.smarthost]))
      .digest('hex');
  }

  /**
   * The password's part of "did anything change" stays in this process's memory:
   * even a hash of a password never goes into the database. After a restart the
   * pause is lifted once (see start()), which costs at most one more login attempt.
   */
  private async passwordFingerprint(): Promise<string> {
    const pass = (await this.o.secrets.get('smarthost.password').catch(() => null)) ?? '';
    return crypto.createHmac('sha256', this.memoryKey).update(pass).digest('hex');
  }

  private async pauseRoute(reason: string, code: number | null, response: string | null): Promise<void> {
    const route = this.cfg.route;
    if (this.o.pauses.get(route)?.reason === reason) return;
    this.pausedPassword = await this.passwordFingerprint();
    this.o.pauses.pause({ route, reason, code, response, fingerprint: this.settingsFingerprint() });
    this.waiting = reason;
    this.o.log.warn('sending paused', { route, reason });
  }

  private async resumeIfChanged(fingerprint: string | null): Promise<void> {
    this.reloadConfig(Date.now());
    const settingsChanged = fingerprint !== this.settingsFingerprint();
    const passwordChanged = this.pausedPassword !== (await this.passwordFingerprint());
    if (!settingsChanged && !passwordChanged) return;
    if (this.o.pauses.resume(this.cfg.route)) {
      this.o.log.info('route settings changed; sending resumes', { route: this.cfg.route });
      this.poke();
    }
  }

  // --- configuration --------------------------------------------------------------

  private reloadConfig(now: number): void {
    this.cfg = this.loadConfig(now);
    const key = JSON.stringify(this.cfg.dnsServers);
    if (key !== this.resolverKey) this.resolver = this.makeResolver();
  }

  private makeResolver(): MxResolver {
    this.resolverKey = JSON.stringify(this.cfg.dnsServers);
    return createMxResolver({ servers: this.cfg.dnsServers, timeoutMs: Math.min(10_000, this.cfg.timeoutMs) });
  }

  private loadConfig(now: number): Config {
    const s: Settings = this.o.settings.all();
    const route = s['delivery.route'];
    const dns = parseDnsServers(s['delivery.dnsServers']);
    return {
      route,
      paused: s['delivery.paused'],
      ehloName: s['delivery.ehloName'] || defaultEhloName(),
      timeoutMs: s['delivery.replyTimeoutSeconds'] * 1000,
      leaseMs: s['delivery.leaseSeconds'] * 1000,
      maxConnections: s['delivery.maxConnections'],
      perDestination: s['delivery.maxConnectionsPerDestination'],
      ratePerMinute: route === 'smarthost' ? s['smarthost.ratePerMinute'] : s['direct.ratePerMinute'],
      dailyCap: route === 'smarthost' ? s['smarthost.dailyCap'] : s['direct.dailyCap'],
      mxPort: s['delivery.mxPort'],
      dnsServers: typeof dns === 'string' ? [] : dns,
      smarthost: {
        host: s['smarthost.host'],
        port: s['smarthost.port'],
        security: s['smarthost.security'],
        username: s['smarthost.username'],
      },
      retry: new RetryPolicy(s),
      loadedAt: now,
    };
  }
}

interface BounceEntry {
  message: OutgoingMessage;
  recipients: Parameters<typeof buildDsn>[0]['recipients'];
}

function emptyCompletions() {
  return { outcomes: [] as Outcome[], bounceReports: [] as NewMessage[], counts: new Map<string, number>() };
}

function mergeCounts(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map(a);
  for (const [k, n] of b) out.set(k, (out.get(k) ?? 0) + n);
  return out;
}

function verdict(
  action: Verdict['action'],
  category: DeliveryCategory | null,
  code: number | null,
  response: string | null,
  detail: string,
): Verdict {
  return { action, category, code, enhanced: null, response, detail };
}

/** Why opportunistic TLS failed with a server, as a clause: "STARTTLS failed (…)". */
function tlsFailure(err: HopOpenError): string {
  const text = (err.response ?? err.message).replace(/\s+/g, ' ').trim().slice(0, 300);
  if (err.code) return `the server accepted STARTTLS, then answered "${text}" over TLS`;
  // OpenSSL's messages carry a reason between addresses and source file names:
  // "…:error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:…".
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(text)?.[1] ?? text;
  const code = err.errorCode && !['ESOCKET', 'ECONNECTION', 'ETLS'].includes(err.errorCode) ? `${err.errorCode}: ` : '';
  return `STARTTLS failed (${code}${reason})`;
}

/** The local calendar day, which is what people mean by a daily limit. */
export function localDay(now: number): string {
  const d = new Date(now);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function nextLocalMidnight(now: number): number {
  const d = new Date(now);
  d.setHours(24, 0, 0, 0);
  return d.getTime();
}

export function defaultEhloName(): string {
  const name = os.hostname();
  return /^[a-z0-9.-]+$/i.test(name) ? name : 'localhost';
}
