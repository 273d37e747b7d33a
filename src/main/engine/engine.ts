import fs from 'node:fs';
import path from 'node:path';
import type { DeliveryStatus, StatusReport } from '../../shared/domain/delivery.ts';
import { DELIVERY_STATUSES } from '../../shared/domain/delivery.ts';
import type { SecretStoreKind } from '../../shared/domain/secrets.ts';
import type { Settings } from '../../shared/domain/settings.ts';
import { type Db, openDatabase } from '../db/connection.ts';
import { Dispatcher, localDay, PAUSED_BY_USER } from '../delivery/dispatcher.ts';
import { MessageLoader } from '../delivery/outgoing-message.ts';
import { RoutePauses } from '../delivery/route-pauses.ts';
import { DkimService } from '../dkim/dkim-service.ts';
import { DnsService } from '../dns/dns-service.ts';
import { DomainsService } from '../domains/domains-service.ts';
import { CommitThread } from '../queue/commit-thread.ts';
import { DeliveryQueue } from '../queue/delivery-queue.ts';
import { Enqueuer } from '../queue/enqueue.ts';
import { GroupCommitter } from '../queue/group-commit.ts';
import { ensureRelayCredentials } from '../relay/credentials.ts';
import { type RelayAddress, type RelayDeps, RelayServer } from '../relay/relay-server.ts';
import { createSecretStore, type SecretStore } from '../secrets/secret-store.ts';
import { SettingsService } from '../settings/settings-service.ts';
import { EngineLock, runningEngine } from './engine-lock.ts';
import { createLogger, type Logger } from './log.ts';
import { type DataPaths, dataPaths } from './paths.ts';

export interface EngineOptions {
  dataDir: string;
  secretStore: SecretStoreKind;
  log?: Logger;
}

/**
 * The engine's services over one data folder. Opening it is cheap and safe while
 * another process runs the relay (commands like `status` and `domains add` do
 * this); `start()` takes the folder's engine lock and runs the relay.
 */
export class Engine {
  readonly paths: DataPaths;
  readonly db: Db;
  readonly settings: SettingsService;
  readonly domains: DomainsService;
  readonly secrets: SecretStore;
  readonly dkim: DkimService;
  readonly dns: DnsService;
  readonly queue: DeliveryQueue;
  readonly pauses: RoutePauses;
  readonly log: Logger;
  private running: {
    lock: EngineLock;
    kind: 'serve' | 'app';
    relay: RelayServer;
    relayDeps: RelayDeps;
    dispatcher: Dispatcher;
    commits: CommitThread;
  } | null = null;

  constructor(opts: EngineOptions) {
    this.paths = dataPaths(opts.dataDir);
    this.log = opts.log ?? createLogger();
    fs.mkdirSync(this.paths.spoolTmp, { recursive: true, mode: 0o700 });
    this.db = openDatabase(this.paths.database);
    this.settings = new SettingsService(this.db);
    this.domains = new DomainsService(this.db);
    const installId = this.db.prepare("SELECT value FROM meta WHERE key = 'install_id'").pluck().get() as string;
    this.secrets = createSecretStore(opts.secretStore, { installId, secretsFile: this.paths.secretsFile });
    this.dkim = new DkimService(this.db, this.secrets, this.domains);
    this.dns = new DnsService(this.db, this.settings, this.domains, this.dkim);
    this.queue = new DeliveryQueue(this.db, new Enqueuer(this.db));
    this.pauses = new RoutePauses(this.db);
  }

