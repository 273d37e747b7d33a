import fs from 'node:fs';
import path from 'node:path';
import type { DeliveryStatus, StatusReport } from '../../shared/domain/delivery.ts';
import { DELIVERY_STATUSES } from '../../shared/domain/delivery.ts';
import type { SecretStoreKind } from '../../shared/domain/secrets.ts';
import { type Db, openDatabase } from '../db/connection.ts';
import { DomainsService } from '../domains/domains-service.ts';
import { Enqueuer } from '../queue/enqueue.ts';
import { GroupCommitter } from '../queue/group-commit.ts';
import { ensureRelayCredentials } from '../relay/credentials.ts';
import { type RelayAddress, RelayServer } from '../relay/relay-server.ts';
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
  readonly log: Logger;
  private running: { lock: EngineLock; relay: RelayServer } | null = null;

  constructor(opts: EngineOptions) {
    this.paths = dataPaths(opts.dataDir);
    this.log = opts.log ?? createLogger();
    fs.mkdirSync(this.paths.spoolTmp, { recursive: true, mode: 0o700 });
    this.db = openDatabase(this.paths.database);
    this.settings = new SettingsService(this.db);
    this.domains = new DomainsService(this.db);
    const installId = this.db.prepare("SELECT value FROM meta WHERE key = 'install_id'").pluck().get() as string;
    this.secrets = createSecretStore(opts.secretStore, { installId, secretsFile: this.paths.secretsFile });
  }

  /** Takes the engine lock, makes sure relay credentials exist, and starts the relay. */
  async start(kind: 'serve' | 'app', relayOptions: { authFailureDelayMs?: number } = {}): Promise<RelayAddress> {
    if (this.running) throw new Error('engine already started');
    const lock = EngineLock.acquire(this.paths, kind);
    try {
      await ensureRelayCredentials(this.settings, this.secrets);
      this.sweepSpool();
      const committer = new GroupCommitter(new Enqueuer(this.db));
      const relay = new RelayServer({
        paths: this.paths,
        settings: this.settings,
        domains: this.domains,
        secrets: this.secrets,
        committer,
        log: this.log,
        ...relayOptions,
      });
      const address = await relay.start();
      lock.update({ pid: process.pid, kind, startedAt: new Date().toISOString(), relay: address });
      this.running = { lock, relay };
      this.log.info('relay listening', { address: `${address.host}:${address.port}`, secrets: this.secrets.label });
      return address;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Stops the relay gracefully (open transactions finish) and releases the lock. */
  async stop(graceMs?: number): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = null;
    await running.relay.stop(graceMs);
    running.lock.release();
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
    };
  }
}
