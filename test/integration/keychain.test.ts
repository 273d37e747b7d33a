import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { mailroom } from '../helpers/cli.ts';
import { CLI, tempDir } from '../helpers/engine.ts';

const run = promisify(execFile);

// keytar against a real Secret Service: gnome-keyring in a private D-Bus session,
// with HOME in a temp folder so the developer's own keyring is never touched.
const home = tempDir('mailroom-home-');
const dataDir = tempDir();
afterAll(() => {
  for (const d of [home, dataDir]) fs.rmSync(d, { recursive: true, force: true });
});

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_DATA_HOME: path.join(home, '.local/share') };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.DISPLAY;
  delete env.MAILROOM_SECRET_STORE;
  env.MAILROOM_DATA_DIR = dataDir;
  return env;
}

describe('secrets in the OS keychain', () => {
  it('round-trips the relay password through the real Secret Service, and never into SQLite', async () => {
    const node = JSON.stringify(process.execPath);
    const cli = `${node} ${JSON.stringify(CLI)}`;
    const script = [
      'echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null',
      `printf 'Kc-9f2#roundtrip\\n' | ${cli} secret set relay.password`,
      `${cli} relay credentials --show-password --json > creds.json`,
      `${cli} relay credentials --rotate --show-password --json > rotated.json`,
      // An independent reader of the same keychain entry.
      `secret-tool lookup service Mailroom account "$(cat install_id)/relay.password" > lookup.txt`,
    ].join(' && ');
    // The data folder (and so its install id) exists before the session starts.
    await run(process.execPath, [CLI, 'domains', 'add', 'example.com'], { env: cleanEnv() });
    const db = new Database(path.join(dataDir, 'mailroom.db'), { readonly: true });
    const installId = db.prepare("SELECT value FROM meta WHERE key = 'install_id'").pluck().get() as string;
    db.close();
    fs.writeFileSync(path.join(home, 'install_id'), installId);
    await run('dbus-run-session', ['--', 'sh', '-c', script], { env: cleanEnv(), cwd: home });

    const creds = JSON.parse(fs.readFileSync(path.join(home, 'creds.json'), 'utf8'));
    expect(creds.password).toBe('Kc-9f2#roundtrip');
    expect(creds.store).toBe('OS keychain');
    const rotated = JSON.parse(fs.readFileSync(path.join(home, 'rotated.json'), 'utf8'));
    expect(rotated.password).not.toBe('Kc-9f2#roundtrip');
    expect(fs.readFileSync(path.join(home, 'lookup.txt'), 'utf8')).toBe(rotated.password);

    // Neither password is anywhere in the database files, and no plain-text store was made.
    for (const f of fs.readdirSync(dataDir).filter((n) => n.startsWith('mailroom.db'))) {
      const bytes = fs.readFileSync(path.join(dataDir, f)).toString('latin1');
      expect(bytes).not.toContain('Kc-9f2#roundtrip');
      expect(bytes).not.toContain(rotated.password);
    }
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
  });

  it('a backup restored on this computer finds its secrets in the keychain again; on another, it lists them', async () => {
    const work = tempDir('mailroom-restore-');
    const otherHome = tempDir('mailroom-home2-');
    try {
      const q = (p: string) => JSON.stringify(p);
      const cli = `${q(process.execPath)} ${q(CLI)}`;
      const source = path.join(work, 'source');
      const backup = path.join(work, 'backup.tar.gz');
      const unlock = 'echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null';
      const here = [
        unlock,
        `printf 'Kc-restore-5678\\n' | ${cli} secret set relay.password --data-dir ${q(source)}`,
        `${cli} relay credentials --data-dir ${q(source)} > /dev/null`,
        `${cli} backup ${q(backup)} --data-dir ${q(source)} > /dev/null`,
        `${cli} restore ${q(backup)} --data-dir ${q(path.join(work, 'restored'))} --json > ${q(path.join(work, 'here.json'))}`,
        `${cli} relay credentials --show-password --json --data-dir ${q(path.join(work, 'restored'))} > ${q(path.join(work, 'creds.json'))}`,
      ].join(' && ');
      await run('dbus-run-session', ['--', 'sh', '-c', here], { env: cleanEnv(), cwd: home });
      // Another computer: another user's keyring, which has never seen this installation.
      const elsewhere = [
        unlock,
        `${cli} restore ${q(backup)} --data-dir ${q(path.join(work, 'elsewhere'))} > ${q(path.join(work, 'elsewhere.txt'))}`,
      ].join(' && ');
      const env2 = { ...cleanEnv(), HOME: otherHome, XDG_DATA_HOME: path.join(otherHome, '.local/share') };
      await run('dbus-run-session', ['--', 'sh', '-c', elsewhere], { env: env2, cwd: otherHome });

      const restoredHere = JSON.parse(fs.readFileSync(path.join(work, 'here.json'), 'utf8'));
      expect(restoredHere.secrets).toEqual([{ name: 'relay.password', present: true }]);
      expect(JSON.parse(fs.readFileSync(path.join(work, 'creds.json'), 'utf8')).password).toBe('Kc-restore-5678');
      expect(fs.readFileSync(backup).includes(Buffer.from('Kc-restore-5678'))).toBe(false);
      expect(fs.readFileSync(path.join(work, 'elsewhere.txt'), 'utf8')).toMatch(
        /Enter the ones not found in the OS keychain again:\n {2}relay\.password \(missing\): the password your mail programs use/,
      );
    } finally {
      for (const d of [work, otherHome]) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('refuses, with a clear sentence, when no keychain is reachable, and stores nothing', async () => {
    const r = await mailroom(['secret', 'set', 'relay.password'], cleanEnv(), 'would-be-secret\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No OS keychain could be reached .*stored nothing.*--secret-store file/s);
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
  });
});
