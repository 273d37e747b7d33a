import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine, type RelayOptions } from '../../src/main/engine/engine.ts';
import { type Logger, silentLogger } from '../../src/main/engine/log.ts';

export function tempDir(prefix = 'mailroom-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface RunningRelay {
  engine: Engine;
  dir: string;
  port: number;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/** A real engine on a temp data folder with a file secret store, relay on a free loopback port. */
export async function startRelay(
  opts: { domains?: string[]; settings?: Record<string, string>; log?: Logger } & RelayOptions = {},
): Promise<RunningRelay> {
  const dir = tempDir();
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: opts.log ?? silentLogger });
  engine.settings.set('relay.port', 0);
  // Relay tests only look at what was queued: nothing leaves (and no DNS query is made)
  // unless a test turns sending on and points it at loopback peers.
  engine.settings.set('delivery.paused', true);
  for (const [k, v] of Object.entries(opts.settings ?? {})) engine.settings.setFromText(k, v);
  for (const d of opts.domains ?? ['example.com']) engine.domains.add(d);
  const address = await engine.start('serve', {
    authFailureDelayMs: opts.authFailureDelayMs ?? 10,
    loginBlockMs: opts.loginBlockMs,
    loginTimeoutMs: opts.loginTimeoutMs,
  });
  const username = engine.settings.get('relay.username');
  const password = (await engine.secrets.get('relay.password')) as string;
  return {
    engine,
    dir,
    port: address.port,
    username,
    password,
    async stop() {
      await engine.close(2000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface StoredMessage {
  id: number;
  mail_from: string;
  message_id: string | null;
  subject: string | null;
  header_from: string | null;
  size: number;
  body: Buffer | null;
  spool_path: string | null;
}

/** Reads what is stored, through a separate connection as another process would. */
export function readStore(dir: string): {
  messages: StoredMessage[];
  deliveries: { message_id: number; recipient: string; domain: string; status: string }[];
} {
  const db = new Database(path.join(dir, 'mailroom.db'), { readonly: true });
  try {
    return {
      messages: db.prepare('SELECT * FROM messages ORDER BY id').all() as StoredMessage[],
      deliveries: db
        .prepare('SELECT message_id, recipient, domain, status FROM deliveries ORDER BY id')
        .all() as never[],
    };
  } finally {
    db.close();
  }
}

export function storedBytes(dir: string, m: StoredMessage): Buffer {
  if (m.body) return m.body;
  return fs.readFileSync(path.join(dir, m.spool_path as string));
}

export const CLI = path.resolve('src/main/cli/main.ts');
