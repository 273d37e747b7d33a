import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { create as createTar, extract as extractTar } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreBackup } from '../../src/main/backup/restore.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { Enqueuer } from '../../src/main/queue/enqueue.ts';
import { exited, mailroom, startServe } from '../helpers/cli.ts';
import { startRelay, tempDir } from '../helpers/engine.ts';
import { handlerContext, testDesktop } from '../helpers/handler-context.ts';
import { simpleMessage } from '../helpers/smtp-client.ts';

// Backup and restore through the real `mailroom` command: a backup taken while
// `mailroom serve` accepts mail, restored into a new folder that opens with the same
// deliveries and spool bodies; restores refused into a folder that is not empty, and
// from a truncated, corrupted, foreign or newer archive, with nothing placed.

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function work(): string {
  const d = tempDir('mailroom-backup-');
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const envFor = (dataDir: string) => ({ ...process.env, MAILROOM_DATA_DIR: dataDir, MAILROOM_SECRET_STORE: 'file' });

async function cli(args: string[], dataDir: string) {
  const r = await mailroom(args, envFor(dataDir));
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** A folder with one domain, the relay on any free port and sending paused (nothing leaves). */
async function folder(parent: string, name = 'data'): Promise<string> {
  const dataDir = path.join(parent, name);
  // Set up in-process (quicker than three commands); backup and restore are the commands.
  const engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  engine.domains.add('example.com');
  engine.settings.set('relay.port', 0);
  engine.settings.set('delivery.paused', true);
  await engine.close();
  return dataDir;
}

interface Sent {
  messageId: string;
  acceptedAt: number;
}

function rows(dataDir: string) {
  const db = new Database(path.join(dataDir, 'mailroom.db'), { readonly: true });
  try {
    return {
      messages: db
        .prepare('SELECT id, queue_id, message_id, subject, size, spool_path, body FROM messages ORDER BY id')
        .all() as {
        id: number;
        queue_id: string;
        message_id: string;
        subject: string;
        size: number;
        spool_path: string | null;
        body: Buffer | null;
      }[],
      deliveries: db
        .prepare('SELECT id, message_id, recipient, status, created_at FROM deliveries ORDER BY id')
        .all() as { id: number }[],
      events: db.prepare('SELECT count(*) FROM delivery_events').pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe('mailroom backup and restore', () => {
  it('backs up while serve accepts mail, and the restored folder opens with the same deliveries and spool bodies', async () => {
    const dir = work();
    const dataDir = await folder(dir);
    const serve = await startServe(envFor(dataDir));
    cleanup.push(async () => {
      serve.child.kill('SIGTERM');
      await exited(serve.child);
    });
    const creds = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')).secrets;
    const user = (await cli(['settings', 'get', 'relay.username'], dataDir)).stdout.trim();
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: serve.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 2,
      auth: { user, pass: creds['relay.password'] },
    });
    cleanup.push(() => transport.close());
    const sent: Sent[] = [];
    let n = 0;
    const send = async (body?: string) => {
      const messageId = `<m${n++}@example.com>`;
      await transport.sendMail({
        envelope: { from: 'news@example.com', to: ['a@example.net', 'b@example.org'] },
        raw: simpleMessage({ subject: `Message ${n}`, messageId, body }),
      });
      sent.push({ messageId, acceptedAt: Date.now() });
    };
    // Some small ones, and three over 1 MB that go to the spool.
    for (let i = 0; i < 20; i++) await send();
    for (let i = 0; i < 3; i++) await send(`${`${i}`.repeat(990)}\r\n`.repeat(1100));

    // Keep sending while the backup runs (bounded: at most 2,000 messages or 60 s).
    let sending = true;
    const loop = (async () => {
      const until = Date.now() + 60_000;
      while (sending && n < 2000 && Date.now() < until) await send();
    })();
    const backupFile = path.join(dir, 'backup.tar.gz');
    const before = Date.now();
    const made = await mailroom(['backup', backupFile, '--json'], envFor(dataDir));
    const after = Date.now();
    sending = false;
    await loop;
    expect(made.code, made.stderr).toBe(0);
    const summary = JSON.parse(made.stdout);
    expect(summary.file).toBe(backupFile);
    expect(summary.secrets.names.map((s: { name: string }) => s.name)).toEqual(['relay.password']);
    // The relay kept answering 250 while the backup was made.
    expect(sent.filter((s) => s.acceptedAt > before && s.acceptedAt < after).length).toBeGreaterThan(0);
    // The archive is a plain tar.gz that standard tools can list; no secret is in it.
    const listed: string[] = [];
    await extractTar({ file: backupFile, cwd: work(), onReadEntry: (e) => listed.push(e.path) });
    expect(listed[0]).toBe('manifest.json');
    expect(listed).toContain('mailroom.db');
    expect(listed.filter((p) => p.startsWith('spool/'))).toHaveLength(3);
    const bytes = fs.readFileSync(backupFile);
    expect(bytes.includes(Buffer.from(creds['relay.password']))).toBe(false);

    const restored = path.join(dir, 'restored');
    const r = await mailroom(['restore', backupFile], envFor(restored));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Restored the backup of .* into .*restored/);
    expect(r.stdout).toMatch(/relay\.password \(missing\)/);

    serve.child.kill('SIGTERM');
    expect(await exited(serve.child)).toBe(0);
    const original = rows(dataDir);
    const copy = rows(restored);
    // Everything answered 250 before the backup started is in it; nothing after it ended.
    const inCopy = new Set(copy.messages.map((m) => m.message_id));
    for (const s of sent.filter((s) => s.acceptedAt < before)) expect(inCopy.has(s.messageId), s.messageId).toBe(true);
    for (const s of sent.filter((s) => s.acceptedAt > after)) expect(inCopy.has(s.messageId), s.messageId).toBe(false);
    expect(copy.messages.length).toBe(summary.counts.messages);
    // A consistent copy: the same rows as the original for the messages it holds, every
    // delivery of each, and the spool bodies byte for byte.
    const byId = new Map(original.messages.map((m) => [m.id, m]));
    for (const m of copy.messages) expect(m).toEqual(byId.get(m.id));
    const originalDeliveries = new Map(original.deliveries.map((d) => [d.id, d]));
    for (const d of copy.deliveries) expect(d).toEqual(originalDeliveries.get(d.id));
    expect(copy.deliveries.length).toBe(copy.messages.length * 2);
    const spooled = copy.messages.filter((m) => m.spool_path);
    expect(spooled).toHaveLength(3);
    for (const m of spooled) {
      const a = fs.readFileSync(path.join(dataDir, m.spool_path as string));
      expect(fs.readFileSync(path.join(restored, m.spool_path as string)).equals(a)).toBe(true);
      expect(a.length).toBe(m.size);
    }
    // The restored folder opens as a data folder: status works, and the engine starts on it.
    const status = JSON.parse((await cli(['status', '--json'], restored)).stdout);
    expect(status.messages).toBe(copy.messages.length);
    expect(status.sendingDomains).toEqual(['example.com']);
    const engine = new Engine({ dataDir: restored, secretStore: 'file', log: silentLogger });
    cleanup.push(() => engine.close());
    await engine.start('serve', { authFailureDelayMs: 10 });
    expect(engine.isRunning()).toBe(true);
  }, 180_000);

  it('never restores over anything: a folder that is not empty, or a file, is refused and left alone', async () => {
    const dir = work();
    const dataDir = await folder(dir);
    const backupFile = path.join(dir, 'b.tar.gz');
    await cli(['backup', backupFile], dataDir);
    // Not over itself, not over another folder with something in it.
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    for (const target of [dataDir, other]) {
      const before = fs.readdirSync(target).sort();
      const r = await mailroom(['restore', backupFile], envFor(target));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /is not empty \(it has .*\): a restore never overwrites anything. Move that folder aside/,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(fs.readdirSync(target).sort()).toEqual(before);
    }
    expect(fs.readFileSync(path.join(other, 'notes.txt'), 'utf8')).toBe('mine');
    // A backup is never written over an existing file, nor into the data folder.
    const again = await mailroom(['backup', backupFile], envFor(dataDir));
    expect(again.stderr).toMatch(/already exists. Choose another file name/);
    const inside = await mailroom(['backup', path.join(dataDir, 'b.tar.gz')], envFor(dataDir));
    expect(inside.stderr).toMatch(/inside the data folder .* would be lost with it/);
    // An empty folder is fine.
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    expect((await mailroom(['restore', backupFile], envFor(empty))).code).toBe(0);
    expect(fs.existsSync(path.join(empty, 'mailroom.db'))).toBe(true);
  }, 180_000);

  it('refuses a truncated, corrupted, foreign or newer archive before placing anything', async () => {
    const dir = work();
    const dataDir = await folder(dir);
    const good = path.join(dir, 'good.tar.gz');
    await cli(['backup', good], dataDir);
    const bytes = fs.readFileSync(good);

    // Unpack it to craft variants the way a damaged disk or a newer Mailroom would.
    const unpacked = path.join(dir, 'unpacked');
    fs.mkdirSync(unpacked);
    await extractTar({ file: good, cwd: unpacked });
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'manifest.json'), 'utf8'));
    const repack = async (name: string, change: (folder: string) => void, extra: string[] = []) => {
      const folderCopy = path.join(dir, `${name}-src`);
      fs.cpSync(unpacked, folderCopy, { recursive: true });
      change(folderCopy);
      const file = path.join(dir, `${name}.tar.gz`);
      await createTar({ gzip: true, file, cwd: folderCopy, portable: true }, [
        'manifest.json',
        'mailroom.db',
        ...extra,
      ]);
      return file;
    };
    const newer = await repack('newer', (f) => {
      const db = new Database(path.join(f, 'mailroom.db'));
      db.pragma('user_version = 99');
      db.close();
      fs.writeFileSync(path.join(f, 'manifest.json'), JSON.stringify({ ...manifest, schemaVersion: 99 }));
    });
    const tampered = await repack('tampered', (f) => {
      const db = new Database(path.join(f, 'mailroom.db'));
      db.prepare("DELETE FROM sending_domains WHERE domain = 'example.com'").run();
      db.close();
    });
    const foreign = await repack('foreign', (f) => fs.writeFileSync(path.join(f, 'run-me.sh'), 'echo hi'), [
      'run-me.sh',
    ]);
    const noManifest = path.join(dir, 'plain.tar.gz');
    await createTar({ gzip: true, file: noManifest, cwd: unpacked, portable: true }, ['mailroom.db']);
    const truncated = path.join(dir, 'truncated.tar.gz');
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const flipped = path.join(dir, 'flipped.tar.gz');
    const copy = Buffer.from(bytes);
    const middle = Math.floor(copy.length / 2);
    copy.writeUInt8(copy.readUInt8(middle) ^ 0xff, middle);
    fs.writeFileSync(flipped, copy);
    const notGzip = path.join(dir, 'notes.tar.gz');
    fs.writeFileSync(notGzip, 'just some text\n');

    const cases: [string, RegExp][] = [
      [truncated, /cannot be restored: it could not be unpacked/],
      [flipped, /cannot be restored: (it could not be unpacked|mailroom\.db is not what was backed up)/],
      [notGzip, /cannot be restored: it could not be unpacked/],
      [noManifest, /it has no readable manifest\.json, so it is not a Mailroom backup/],
      [foreign, /it holds run-me\.sh, which no Mailroom backup contains/],
      [tampered, /mailroom\.db is not what was backed up/],
      [newer, /made by a newer Mailroom .*database schema 99/],
      [path.join(dir, 'nothere.tar.gz'), /There is no backup file at/],
    ];
    for (const [file, why] of cases) {
      const target = path.join(dir, 'target');
      const r = await mailroom(['restore', file], envFor(target));
      expect(r.code, file).toBe(1);
      expect(r.stderr, file).toMatch(why);
      expect(r.stderr, file).toMatch(/Nothing was changed\.\n$/);
      // Nothing placed, nothing left behind beside it.
      expect(fs.existsSync(target), file).toBe(false);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.restore-'))).toEqual([]);
    }
  }, 180_000);
});

