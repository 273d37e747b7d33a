import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { exited, mailroom, startServe } from '../helpers/cli.ts';
import { message } from '../helpers/delivery.ts';
import { tempDir } from '../helpers/engine.ts';
import { type Sink, startSink, waitFor } from '../helpers/smtp-sink.ts';

// The delivery commands of the `mailroom` CLI, run as a real child process: DKIM keys,
// smarthost presets, the delivery log and "retry now".

const dirs: string[] = [];
const children: ChildProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && !c.signalCode) c.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dataFolder(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir();
  dirs.push(dir);
  return { dir, env: { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_SECRET_STORE: 'file' } };
}

/** Runs a command that must succeed and returns its standard output. */
async function ok(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await mailroom(args, env);
  if (r.code !== 0) throw new Error(`mailroom ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const json = async <T = Record<string, unknown>>(args: string[], env: NodeJS.ProcessEnv): Promise<T> =>
  JSON.parse(await ok([...args, '--json'], env)) as T;

function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Delivery {
  id: number;
  recipient: string;
  status: string;
  attempts: number;
  events: { kind: string; route: string | null; code: number | null; response: string | null }[];
}

describe('mailroom dkim', () => {
  it('generates a key and prints the DNS record as JSON and as quoted 255-character pieces', async () => {
    const { env } = dataFolder();
    await ok(['domains', 'add', 'example.com'], env);

    const rec = await json(['dkim', 'generate', 'example.com'], env);
    expect(Object.keys(rec).sort()).toEqual(['algorithm', 'domain', 'name', 'selector', 'value']);
    expect(rec.domain).toBe('example.com');
    expect(rec.algorithm).toBe('rsa-2048');
    expect(rec.name).toBe(`${rec.selector}._domainkey.example.com`);
    expect(rec.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);

    // Human output: the whole value, then the same value in quoted pieces of ≤255 characters.
    const human = await ok(['dkim', 'generate', 'example.com', '--selector', 'second'], env);
    expect(human).toMatch(/Name:\s+second\._domainkey\.example\.com/);
    const value = /Value:\s+(v=DKIM1;[^\n]+)/.exec(human)?.[1];
    expect(value).toMatch(/^v=DKIM1; k=rsa; p=/);
    const piecesLine = human.split('\n').find((l) => /^\s*"v=DKIM1;/.test(l));
    expect(piecesLine).toBeDefined();
    const pieces = [...piecesLine!.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(255);
    expect(pieces.join('')).toBe(value);

    const ed = await json(['dkim', 'generate', 'example.com', '--algorithm', 'ed25519'], env);
    expect(ed.algorithm).toBe('ed25519');
    expect(ed.value).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    expect(ed.selector).not.toBe(rec.selector);

    const listed = await json<{ keys: { selector: string }[] }>(['dkim', 'list'], env);
    expect(listed.keys.map((k) => k.selector).sort()).toEqual([rec.selector, ed.selector, 'second'].sort());
  });

  it('refuses an unknown domain, a duplicate selector and a bad --algorithm', async () => {
    const { env } = dataFolder();
    await ok(['domains', 'add', 'example.com'], env);

    const unknown = await mailroom(['dkim', 'generate', 'other.example'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /other\.example is not one of your sending domains.*mailroom domains add other\.example/,
    );
    expect(unknown.stdout).toBe('');

    await ok(['dkim', 'generate', 'example.com', '--selector', 'dup', '--algorithm', 'ed25519'], env);
    const dup = await mailroom(['dkim', 'generate', 'example.com', '--selector', 'dup'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already has a DKIM key with selector "dup"/);

    const bad = await mailroom(['dkim', 'generate', 'example.com', '--algorithm', 'rsa-1024'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--algorithm is "rsa-2048" \(the default\) or "ed25519", not "rsa-1024"/);
    expect(bad.stderr).toMatch(/Usage: mailroom/);

    // Only the one good key exists.
    const listed = await json<{ keys: { selector: string }[] }>(['dkim', 'list'], env);
    expect(listed.keys.map((k) => k.selector)).toEqual(['dup']);
  });

  it('imports an OpenSSL key: p= is the DER public key; the secret store holds the key, the database never does', async () => {
    const { dir, env } = dataFolder();
    await ok(['domains', 'add', 'example.com'], env);
    const work = tempDir('mailroom-keys-');
    dirs.push(work);
    const keyFile = path.join(work, 'key.pem');
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile]);
    const spki = openssl(['pkey', '-in', keyFile, '-pubout', '-outform', 'DER']).toString('base64');

    const rec = await json(['dkim', 'import', 'example.com', '--selector', 'imported', '--key', keyFile], env);
    expect(rec).toEqual({
      domain: 'example.com',
      selector: 'imported',
      algorithm: 'rsa-2048',
      name: 'imported._domainkey.example.com',
      value: `v=DKIM1; k=rsa; p=${spki}`,
    });

    // The private key is in the secrets file (the store chosen with MAILROOM_SECRET_STORE=file)...
    const pem = fs.readFileSync(keyFile, 'utf8');
    const body = pem
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
    const secrets = JSON.parse(fs.readFileSync(path.join(dir, 'secrets.json'), 'utf8')) as {
      secrets: Record<string, string>;
    };
    const stored = secrets.secrets['dkim/example.com/imported'];
    expect(stored).toMatch(/-----BEGIN PRIVATE KEY-----/);
    expect(stored?.replace(/-----[^-]+-----|\s/g, '')).toBe(body);
    // ...and nowhere in the database, its WAL or its shared memory.
    for (const name of fs.readdirSync(dir).filter((f) => f.startsWith('mailroom.db'))) {
      const bytes = fs.readFileSync(path.join(dir, name)).toString('latin1');
      expect(bytes.includes('PRIVATE KEY'), name).toBe(false);
      for (const line of pem.split('\n').filter((l) => l.length === 64)) expect(bytes.includes(line), name).toBe(false);
    }

    // An encrypted key and a garbage file are refused with a sentence; nothing is stored.
    const encrypted = path.join(work, 'encrypted.pem');
    openssl([
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-aes256',
      '-pass',
      'pass:secret',
      '-out',
      encrypted,
    ]);
    const enc = await mailroom(['dkim', 'import', 'example.com', '--selector', 'enc', '--key', encrypted], env);
    expect(enc.code).toBe(1);
    expect(enc.stderr).toMatch(/protected with a passphrase\. Remove the passphrase first/);

    const garbage = path.join(work, 'garbage.pem');
    fs.writeFileSync(garbage, 'this is not a key\n\u0000\u0001\u0002 at all\n');
    const junk = await mailroom(['dkim', 'import', 'example.com', '--selector', 'junk', '--key', garbage], env);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/No private key was found in that input\./);

    const missing = await mailroom(
      ['dkim', 'import', 'example.com', '--selector', 'gone', '--key', path.join(work, 'nope.pem')],
      env,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Could not read .*nope\.pem/);

    const listed = await json<{ keys: { selector: string }[] }>(['dkim', 'list'], env);
    expect(listed.keys.map((k) => k.selector)).toEqual(['imported']);
    const after = JSON.parse(fs.readFileSync(path.join(dir, 'secrets.json'), 'utf8')) as {
      secrets: Record<string, string>;
    };
    expect(Object.keys(after.secrets).filter((k) => k.startsWith('dkim/'))).toEqual(['dkim/example.com/imported']);
  });

  it('status lists the sending domains without a key until one exists', async () => {
    const { env } = dataFolder();
    await ok(['domains', 'add', 'example.com'], env);
    await ok(['domains', 'add', 'shop.example'], env);
    type Status = { delivery: { unsignedDomains: string[] } };
    expect((await json<Status>(['status'], env)).delivery.unsignedDomains).toEqual(['example.com', 'shop.example']);
    expect(await ok(['status'], env)).toMatch(/Unsigned:\s+example\.com has no DKIM key/);
    await ok(['dkim', 'generate', 'example.com', '--algorithm', 'ed25519'], env);
    expect((await json<Status>(['status'], env)).delivery.unsignedDomains).toEqual(['shop.example']);
    await ok(['dkim', 'generate', 'shop.example', '--algorithm', 'ed25519'], env);
    expect((await json<Status>(['status'], env)).delivery.unsignedDomains).toEqual([]);
  });
});

describe('mailroom smarthost', () => {
  type Setting = { key: string; value: unknown };
  const settingsOf = async (env: NodeJS.ProcessEnv) =>
    Object.fromEntries((await json<Setting[]>(['settings', 'list'], env)).map((s) => [s.key, s.value]));

  it('lists the presets and fills in a provider with "smarthost use"', async () => {
    const { env } = dataFolder();
    const presets = await json<{ id: string; name: string; hosts: { host: string }[] }[]>(
      ['smarthost', 'presets'],
      env,
    );
    const ids = presets.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['sendgrid', 'amazon-ses', 'mailgun', 'gmail']));
    for (const p of presets) expect(p.hosts.length).toBeGreaterThan(0);
    expect(await ok(['smarthost', 'presets'], env)).toMatch(/sendgrid\s+SendGrid: smtp\.sendgrid\.net port 587/);

    const used = await json(['smarthost', 'use', 'sendgrid'], env);
    expect(used.route).toBe('smarthost');
    let s = await settingsOf(env);
    expect(s).toMatchObject({
      'delivery.route': 'smarthost',
      'smarthost.preset': 'sendgrid',
      'smarthost.host': 'smtp.sendgrid.net',
      'smarthost.port': 587,
      'smarthost.security': 'starttls',
      'smarthost.username': 'apikey',
    });

    const human = await ok(['smarthost', 'use', 'amazon-ses', '--region', 'eu-west-1'], env);
    expect(human).toMatch(/Amazon SES \(email-smtp\.eu-west-1\.amazonaws\.com:587\)/);
    expect(human).toMatch(/mailroom settings set smarthost\.username NAME/);
    s = await settingsOf(env);
    expect(s).toMatchObject({
      'delivery.route': 'smarthost',
      'smarthost.preset': 'amazon-ses',
      'smarthost.host': 'email-smtp.eu-west-1.amazonaws.com',
      'smarthost.port': 587,
      'smarthost.security': 'starttls',
      // SendGrid's fixed "apikey" is wrong for SES: it is cleared, not kept.
      'smarthost.username': '',
    });

    // A provider added in issue 13: Mailtrap's Bulk stream, with its fixed user name and free-plan cap.
    expect(await ok(['smarthost', 'presets'], env)).toMatch(
      /mailtrap\s+Mailtrap \(Email Sending\): transactional=live\.smtp\.mailtrap\.io, bulk=bulk\.smtp\.mailtrap\.io port 587/,
    );
    await ok(['smarthost', 'use', 'mailtrap', '--region', 'bulk'], env);
    expect(await settingsOf(env)).toMatchObject({
      'smarthost.preset': 'mailtrap',
      'smarthost.host': 'bulk.smtp.mailtrap.io',
      'smarthost.username': 'api',
      'smarthost.dailyCap': 150,
    });

    // Refusals name the valid choices and change nothing.
    const before = await settingsOf(env);
    const noPreset = await mailroom(['smarthost', 'use', 'pigeon-post'], env);
    expect(noPreset.code).toBe(1);
    expect(noPreset.stderr).toMatch(/There is no provider preset "pigeon-post"\. Use one of: amazon-ses, .*sendgrid/);
    const noRegion = await mailroom(['smarthost', 'use', 'amazon-ses', '--region', 'mars-north-1'], env);
    expect(noRegion.code).toBe(1);
    expect(noRegion.stderr).toMatch(/Amazon SES has no region "mars-north-1"\. Use one of: us-east-1, .*eu-west-1/);
    const single = await mailroom(['smarthost', 'use', 'sendgrid', '--region', 'eu'], env);
    expect(single.code).toBe(1);
    expect(single.stderr).toMatch(/single server/);
    expect(await settingsOf(env)).toEqual(before);
  });

  it('switches from a loopback smarthost without TLS to a provider', async () => {
    // Someone who tried Mailroom against a local test server (security none, allowed
    // only on loopback) then picks a real provider: the preset's own security replaces
    // "none", so the change must be accepted as a whole.
    const { env } = dataFolder();
    await ok(['settings', 'set', 'smarthost.host', '127.0.0.1'], env);
    await ok(['settings', 'set', 'smarthost.security', 'none'], env);
    const r = await mailroom(['smarthost', 'use', 'sendgrid'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await settingsOf(env)).toMatchObject({
      'smarthost.host': 'smtp.sendgrid.net',
      'smarthost.security': 'starttls',
    });
  });

  it('refuses security "none" for a smarthost that is not on this computer', async () => {
    const { env } = dataFolder();
    await ok(['settings', 'set', 'smarthost.host', 'smtp.example.net'], env);
    const r = await mailroom(['settings', 'set', 'smarthost.security', 'none'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/allowed only for a smarthost on this computer.*Nothing was changed/);
    expect((await mailroom(['settings', 'get', 'smarthost.security'], env)).stdout.trim()).toBe('starttls');
    expect((await mailroom(['settings', 'get', 'smarthost.host'], env)).stdout.trim()).toBe('smtp.example.net');
  });
});

describe('mailroom log and retry', () => {
  it('shows a deferred delivery with the 451, and "retry" from another process sends it now', async () => {
    // The sink answers 451 to the first attempt of every message, 250 after that;
    // retry.schedule 1h means only "retry now" can bring the second attempt in time.
    const tries = new Map<string, number>();
    const sink = await startSink({
      onData: (_n, m) => {
        const id = /^Message-ID:\s*(\S+)/im.exec(m.data.toString('latin1'))?.[1] ?? '';
        const n = (tries.get(id) ?? 0) + 1;
        tries.set(id, n);
        return n === 1 ? { code: 451, message: '4.3.0 later' } : 'accept';
      },
    });
    sinks.push(sink);
    const { env } = dataFolder();
    for (const [k, v] of [
      ['relay.port', '0'],
      ['delivery.paused', 'true'],
      ['delivery.route', 'smarthost'],
      ['smarthost.host', '127.0.0.1'],
      ['smarthost.port', String(sink.port)],
      ['smarthost.security', 'none'],
      ['retry.schedule', '1h'],
      ['delivery.paused', 'false'],
    ] as const) {
      await ok(['settings', 'set', k, v], env);
    }
    await ok(['domains', 'add', 'example.com'], env);
    const creds = await json<{ username: string; password: string }>(['relay', 'credentials', '--show-password'], env);
    const serve = await startServe(env);
    children.push(serve.child);
    const send = async (to: string, subject: string) => {
      const t = nodemailer.createTransport({
        host: '127.0.0.1',
        port: serve.port,
        secure: false,
        ignoreTLS: true,
        auth: { user: creds.username, pass: creds.password },
      });
      try {
        await t.sendMail({ envelope: { from: 'news@example.com', to: [to] }, raw: message({ to, subject }) });
      } finally {
        t.close();
      }
    };
    const logOf = async (recipient: string) =>
      (await json<{ deliveries: Delivery[] }>(['log', '--recipient', recipient], env)).deliveries;
    const waitStatus = (recipient: string, status: string) =>
      waitFor(
        async () => {
          const [d] = await logOf(recipient);
          return d?.status === status ? d : undefined;
        },
        20_000,
        `${recipient} to be ${status}`,
      );

    await send('first@example.net', 'First');
    const deferred = await waitStatus('first@example.net', 'deferred');
    expect(deferred.attempts).toBe(1);
    const ev = deferred.events.find((e) => e.kind === 'deferred');
    expect(ev).toMatchObject({ route: 'smarthost', code: 451 });
    expect(ev?.response).toMatch(/4\.3\.0 later/);
    const human = await ok(['log', '--recipient', 'first@example.net'], env);
    expect(human).toMatch(new RegExp(`#${deferred.id} first@example\\.net\\s+DEFERRED`));
    expect(human).toMatch(/deferred \[smarthost, 127\.0\.0\.1:\d+, no TLS\] "451 .*4\.3\.0 later"/);

    const retried = await mailroom(['retry', String(deferred.id)], env);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(new RegExp(`Retrying delivery #${deferred.id} now: 1 delivery\\.`));
    const delivered = await waitStatus('first@example.net', 'delivered');
    expect(delivered.attempts).toBe(2);
    expect(delivered.events.map((e) => e.kind)).toEqual(['queued', 'deferred', 'retry-now', 'delivered']);

    // A delivery that is not waiting (or does not exist) is refused with a sentence.
    const done = await mailroom(['retry', String(deferred.id)], env);
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/is not waiting for a retry/);
    const none = await mailroom(['retry', '999999'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Delivery #999999 is not waiting for a retry.*"mailroom log" shows its state\./);
    expect((await mailroom(['retry', 'abc'], env)).code).toBe(2);
    expect((await mailroom(['retry', '--route', 'pigeon'], env)).code).toBe(2);

    // A whole route: reports how many deliveries it moved.
    await send('second@example.net', 'Second');
    await waitStatus('second@example.net', 'deferred');
    const byRoute = await json<{ retried: number }>(['retry', '--route', 'smarthost'], env);
    expect(byRoute).toEqual({ retried: 1 });
    await waitStatus('second@example.net', 'delivered');
    const nothing = await mailroom(['retry', '--route', 'smarthost'], env);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/Retrying the smarthost route now: 0 deliveries\./);

    expect(sink.messages.map((m) => m.to)).toEqual([['first@example.net'], ['second@example.net']]);
    serve.child.kill('SIGTERM');
    expect(await exited(serve.child)).toBe(0);
  });
});