  /** Takes the engine lock, makes sure relay credentials exist, and starts the relay and the dispatcher. */
  async start(kind: 'serve' | 'app', relayOptions: { authFailureDelayMs?: number } = {}): Promise<RelayAddress> {
    if (this.running) throw new Error('engine already started');
    const lock = EngineLock.acquire(this.paths, kind);
    let commits: CommitThread | null = null;
    try {
      await ensureRelayCredentials(this.settings, this.secrets);
      this.sweepSpool();
      // Relay commits, claims and delivery results are written (and fsynced) on their own thread.
      const thread = new CommitThread(this.paths.database);
      commits = thread;
      const dispatcher = new Dispatcher({
        queue: this.queue,
        loader: new MessageLoader(this.db, this.paths.dataDir, this.dkim),
        settings: this.settings,
        secrets: this.secrets,
        pauses: this.pauses,
        log: this.log,
        commitResults: (batch, now) => thread.complete(batch, now),
        claimDeliveries: (opts) => thread.claim(opts),
      });
      const committer = new GroupCommitter(
        (messages) => thread.enqueue(messages),
        () => dispatcher.wake(),
      );
      const relayDeps: RelayDeps = {
        paths: this.paths,
        settings: this.settings,
        domains: this.domains,
        secrets: this.secrets,
        committer,
        log: this.log,
        ...relayOptions,
      };
      const relay = new RelayServer(relayDeps);
      // Loaded before the first client connects, so its start-up does not slow a session.
      await thread.ready();
      dispatcher.start();
      let address: RelayAddress;
      try {
        address = await relay.start();
      } catch (err) {
        await dispatcher.stop(0);
        throw err;
      }
      lock.update({ pid: process.pid, kind, startedAt: new Date().toISOString(), relay: address });
      this.running = { lock, kind, relay, relayDeps, dispatcher, commits: thread };
      this.log.info('relay listening', { address: `${address.host}:${address.port}`, secrets: this.secrets.label });
      return address;
    } catch (err) {
      await commits?.close();
      lock.release();
      throw err;
    }
  }

  /** Look for due work now (after "retry now" or a settings change in this process). */
  poke(): void {
    this.running?.dispatcher.poke();
  }

  /** Why the dispatcher in this process is holding mail back right now (in memory, no query). */
  waitingReason(): string | null {
    return this.running?.dispatcher.state().waiting ?? null;
  }

  /** Pause or resume sending; mail is still accepted and queued while paused. */
  setSendingPaused(paused: boolean): void {
    this.settings.set('delivery.paused', paused);
    this.poke();
  }

  /** Whether this process runs the relay and the dispatcher. */
  isRunning(): boolean {
    return this.running !== null;
  }

  /**
   * Moves the relay to another port without a gap: the new listener starts first,
   * and only when it is up does the old one close (its open transactions finish).
   * When the new port cannot be used, the setting goes back and nothing changes.
   * Port moves and stop() run one at a time, so two moves (or a move and a quit)
   * never leave the setting and the listener disagreeing, or a listener behind.
   */
  setRelayPort(port: number): Promise<void> {
    return this.oneAtATime(async () => {
      const previous = this.settings.get('relay.port');
      this.settings.set('relay.port', port);
      const running = this.running;
      if (!running || running.relay.address?.port === port) return;
      const relay = new RelayServer(running.relayDeps);
      let address: RelayAddress;
      try {
        address = await relay.start();
      } catch (err) {
        this.settings.set('relay.port', previous);
        throw err;
      }
      const old = running.relay;
      running.relay = relay;
      running.lock.update({
        pid: process.pid,
        kind: running.kind,
        startedAt: new Date().toISOString(),
        relay: address,
      });
      this.log.info('relay moved', { address: `${address.host}:${address.port}` });
      await old.stop(10_000);
    });
  }

  private serial: Promise<unknown> = Promise.resolve();

  private oneAtATime<T>(task: () => Promise<T>): Promise<T> {
    const next = this.serial.then(task, task);
    this.serial = next.catch(() => {});
    return next;
  }

  /** Where the relay listens now: this process's, another process's (mailroom serve), or null. */
  relayAddress(): RelayAddress | null {
    return this.running?.relay.address ?? runningEngine(this.paths)?.relay ?? null;
  }

