import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/db/connection.ts';
import { exited, mailroom, startServe } from '../helpers/cli.ts';
import { type RunningRelay, readStore, startRelay, tempDir } from '../helpers/engine.ts';
import { RawSmtp, simpleMessage } from '../helpers/smtp-client.ts';

let relay: RunningRelay | null = null;
const children: ChildProcess[] = [];
afterEach(async () => {
  await relay?.stop();
  relay = null;
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

async function sendOne(r: { port: number; username: string; password: string }, raw: string): Promise<number> {
  const c = await RawSmtp.connect(r.port);
  try {
    await c.expect(await c.reply(), 220);
    await c.login(r.username, r.password);
    await c.openData('news@example.com', ['x@example.net']);
    c.write(`${raw}.\r\n`);
    return (await c.reply())?.code ?? 0;
  } finally {
    c.close();
  }
}

describe('a message answered 250 is never lost', () => {
  it('runs every connection with synchronous=FULL (2), WAL and foreign keys', async () => {
    relay = await startRelay();
    expect(relay.engine.db.pragma('synchronous', { simple: true })).toBe(2);
    const file = path.join(relay.dir, 'mailroom.db');
    for (let i = 0; i < 3; i++) {
      const db = openDatabase(file);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      db.close();
    }
    // The library default we guard against: a plain WAL connection is NORMAL (1).
    const plain = new Database(file);
    expect(plain.pragma('synchronous', { simple: true })).toBe(1);
    plain.close();
  });

  it('answers 451 and stores nothing when the commit fails, while other sessions still succeed', async () => {
    relay = await startRelay();
    // A real failure inside the real commit path: a trigger, installed by another
    // connection as a faulty disk or a bad migration might, aborts the insert.
    const db = new Database(path.join(relay.dir, 'mailroom.db'));
    db.exec(
      "CREATE TRIGGER fail_commit BEFORE INSERT ON messages WHEN NEW.subject = 'FAIL' BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    );
    db.close();
    const [bad, good] = await Promise.all([
      sendOne(relay, simpleMessage({ subject: 'FAIL', messageId: '<fail@example.com>' })),
      sendOne(relay, simpleMessage({ subject: 'fine', messageId: '<fine@example.com>' })),
    ]);
    expect(bad).toBe(451);
    expect(good).toBe(250);
    const { messages, deliveries } = readStore(relay.dir);
    expect(messages.map((m) => m.subject)).toEqual(['fine']);
    expect(deliveries).toHaveLength(1);
  });

  it('keeps every acknowledged message after kill -9 of "mailroom serve" in the middle of a burst', async () => {
    const dir = tempDir();
    const env = { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_SECRET_STORE: 'file' };
    const cli = async (args: string[]) => {
      const r = await mailroom(args, env);
      if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    await cli(['domains', 'add', 'example.com']);
    await cli(['settings', 'set', 'relay.port', '0']);
    await cli(['settings', 'set', 'delivery.paused', 'true']);
    const creds = JSON.parse(await cli(['relay', 'credentials', '--show-password', '--json']));

    const { child, port } = await startServe(env);
    children.push(child);
    const acked: string[] = [];
    let killed = false;
    // 8 connections each sending up to 50 messages; kill once 150 are acknowledged.
    const worker = async (w: number) => {
      const c = await RawSmtp.connect(port);
      try {
        await c.expect(await c.reply(), 220);
        await c.login(creds.username, creds.password);
        for (let i = 0; i < 50 && !killed; i++) {
          const id = `<burst-${w}-${i}@example.com>`;
          c.write('MAIL FROM:<news@example.com>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n');
          if ((await c.reply())?.code !== 250 || (await c.reply())?.code !== 250 || (await c.reply())?.code !== 354)
            return;
          c.write(`${simpleMessage({ messageId: id, body: 'z'.repeat(4000) })}.\r\n`);
          const r = await c.reply();
          if (r?.code !== 250) return;
          acked.push(id);
          if (acked.length >= 150 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      } catch {
        // the connection dies with the server; that is the point
      } finally {
        c.close();
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(150);

    // Restart: the lock died with the process, and every acknowledged message is queued.
    const again = await startServe(env);
    children.push(again.child);
    const status = JSON.parse(await cli(['status', '--json']));
    expect(status.relay.running).toBe(true);
    const { messages, deliveries } = readStore(dir);
    const stored = new Set(messages.map((m) => m.message_id));
    const missing = acked.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    const queued = new Set(deliveries.filter((d) => d.status === 'queued').map((d) => d.message_id));
    for (const m of messages) expect(queued.has(m.id)).toBe(true);
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