describe('Back up… in the app (the engine runs in the same process)', () => {
  it('copies in small steps on the relay’s own connection while it accepts mail, and the copy restores', async () => {
    const dir = work();
    const relay = await startRelay();
    cleanup.push(() => relay.stop());
    // Enough data that the copy takes many steps (1,024 pages each), with mail arriving between them.
    const enqueuer = new Enqueuer(relay.engine.db);
    relay.engine.db.transaction(() => {
      for (let i = 0; i < 3000; i++) {
        enqueuer.insert({
          source: 'relay',
          queueId: `seed${i}`,
          mailFrom: 'news@example.com',
          recipients: ['a@example.net'],
          messageId: `<seed${i}@example.com>`,
          size: 8000,
          body: Buffer.alloc(8000, 97),
        });
      }
    })();
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: relay.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      auth: { user: relay.username, pass: relay.password },
    });
    cleanup.push(() => transport.close());
    const accepted: { id: string; at: number }[] = [];
    let sending = true;
    const loop = (async () => {
      for (let i = 0; sending && i < 2000; i++) {
        const id = `<live${i}@example.com>`;
        await transport.sendMail({
          envelope: { from: 'news@example.com', to: ['b@example.net'] },
          raw: simpleMessage({ messageId: id }),
        });
        accepted.push({ id, at: Date.now() });
      }
    })();
    while (accepted.length < 5) await new Promise((r) => setTimeout(r, 20));

    const desktop = testDesktop();
    desktop.savePath = path.join(dir, 'app.tar.gz');
    const handlers = createHandlers(handlerContext(relay.engine, { desktop }));
    const before = Date.now();
    const answer = await handlers['app.backup'](undefined);
    const after = Date.now();
    sending = false;
    await loop;
    expect(answer.saved).toBe(true);
    expect(answer.summary?.file).toBe(desktop.savePath);

    const restored = path.join(dir, 'restored');
    const { manifest } = await restoreBackup(desktop.savePath, restored);
    const copy = rows(restored);
    const ids = new Set(copy.messages.map((m) => m.message_id));
    // Every seeded message, everything accepted before, nothing accepted after; and the
    // copy is one consistent moment: each message with its delivery.
    for (let i = 0; i < 3000; i++) expect(ids.has(`<seed${i}@example.com>`)).toBe(true);
    for (const a of accepted.filter((a) => a.at < before)) expect(ids.has(a.id), a.id).toBe(true);
    for (const a of accepted.filter((a) => a.at > after)) expect(ids.has(a.id), a.id).toBe(false);
    expect(copy.deliveries.length).toBe(copy.messages.length);
    expect(manifest.counts.messages).toBe(copy.messages.length);
    const db = new Database(path.join(restored, 'mailroom.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