  /**
   * Stops the relay gracefully (open transactions finish), then the dispatcher
   * (transactions on the wire finish), and releases the lock.
   */
  stop(graceMs?: number): Promise<void> {
    return this.oneAtATime(async () => {
      const running = this.running;
      if (!running) return;
      this.running = null;
      await running.relay.stop(graceMs);
      await running.dispatcher.stop(graceMs);
      await running.commits.close();
      running.lock.release();
    });
  }

  async close(graceMs?: number): Promise<void> {
    await this.stop(graceMs);
    this.db.close();
  }

  /**
   * Spool files whose row never committed (a crash between rename and commit, or
   * a failed commit) belong to no message: the sender was never told 250, so
   * removing them loses nothing.
   */
  private sweepSpool(): void {
    for (const f of fs.readdirSync(this.paths.spoolTmp)) fs.rmSync(path.join(this.paths.spoolTmp, f), { force: true });
    const referenced = new Set(
      (this.db.prepare('SELECT spool_path FROM messages WHERE spool_path IS NOT NULL').pluck().all() as string[]).map(
        (p) => path.basename(p),
      ),
    );
    for (const f of fs.readdirSync(this.paths.spool)) {
      if (f.endsWith('.eml') && !referenced.has(f)) {
        this.log.warn('removing an orphaned spool file (never acknowledged)', { file: f });
        fs.rmSync(path.join(this.paths.spool, f), { force: true });
      }
    }
  }

  status(): StatusReport {
    const s = this.settings.all();
    const engine = this.running ? null : runningEngine(this.paths);
    const own = this.running?.relay.address ?? null;
    const relayAddr = own ?? engine?.relay ?? { host: s['relay.host'], port: s['relay.port'] };
    const counts = Object.fromEntries(DELIVERY_STATUSES.map((st) => [st, 0])) as Record<DeliveryStatus, number>;
    for (const row of this.db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all() as {
      status: DeliveryStatus;
      n: number;
    }[]) {
      counts[row.status] = row.n;
    }
    const messages = this.db.prepare('SELECT count(*) FROM messages').pluck().get() as number;
    const host = relayAddr.host.includes(':') ? `[${relayAddr.host}]` : relayAddr.host;
    return {
      dataDir: this.paths.dataDir,
      relay: {
        host: relayAddr.host,
        port: relayAddr.port,
        address: `${host}:${relayAddr.port}`,
        running: Boolean(own || engine),
        runningPid: own ? process.pid : (engine?.pid ?? null),
        username: s['relay.username'] || null,
      },
      secretStore: this.secrets.label,
      sendingDomains: this.domains.list(),
      messages,
      deliveries: counts,
      delivery: this.deliveryStatus(s),
    };
  }

  private deliveryStatus(s: Settings): StatusReport['delivery'] {
    const route = s['delivery.route'];
    const cap = route === 'smarthost' ? s['smarthost.dailyCap'] : s['direct.dailyCap'];
    const sentToday = this.queue.sentToday(route, localDay(Date.now()));
    const live = this.running?.dispatcher.state().waiting;
    let waiting: string | null = live ?? null;
    if (!this.running) {
      // Another process (or nobody) runs the dispatcher: say what the database knows.
      waiting = s['delivery.paused']
        ? PAUSED_BY_USER
        : (this.pauses.get(route)?.reason ??
          (cap > 0 && sentToday >= cap
            ? `The daily limit of ${cap} recipients for the ${route} route is reached; mail waits until tomorrow.`
            : null));
    }
    const security = { starttls: 'STARTTLS', tls: 'TLS', none: 'no encryption' }[s['smarthost.security']];
    return {
      route,
      target:
        route === 'direct'
          ? "each recipient's mail server (MX)"
          : s['smarthost.host']
            ? `${s['smarthost.host']}:${s['smarthost.port']} (${security})`
            : 'no smarthost set',
      waiting,
      dailyCap: cap > 0 ? { cap, sentToday } : null,
      unsignedDomains: this.dkim.domainsWithoutKey(),
    };
  }
}
