import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { emit } from '../../src/main/ipc/emit.ts';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { bindIpcMain, createIpcDispatcher, type IpcHandlers } from '../../src/main/ipc/register.ts';
import { createSenderCheck } from '../../src/main/ipc/trusted-sender.ts';
import { statusReportSchema } from '../../src/shared/domain/delivery.ts';
import { MailroomError } from '../../src/shared/errors.ts';
import { IPC_CHANNELS } from '../../src/shared/ipc/channels.ts';
import { handlerContext } from '../helpers/handler-context.ts';

const rendererFile = path.join(os.tmpdir(), 'mailroom-app', 'out', 'renderer', 'index.html');
const ownPage = `${pathToFileURL(rendererFile).href}#/`;
const isTrusted = createSenderCheck({ file: rendererFile });

let dataDir: string;
let engine: Engine;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-ipc-'));
  engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  engine.domains.add('example.com');
});

afterAll(async () => {
  await engine.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function realContext() {
  return {
    ...handlerContext(engine, { engineState: () => ({ state: 'stopped', error: null }) }),
    appVersion: '9.9.9-test',
  };
}

function realDispatcher() {
  return createIpcDispatcher(createHandlers(realContext()), isTrusted);
}

/** Handlers that record whether they ran, for the cases that must be refused before any call. */
function spyHandlers(impl?: Partial<IpcHandlers>) {
  const status = vi.fn(impl?.['relay.status'] ?? (() => engine.status()));
  const info = vi.fn(
    impl?.['app.info'] ??
      (() => ({ version: '1', dataDir, engine: { state: 'running' as const, error: null }, startAtLogin: false })),
  );
  const handlers: IpcHandlers = { ...createHandlers(realContext()), 'relay.status': status, 'app.info': info };
  return { handlers, status, info };
}

describe('IPC dispatcher', () => {
  it('answers a good call with {ok:true,data} from a real engine', async () => {
    const dispatch = realDispatcher();
    for (const input of [undefined, {}]) {
      const answer = await dispatch('relay.status', ownPage, input);
      expect(answer.ok).toBe(true);
      if (!answer.ok) return;
      const report = statusReportSchema.parse(answer.data);
      expect(report.sendingDomains).toEqual(['example.com']);
      expect(report.dataDir).toBe(dataDir);
      expect(report.relay.running).toBe(false);
      expect(report.deliveries.queued).toBe(0);
    }
    expect(await dispatch('app.info', ownPage, undefined)).toEqual({
      ok: true,
      data: { version: '9.9.9-test', dataDir, engine: { state: 'stopped', error: null }, startAtLogin: false },
    });
  });

  it('refuses an unknown channel with an envelope', async () => {
    const { handlers, status, info } = spyHandlers();
    const dispatch = createIpcDispatcher(handlers, isTrusted);
    for (const channel of ['relay.delete', 'toString', '__proto__', 'constructor', '', 42, null, { c: 1 }]) {
      const answer = await dispatch(channel, ownPage, undefined);
      expect(answer).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    }
    expect(status).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
  });

  it('refuses a bad payload with a VALIDATION envelope that names the request', async () => {
    const { handlers, status } = spyHandlers();
    const dispatch = createIpcDispatcher(handlers, isTrusted);
    for (const input of [{ extra: true }, 'all', 7, [], null]) {
      const answer = await dispatch('relay.status', ownPage, input);
      expect(answer.ok).toBe(false);
      if (answer.ok) return;
      expect(answer.error.code).toBe('VALIDATION');
      expect(answer.error.message).toContain('"relay.status" request was not valid');
    }
    expect(status).not.toHaveBeenCalled();
  });

  it('refuses bad payloads on the new channels, and changes nothing', async () => {
    const dispatch = realDispatcher();
    const before = engine.settings.all();
    const bad: [string, unknown][] = [
      ['log.search', { pageSize: 7 }],
      ['log.search', { sort: 'random' }],
      ['log.search', { filter: { statuses: ['lost'] } }],
      ['log.search', { filter: { text: 'x'.repeat(201) } }],
      ['log.retry', { ids: [] }],
      ['log.cancel', { ids: [1.5] }],
      ['log.detail', { id: -1 }],
      ['settings.update', { values: 'delivery.paused=true' }],
      ['settings.update', {}],
      ['relay.setPort', { port: 80 }],
      ['relay.setPort', { port: '2526' }],
      ['relay.sendTest', { from: 'not an address', to: 'a@b.example' }],
      ['route.test', { port: 587, security: 'starttls', username: 'u' }],
      ['route.test', { host: 'smtp.example.com', port: 587, security: 'ssl', username: 'u' }],
      ['route.setPassword', { password: '' }],
      ['domains.add', { domain: 5 }],
      ['app.setStartAtLogin', { enabled: 'yes' }],
      ['dns.plan', { domain: 5 }],
      ['dns.check', {}],
      ['dns.saveProgress', { domain: 'example.com', step: 0 }],
      ['dns.saveProgress', { domain: 'example.com', route: { kind: 'carrier-pigeon' } }],
      ['dns.saveProgress', { domain: 'example.com', route: { kind: 'smarthost', preset: 'Not Valid!' } }],
      ['dns.saveProgress', { domain: 'example.com', reportAddress: 'postmaster@example.com', extra: 1 }],
      ['dns.saveProgress', { domain: 'example.com', reportAddress: 'not an address' }],
      ['dns.saveProgress', { domain: 'example.com', route: { kind: 'smarthost', preset: 'no-such-provider' } }],
      ['dns.generateKey', {}],
      ['dns.sendTest', { from: 'x', to: 'y' }],
      ['dns.testStatus', { queueId: 5 }],
    ];
    for (const [channel, input] of bad) {
      const answer = await dispatch(channel, ownPage, input);
      expect(answer, `${channel} ${JSON.stringify(input)}`).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    }
    expect(engine.settings.all()).toEqual(before);
    expect(engine.db.prepare('SELECT count(*) FROM domain_setup').pluck().get()).toBe(0);
  });

  it('hands the window the DKIM record, never the private key', async () => {
    const dispatch = realDispatcher();
    const answer = await dispatch('dns.generateKey', ownPage, { domain: 'example.com' });
    expect(answer).toMatchObject({
      ok: true,
      data: { algorithm: 'rsa-2048', value: expect.stringMatching(/^v=DKIM1; k=rsa; p=/) },
    });
    if (!answer.ok) return;
    const { selector } = answer.data as { selector: string };
    const pem = (await engine.secrets.get(`dkim/example.com/${selector}`)) as string;
    const body = pem.split('\n').slice(1, -2).join('');
    expect(body.length).toBeGreaterThan(1000);
    const all = JSON.stringify([answer, await dispatch('domains.list', ownPage, undefined)]);
    for (let i = 0; i + 40 <= body.length; i += 40) expect(all).not.toContain(body.slice(i, i + 40));
    await engine.dkim.remove('example.com', selector);
  });

  it('refuses settings the window may not change, with a sentence, and writes nothing', async () => {
    const dispatch = realDispatcher();
    const answer = await dispatch('settings.update', ownPage, {
      values: { 'delivery.paused': true, 'relay.allowRemote': true },
    });
    expect(answer).toMatchObject({ ok: false, error: { code: 'INVALID_SETTING' } });
    if (!answer.ok) expect(answer.error.message).toContain('relay.allowRemote cannot be changed from the window');
    expect(engine.settings.get('delivery.paused')).toBe(false);
    const invalid = await dispatch('settings.update', ownPage, {
      values: { 'smarthost.host': 'smtp.example.com', 'smarthost.security': 'none' },
    });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_SETTING' } });
    expect(engine.settings.get('smarthost.host')).toBe('');
  });

  it('never sends the saved provider password to another server', async () => {
    const dispatch = realDispatcher();
    const saved = {
      'smarthost.host': '127.0.0.1',
      'smarthost.port': 2600,
      'smarthost.security': 'none',
      'smarthost.username': 'me',
    };
    expect((await dispatch('settings.update', ownPage, { values: saved })).ok).toBe(true);
    await engine.secrets.set('smarthost.password', 'old-provider-key');
    // Test connection to another server without typing a password: the saved one is not offered.
    const test = await dispatch('route.test', ownPage, {
      host: '127.0.0.2',
      port: 2600,
      security: 'none',
      username: 'me',
    });
    expect(test).toMatchObject({ ok: true, data: { ok: false, stage: 'auth' } });
    if (test.ok) expect((test.data as { message: string }).message).toContain('Type the password');
    // Saving another server forgets the old key; the page then asks for the new one.
    await dispatch('settings.update', ownPage, { values: { 'smarthost.host': '127.0.0.2' } });
    expect(await engine.secrets.get('smarthost.password')).toBeNull();
    expect(await dispatch('route.get', ownPage, undefined)).toMatchObject({
      ok: true,
      data: { passwordConfigured: false },
    });
    await dispatch('settings.update', ownPage, {
      values: {
        'smarthost.host': '',
        'smarthost.port': 587,
        'smarthost.security': 'starttls',
        'smarthost.username': '',
      },
    });
  });

  it('never answers with a secret: passwords go to the desktop (clipboard, native window), not the page', async () => {
    const ctx = realContext();
    const dispatch = createIpcDispatcher(createHandlers(ctx), isTrusted);
    await engine.secrets.set('relay.password', 'relay-secret-ZX81');
    await engine.secrets.set('smarthost.password', 'provider-secret-C64');
    const answers: unknown[] = [];
    for (const channel of IPC_CHANNELS) {
      if (channel === 'relay.rotatePassword' || channel === 'log.export') continue;
      answers.push(await dispatch(channel, ownPage, undefined));
    }
    answers.push(await dispatch('route.setPassword', ownPage, { password: 'provider-secret-C64' }));
    const text = JSON.stringify(answers);
    expect(text).not.toContain('relay-secret-ZX81');
    expect(text).not.toContain('provider-secret-C64');
    expect(text).toContain('"passwordConfigured":true');
    expect(ctx.desktop.copied).toEqual(['relay-secret-ZX81']);
    expect(ctx.desktop.shown.map((s) => s.secret)).toEqual(['relay-secret-ZX81']);
    const rotated = await dispatch('relay.rotatePassword', ownPage, undefined);
    expect(rotated.ok).toBe(true);
    const fresh = await engine.secrets.get('relay.password');
    expect(fresh).not.toBe('relay-secret-ZX81');
    expect(JSON.stringify(rotated)).not.toContain(fresh as string);
  });

  it('refuses a foreign sender before looking at the channel or the input', async () => {
    const { handlers, status } = spyHandlers();
    const dispatch = createIpcDispatcher(handlers, isTrusted);
    const foreign = [
      'https://evil.example/',
      'http://127.0.0.1:5173/',
      pathToFileURL(path.join(os.tmpdir(), 'other.html')).href,
      pathToFileURL(`${rendererFile}.html`).href,
      'about:blank',
      'data:text/html,<script>1</script>',
      'not a url',
      '',
    ];
    for (const url of foreign) {
      expect(await dispatch('relay.status', url, undefined)).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN_SENDER' },
      });
      expect(await dispatch('nope', url, { junk: 1 })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN_SENDER' },
      });
    }
    expect(status).not.toHaveBeenCalled();
  });

  it('turns handler errors into envelopes and never rejects', async () => {
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const failing = spyHandlers({
      'relay.status': () => {
        throw new MailroomError('DATABASE', 'The database is locked; close the other program and try again.');
      },
      'app.info': async () => {
        throw new Error('boom');
      },
    });
    const dispatch = createIpcDispatcher(failing.handlers, isTrusted, { log });
    expect(await dispatch('relay.status', ownPage, undefined)).toEqual({
      ok: false,
      error: { code: 'DATABASE', message: 'The database is locked; close the other program and try again.' },
    });
    expect(await dispatch('app.info', ownPage, undefined)).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'boom' },
    });
    expect(log.error).toHaveBeenCalledTimes(1);
  });

  it('checks answers against the contract: extra keys are stripped, a malformed answer is INTERNAL', async () => {
    const leaky = spyHandlers({
      'relay.status': () => ({ ...engine.status(), relayPassword: 'hunter2' }) as never,
      'app.info': () => ({ version: 1 }) as never,
    });
    const dispatch = createIpcDispatcher(leaky.handlers, isTrusted, { log: silentLogger });
    const status = await dispatch('relay.status', ownPage, undefined);
    expect(status.ok).toBe(true);
    expect(JSON.stringify(status)).not.toContain('hunter2');
    expect(await dispatch('app.info', ownPage, undefined)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });
});

