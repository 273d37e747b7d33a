import fs from 'node:fs';
import path from 'node:path';
import type { BackupSummary, DataSize } from '../../shared/domain/backup.ts';
import type { DeliveryStatus, StatusReport } from '../../shared/domain/delivery.ts';
import { DELIVERY_STATUSES } from '../../shared/domain/delivery.ts';
import type { SecretStoreKind } from '../../shared/domain/secrets.ts';
import type { Settings } from '../../shared/domain/settings.ts';
import { createBackup } from '../backup/backup.ts';
import { ContactsService } from '../contacts/contacts-service.ts';
import { ImportService } from '../contacts/import/import-service.ts';
import type { Db } from '../db/connection.ts';
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
import { type LoginBlock, LoginBlocks } from '../relay/login-blocks.ts';
import { clientLabel, LoginGuard, THIS_COMPUTER } from '../relay/login-guard.ts';
import { hostPort, mailProgramHost, type RelayAddress } from '../relay/relay-address.ts';
import { type RelayDeps, RelayServer } from '../relay/relay-server.ts';
import { RetentionCleaner } from '../retention/cleaner.ts';
import { createSecretStore, type SecretStore } from '../secrets/secret-store.ts';
import { SettingsService } from '../settings/settings-service.ts';
import { MAILROOM_VERSION } from '../version.ts';
import { openDataFolder } from './data-folder.ts';
import { dataFolderSize } from './data-size.ts';
import { EngineLock, runningEngine } from './engine-lock.ts';
import { createLogger, type Logger } from './log.ts';
import { type DataPaths, dataPaths } from './paths.ts';

export interface EngineOptions {
  dataDir: string;
  secretStore: SecretStoreKind;
  log?: Logger;
}

/** The relay's timings; the defaults are for people, tests make them short. */
export interface RelayOptions {
  /** Pause after the first recent failed login from a client; it doubles with each further one (default 1 s). */
  authFailureDelayMs?: number;
  /** How long a client that keeps guessing the password is refused the first time (default 5 minutes). */
  loginBlockMs?: number;
  /** How long a connection may take to log in (default 30 s). */
  loginTimeoutMs?: number;
}

