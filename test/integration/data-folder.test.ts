import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { Enqueuer } from '../../src/main/queue/enqueue.ts';
import { ensureRelayCredentials } from '../../src/main/relay/credentials.ts';
import { type CliResult, exited, mailroom, run, startServe } from '../helpers/cli.ts';
import { CLI, tempDir } from '../helpers/engine.ts';

// Each test runs several `mailroom` processes: on a busy two-core machine that takes more
// than the default minute, hence the longer timeouts.
//
// Opening a data folder that is not what it should be, through the real `mailroom`
// command on real files: a folder that lost its database is refused (never started
// afresh), and every other unusable folder gets a sentence with the path and the fix,
// on stderr with exit code 1 and no stack trace.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function workDir(): string {
  const d = tempDir('mailroom-folder-');
  dirs.push(d);
  // Readable by the unprivileged user of the permission tests below.
  fs.chmodSync(d, 0o755);
  return d;
}

const envFor = (dataDir: string) => ({ ...process.env, MAILROOM_DATA_DIR: dataDir, MAILROOM_SECRET_STORE: 'file' });

/** A folder used the way the issue describes: a domain, a relay login and another port. */
async function usedFolder(): Promise<string> {
  const dataDir = path.join(workDir(), 'data');
  // Set up in-process (quicker than three commands); what is checked below is the command.
  const engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  engine.domains.add('example.com');
  engine.settings.set('relay.port', 2600);
  await ensureRelayCredentials(engine.settings, engine.secrets);
  await engine.close();
  return dataDir;
}

/** A refusal: exit 1, one sentence on stderr naming the path, no stack trace, nothing on stdout. */
function expectRefusal(r: CliResult, ...patterns: RegExp[]): void {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^mailroom: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const p of patterns) expect(r.stderr).toMatch(p);
}

const snapshot = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((f) => {
      const st = fs.statSync(path.join(dir, f));
      return `${f}:${st.isDirectory() ? 'dir' : st.size}`;
    });

describe('a data folder that lost its database', () => {
  it('is refused, with what was found and how to restore, when the database was emptied', async () => {
    const dataDir = await usedFolder();
    fs.truncateSync(path.join(dataDir, 'mailroom.db'), 0);
    const before = snapshot(dataDir);

    for (const command of [['status'], ['serve'], ['domains', 'list']]) {
      const r = await mailroom(command, envFor(dataDir));
      expectRefusal(
        r,
        new RegExp(`The database "${dataDir}/mailroom.db" is empty \\(0 bytes\\)`),
        /secrets\.json/,
        /spool\//,
        /mailroom restore BACKUP-FILE --data-dir/,
        /move the folder aside and start Mailroom again/,
        /Nothing was changed\.$/m,
      );
    }
    // Nothing was rewritten: still an empty file, and no new database, login or port.
    expect(snapshot(dataDir)).toEqual(before);
    expect(fs.statSync(path.join(dataDir, 'mailroom.db')).size).toBe(0);
  }, 180_000);

  it('is refused when the database is missing after a crash, naming the WAL and engine.json left behind', async () => {
    const dataDir = await usedFolder();
    // Any free port: 2600 may be taken on a shared machine.
    expect((await mailroom(['settings', 'set', 'relay.port', '0'], envFor(dataDir))).code).toBe(0);
    const serve = await startServe(envFor(dataDir));
    serve.child.kill('SIGKILL');
    await exited(serve.child);
    expect(fs.existsSync(path.join(dataDir, 'mailroom.db-wal'))).toBe(true);
    fs.rmSync(path.join(dataDir, 'mailroom.db'));

    const r = await mailroom(['status'], envFor(dataDir));
    expectRefusal(
      r,
      /mailroom\.db" is missing, but this folder was used by Mailroom before/,
      /mailroom\.db-wal \(recent changes not yet written into the database; keep it\)/,
      /engine\.json/,
      /engine\.lock/,
    );
    expect(fs.existsSync(path.join(dataDir, 'mailroom.db'))).toBe(false);
  }, 180_000);

  it('still sets up a truly new folder silently, even with an empty database file in it', async () => {
    for (const prepare of [(_: string) => {}, (d: string) => fs.writeFileSync(path.join(d, 'mailroom.db'), '')]) {
      const dataDir = path.join(workDir(), 'new');
      fs.mkdirSync(dataDir);
      prepare(dataDir);
      const r = await mailroom(['status'], envFor(dataDir));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(fs.statSync(path.join(dataDir, 'mailroom.db')).size).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(dataDir, 'spool'))).toBe(true);
    }
    // A folder that does not exist yet is made, when its parent exists.
    const fresh = path.join(workDir(), 'made');
    expect((await mailroom(['status'], envFor(fresh))).code).toBe(0);
  }, 180_000);
});