describe('sender check', () => {
  it('trusts exactly our page file (any route) or exactly the dev server origin', () => {
    expect(isTrusted(pathToFileURL(rendererFile).href)).toBe(true);
    expect(isTrusted(`${pathToFileURL(rendererFile).href}?x=1#/logs`)).toBe(true);
    expect(isTrusted(pathToFileURL(path.join(path.dirname(rendererFile), 'other.html')).href)).toBe(false);
    const dev = createSenderCheck({ origin: 'http://localhost:5173' });
    expect(dev('http://localhost:5173/')).toBe(true);
    expect(dev('http://localhost:5173/#/x')).toBe(true);
    expect(dev('http://localhost:5174/')).toBe(false);
    expect(dev('http://localhost:5173.evil.example/')).toBe(false);
    expect(dev('https://localhost:5173/')).toBe(false);
    expect(dev(pathToFileURL(rendererFile).href)).toBe(false);
  });
});

describe('ipcMain binding', () => {
  type Listener = (event: unknown, input: unknown) => unknown;

  function fakeIpcMain() {
    const handlers = new Map<string, Listener>();
    return {
      handlers,
      handle: (channel: string, listener: Listener) => void handlers.set(channel, listener),
      removeHandler: (channel: string) => void handlers.delete(channel),
    };
  }

  it('registers every contract channel and refuses other windows and subframes', async () => {
    const ipcMain = fakeIpcMain();
    const dispatch = vi.fn(async () => ({ ok: true as const, data: 'dispatched' }));
    const ownContents = { id: 1 };
    const unbind = bindIpcMain(ipcMain as never, dispatch, (sender) => sender === (ownContents as never));
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...IPC_CHANNELS].sort());

    const listener = ipcMain.handlers.get('relay.status')!;
    const mainFrame = { url: ownPage, parent: null };
    const subFrame = { url: ownPage, parent: mainFrame };
    const refused = { ok: false, error: { code: 'FORBIDDEN_SENDER' } };
    expect(await listener({ sender: { id: 2 }, senderFrame: mainFrame }, undefined)).toMatchObject(refused);
    expect(await listener({ sender: ownContents, senderFrame: subFrame }, undefined)).toMatchObject(refused);
    expect(await listener({ sender: ownContents, senderFrame: null }, undefined)).toMatchObject(refused);
    expect(dispatch).not.toHaveBeenCalled();

    expect(await listener({ sender: ownContents, senderFrame: mainFrame }, { a: 1 })).toEqual({
      ok: true,
      data: 'dispatched',
    });
    expect(dispatch).toHaveBeenCalledWith('relay.status', ownPage, { a: 1 });

    unbind();
    expect(ipcMain.handlers.size).toBe(0);
  });
});

describe('emit', () => {
  it('skips a destroyed window and sends only contract fields', () => {
    const send = vi.fn();
    expect(emit({ isDestroyed: () => true, send }, 'engine.state', { state: 'running', error: null })).toBe(false);
    expect(emit(null, 'engine.state', { state: 'running', error: null })).toBe(false);
    expect(send).not.toHaveBeenCalled();
    const payload = { state: 'failed' as const, error: { code: 'RELAY_START', message: 'port taken' }, secret: 'x' };
    expect(emit({ isDestroyed: () => false, send }, 'engine.state', payload)).toBe(true);
    expect(send).toHaveBeenCalledWith('engine.state', {
      state: 'failed',
      error: { code: 'RELAY_START', message: 'port taken' },
    });
  });
});