/** After a login block ends, the dashboard keeps saying what happened for this long. */
export const LOGIN_BLOCK_QUIET_MS = 15 * 60_000;

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
  readonly loginBlocks: LoginBlocks;
  /** Contact imports: preview, run on a worker thread, cancel, report, undo. */
  readonly imports: ImportService;
  /** Contacts, lists, tags, fields, segments, suppressions and export. */
  readonly contacts: ContactsService;
  /** Removes old message bodies and log rows; runs on its own only while this process runs the engine. */
  readonly retention: RetentionCleaner;
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
    // Checks the folder first: one that lost its database is refused, never started afresh.
    this.db = openDataFolder(this.paths);
    this.settings = new SettingsService(this.db);
    this.domains = new DomainsService(this.db);
    const installId = this.db.prepare("SELECT value FROM meta WHERE key = 'install_id'").pluck().get() as string;
    this.secrets = createSecretStore(opts.secretStore, { installId, secretsFile: this.paths.secretsFile });
    this.dkim = new DkimService(this.db, this.secrets, this.domains);
    this.dns = new DnsService(this.db, this.settings, this.domains, this.dkim);
    this.queue = new DeliveryQueue(this.db, new Enqueuer(this.db));
    this.pauses = new RoutePauses(this.db);
    this.loginBlocks = new LoginBlocks(this.db);
    this.imports = new ImportService(this.db, this.paths.database);
    this.contacts = new ContactsService(this.db);
    this.retention = new RetentionCleaner({
      db: this.db,
      dataDir: this.paths.dataDir,
      settings: this.settings,
      log: this.log,
    });
  }

  /** Takes the engine lock, makes sure relay credentials exist, and starts the relay and the dispatcher. */
  async start(kind: 'serve' | 'app', relayOptions: RelayOptions = {}): Promise<RelayAddress> {
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
      const guard = new LoginGuard({
        log: this.log,
        store: this.loginBlocks,
        firstDelayMs: relayOptions.authFailureDelayMs,
        blockMs: relayOptions.loginBlockMs,
      });
      const relayDeps: RelayDeps = {
        paths: this.paths,
        settings: this.settings,
        domains: this.domains,
        secrets: this.secrets,
        committer,
        log: this.log,
        guard,
        loginTimeoutMs: relayOptions.loginTimeoutMs,
      };
      const relay = new RelayServer(relayDeps);
      // Loaded before the first client connects, so its start-up does not slow a session.
      await thread.ready();
      dispatcher.start();
      let address: RelayAddress;
      try {
        address = await relay.start();
      } catch (err) {
        guard.close();
        await dispatcher.stop(0);
        throw err;
      }
      lock.update({ pid: process.pid, kind, startedAt: new Date().toISOString(), relay: address });
      this.running = { lock, kind, relay, relayDeps, dispatcher, commits: thread };
      // Only the process holding the engine lock cleans up, so two never race over a file.
      this.retention.start();
      this.log.info('relay listening', {
        address: address.listening.map((h) => hostPort(h, address.port)).join(' '),
        secrets: this.secrets.label,
      });
      return address;
    } catch (err) {
      await commits?.close();
      lock.release();
      throw err;
    }
  }

  /**
   * A backup of this data folder while the engine runs (see backup/backup.ts). In the
   * process that runs the relay the copy goes in small steps on its own connection.
   */
  backup(target: string, opts: { overwrite?: boolean } = {}): Promise<BackupSummary> {
    return createBackup({
      db: this.db,
      paths: this.paths,
      target,
      overwrite: opts.overwrite ?? false,
      liveWriter: this.isRunning(),
      mailroomVersion: MAILROOM_VERSION,
    });
  }

  /** The data folder's size on disk: database (with WAL) and spool. */
  dataSize(): Promise<DataSize> {
    return dataFolderSize(this.paths, this.db);
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
      this.log.info('relay moved', { address: address.listening.map((h) => hostPort(h, address.port)).join(' ') });
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
    const own = this.running?.relay.address;
    if (own) return own;
    const other = runningEngine(this.paths)?.relay;
    return other ? { ...other, listening: other.listening ?? [other.host] } : null;
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
      await this.retention.stop();
      await running.relay.stop(graceMs);
      running.relayDeps.guard.close();
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
    // A backup cut off by a crash leaves its staging folder (a database copy): gone after
    // six hours, long past any backup still running in another process.
    for (const f of fs.readdirSync(this.paths.dataDir)) {
      const p = path.join(this.paths.dataDir, f);
      if (f.startsWith('.backup-') && Date.now() - fs.statSync(p).mtimeMs > 6 * 3_600_000) {
        this.log.warn('removing an unfinished backup left by a crash', { folder: f });
        fs.rmSync(p, { recursive: true, force: true });
      }
    }
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

  status(now = Date.now()): StatusReport {
    const s = this.settings.all();
    const engine = this.running ? null : runningEngine(this.paths);
    const own = this.running?.relay.address ?? null;
    const relayAddr: { host: string; port: number; listening?: string[] } = own ??
      engine?.relay ?? { host: s['relay.host'], port: s['relay.port'] };
    const counts = Object.fromEntries(DELIVERY_STATUSES.map((st) => [st, 0])) as Record<DeliveryStatus, number>;
    for (const row of this.db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all() as {
      status: DeliveryStatus;
      n: number;
    }[]) {
      counts[row.status] = row.n;
    }
    const messages = this.db.prepare('SELECT count(*) FROM messages').pluck().get() as number;
    const host = mailProgramHost(relayAddr);
    return {
      dataDir: this.paths.dataDir,
      relay: {
        host,
        port: relayAddr.port,
        address: hostPort(host, relayAddr.port),
        listening: own || engine ? (relayAddr.listening ?? [relayAddr.host]) : [],
        running: Boolean(own || engine),
        runningPid: own ? process.pid : (engine?.pid ?? null),
        username: s['relay.username'] || null,
        loginBlock: this.loginBlock(now),
      },
      secretStore: this.secrets.label,
      sendingDomains: this.domains.list(),
      messages,
      deliveries: counts,
      delivery: this.deliveryStatus(s),
    };
  }

  /** A login block running now, or one that ended less than LOGIN_BLOCK_QUIET_MS ago. */
  private loginBlock(now: number): StatusReport['relay']['loginBlock'] {
    const b: LoginBlock | null = this.loginBlocks.latest();
    if (!b || b.blockedUntil + LOGIN_BLOCK_QUIET_MS <= now) return null;
    return {
      client: clientLabel(b.client),
      thisComputer: b.client === THIS_COMPUTER,
      failures: b.failures,
      since: b.firstFailureAt,
      until: b.blockedUntil,
      active: b.blockedUntil > now,
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
