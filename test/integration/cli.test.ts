import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, mailroom, startServe } from '../helpers/cli.ts';
import { tempDir } from '../helpers/engine.ts';
import { RawSmtp, simpleMessage } from '../helpers/smtp-client.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = tempDir();
  env = { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_SECRET_STORE: 'file' };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mailroom command line', () => {
  it('validates settings with clear errors and leaves the old value in place', async () => {
    expect((await mailroom(['settings', 'set', 'relay.port', '0'], env)).code).toBe(0);
    expect((await mailroom(['settings', 'set', 'delivery.paused', 'true'], env)).code).toBe(0);
    const bad = await mailroom(['settings', 'set', 'relay.port', '70000'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/relay\.port cannot be 70000.*Nothing was changed/);
    const unknown = await mailroom(['settings', 'set', 'relay.colour', 'blue'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/There is no setting "relay.colour". Known settings: relay.host/);
    const remote = await mailroom(['settings', 'set', 'relay.host', 'not-an-ip'], env);
    expect(remote.code).toBe(1);
    const got = await mailroom(['settings', 'get', 'relay.port', '--json'], env);
    expect(JSON.parse(got.stdout)).toEqual({ key: 'relay.port', value: 0 });
    const list = JSON.parse((await mailroom(['settings', 'list', '--json'], env)).stdout) as { key: string }[];
    expect(list.map((r) => r.key)).toContain('relay.maxMessageBytes');
  });

  it('manages sending domains, normalising and refusing bad names', async () => {
    expect((await mailroom(['domains', 'add', 'Example.COM.'], env)).code).toBe(0);
    expect((await mailroom(['domains', 'add', 'bücher.example'], env)).code).toBe(0);
    const dup = await mailroom(['domains', 'add', 'example.com'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already/);
    const bad = await mailroom(['domains', 'add', 'no spaces.com'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a domain name/);
    expect(JSON.parse((await mailroom(['domains', 'list', '--json'], env)).stdout)).toEqual([
      'example.com',
      'xn--bcher-kva.example',
    ]);
    expect((await mailroom(['domains', 'remove', 'xn--bcher-kva.example'], env)).code).toBe(0);
    expect((await mailroom(['domains', 'remove', 'nothere.example'], env)).code).toBe(1);
  });

  it('rejects unknown commands and options with a usage message and exit code 2', async () => {
    const r = await mailroom(['frobnicate'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"[\s\S]*Usage: mailroom/);
    expect((await mailroom(['status', '--bogus'], env)).code).toBe(2);
  });

  it('creates, shows and rotates relay credentials; secrets come from stdin only', async () => {
    const first = JSON.parse((await mailroom(['relay', 'credentials', '--show-password', '--json'], env)).stdout);
    expect(first.username).toMatch(/^mailroom-[0-9a-f]{6}$/);
    expect(first.password).toHaveLength(24);
    const hidden = JSON.parse((await mailroom(['relay', 'credentials', '--json'], env)).stdout);
    expect(hidden.password).toBeUndefined();
    const rotated = JSON.parse(
      (await mailroom(['relay', 'credentials', '--rotate', '--show-password', '--json'], env)).stdout,
    );
    expect(rotated.rotated).toBe(true);
    expect(rotated.password).not.toBe(first.password);
    expect((await mailroom(['secret', 'set', 'relay.password'], env, 'chosen-by-me\n')).code).toBe(0);
    const after = JSON.parse((await mailroom(['relay', 'credentials', '--show-password', '--json'], env)).stdout);
    expect(after.password).toBe('chosen-by-me');
    const empty = await mailroom(['secret', 'set', 'relay.password'], env, '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/empty/);
    const short = await mailroom(['secret', 'set', 'relay.password'], env, 'hunter2\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 12 characters/);
    expect((await mailroom(['secret', 'set', 'nope'], env, 'x')).code).toBe(1);
    // No secret in the database.
    const db = new Database(path.join(dir, 'mailroom.db'), { readonly: true });
    const dump = JSON.stringify(db.prepare('SELECT * FROM settings').all());
    db.close();
    expect(dump).not.toContain('chosen-by-me');
    expect(fs.statSync(path.join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a second engine on the same data folder, and shuts down gracefully on SIGTERM', async () => {
    const creds = JSON.parse((await mailroom(['relay', 'credentials', '--show-password', '--json'], env)).stdout);
    const serve = await startServe(env);
    const second = await mailroom(['serve'], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/"mailroom serve" \(process \d+, started .*\) is already running the engine on/);

    const status = JSON.parse((await mailroom(['status', '--json'], env)).stdout);
    expect(status.relay).toMatchObject({ running: true, port: serve.port, runningPid: serve.child.pid });

    // A transaction in progress when SIGTERM arrives...
    const open = await RawSmtp.connect(serve.port);
    await open.expect(await open.reply(), 220);
    await open.login(creds.username, creds.password);
    await open.openData('news@example.com', ['x@example.net']);
    open.write(simpleMessage({ subject: 'in flight', messageId: '<inflight@example.com>' }).slice(0, 40));
    // ...and an idle authenticated session.
    const idle = await RawSmtp.connect(serve.port);
    await idle.expect(await idle.reply(), 220);
    serve.child.kill('SIGTERM');
    await idle.waitClosed(5000);

    // A new session gets 421 while the open one finishes.
    const late = await RawSmtp.connect(serve.port);
    expect((await late.reply())?.code).toBe(421);
    open.write(`${simpleMessage({ subject: 'in flight', messageId: '<inflight@example.com>' }).slice(40)}.\r\n`);
    expect((await open.reply())?.code).toBe(250);
    await open.waitClosed(5000);
    expect(await exited(serve.child)).toBe(0);

    const after = JSON.parse((await mailroom(['status', '--json'], env)).stdout);
    expect(after.relay.running).toBe(false);
    expect(after.messages).toBe(1);
    expect(after.deliveries.queued).toBe(1);
  });
});