describe('a data folder Mailroom cannot use', () => {
  it('refuses a file that is not a database, and leaves it as it was', async () => {
    const dataDir = path.join(workDir(), 'data');
    fs.mkdirSync(dataDir);
    const file = path.join(dataDir, 'mailroom.db');
    fs.writeFileSync(file, 'This is a shopping list, not a database.\n'.repeat(200));
    const before = fs.readFileSync(file);
    const r = await mailroom(['status'], envFor(dataDir));
    expectRefusal(
      r,
      new RegExp(`"${file}" is not a database Mailroom can read \\(SQLite: file is not a database\\)`),
      /mailroom restore BACKUP-FILE/,
    );
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('says a damaged database is damaged, with its path, when a damaged page is read', async () => {
    const dataDir = path.join(workDir(), 'data');
    const engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
    const enqueuer = new Enqueuer(engine.db);
    engine.db.transaction(() => {
      for (let i = 0; i < 200; i++) {
        enqueuer.insert({
          source: 'relay',
          queueId: `q${i}`,
          mailFrom: 'a@example.com',
          recipients: ['b@example.net'],
          size: 3000,
          body: Buffer.alloc(3000, 65),
        });
      }
    })();
    await engine.close();
    // Overwrite the first page of the deliveries table with noise, as a failing disk might.
    const file = path.join(dataDir, 'mailroom.db');
    const raw = new Database(file, { readonly: true });
    const root = raw.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'deliveries'").pluck().get() as number;
    raw.close();
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (root - 1) * 4096);
    fs.closeSync(fd);

    const r = await mailroom(['log'], envFor(dataDir));
    expectRefusal(
      r,
      new RegExp(`The database "${file}" is damaged \\(SQLite: database disk image is malformed\\)`),
      /mailroom restore BACKUP-FILE/,
      /\.recover/,
    );
  });

  it('refuses --data-dir naming a file, or a folder whose parent does not exist, and makes nothing', async () => {
    const work = workDir();
    const dbFile = path.join(work, 'mailroom.db');
    fs.writeFileSync(dbFile, 'x');
    expectRefusal(
      await mailroom(['status', '--data-dir', dbFile], envFor('')),
      new RegExp(`"${dbFile}" is a file, not a folder. That is the database itself: use --data-dir "${work}"`),
    );
    const below = path.join(dbFile, 'data');
    expectRefusal(
      await mailroom(['status', '--data-dir', below], envFor('')),
      new RegExp(`"${dbFile}" is a file, so "${below}" cannot be a folder`),
    );
    const typo = path.join(work, 'srv', 'mailroom');
    expectRefusal(
      await mailroom(['status', '--data-dir', typo], envFor('')),
      new RegExp(
        `The data folder "${typo}" cannot be made because the folder it goes in, "${path.dirname(typo)}", does not exist`,
      ),
      /mkdir -p/,
    );
    expect(fs.readdirSync(work)).toEqual(['mailroom.db']);
    expect(fs.readFileSync(dbFile, 'utf8')).toBe('x');
  }, 180_000);
});

// Permission checks do not bite root, and these tests run as root on the development
// machine and in CI. So the command runs as the unprivileged user nobody (uid 65534)
// there; as any other user, the folder is simply made read-only for it.
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function runAs(args: string[], dataDir: string): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], {
    env: envFor(dataDir),
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
}

// nobody must be able to run Node and read this checkout: not so when it lies in a home
// folder closed to other users (a clone under /root). Probed, not assumed.
const nobodyCanRun =
  !asRoot || spawnSync(process.execPath, [CLI, '--help'], { uid: NOBODY, gid: NOBODY, stdio: 'ignore' }).status === 0;
if (!nobodyCanRun) {
  console.warn(
    `skipped the read-only folder test: the user nobody cannot run ${process.execPath} or read ${CLI} (a folder above them is closed to other users)`,
  );
}

describe.skipIf(process.platform === 'win32')('a read-only data folder', () => {
  it.skipIf(!nobodyCanRun)(
    'refuses a folder the user may not write, and a database file it may not write',
    async () => {
      const dataDir = await usedFolder();
      fs.chmodSync(dataDir, 0o555);
      const before = snapshot(dataDir);
      const who = asRoot ? ` \\(user id ${NOBODY}\\)` : '';
      expectRefusal(
        await runAs(['status'], dataDir),
        new RegExp(`Mailroom cannot write to "${dataDir}": the user running Mailroom${who} may not write there`),
        /chmod -R u\+rwX/,
      );
      expect(snapshot(dataDir)).toEqual(before);

      // The folder writable, the database file not.
      fs.chmodSync(dataDir, 0o777);
      fs.chmodSync(path.join(dataDir, 'mailroom.db'), 0o444);
      expectRefusal(
        await runAs(['status'], dataDir),
        new RegExp(
          `Mailroom cannot write to "${dataDir}/mailroom.db": the user running Mailroom${who} may not write there`,
        ),
      );
    },
    180_000,
  );

  // A read-only file system needs a mount: a read-only bind mount in a private mount
  // namespace (unshare -m), which needs root and CAP_SYS_ADMIN. Probed, not assumed.
  const probe = asRoot ? spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /tmp /tmp'], { stdio: 'ignore' }) : null;
  const canMount = probe?.status === 0;
  if (!canMount) console.warn('skipped the read-only file system test: needs root and unshare -m with mount');

  it.skipIf(!canMount)('refuses a folder on a read-only file system (EROFS), saying so', async () => {
    const dataDir = await usedFolder();
    const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" "$3" status`;
    const r = await run('unshare', ['-m', 'sh', '-c', script, 'sh', dataDir, process.execPath, CLI], {
      env: envFor(dataDir),
    });
    expectRefusal(
      r,
      new RegExp(`Mailroom cannot write to "${dataDir}": it is on a read-only file system`),
      /Copy the folder to a writable disk/,
    );
  });
});
