import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { WEB_PREFERENCES } from '../../src/main/window.ts';

// The Electron runtime cannot be downloaded here, so the built main process runs
// under plain Node with a recording stand-in for `electron` (fixtures/). This checks
// what only the bundle can show: its imports resolve as ES modules, it opens the
// window with the locked-down preferences and the built preload, binds IPC to that
// window, starts the engine on MAILROOM_DATA_DIR, reports a start failure in a
// dialog, and releases the data folder on quit.

const mainBundle = path.resolve('out/main/index.js');
const runner = path.resolve('test/e2e/fixtures/run-main.mjs');
const built = fs.existsSync(mainBundle);
if (!built) console.warn('skipped: out/main does not exist; run `npx electron-vite build` first (npm test does)');

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function dataFolder(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-main-'));
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  engine.settings.set('relay.port', 0);
  engine.domains.add('example.com');
  await engine.close();
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function runMain(dataDir: string) {
  const { stdout } = await promisify(execFile)(process.execPath, [runner, mainBundle], {
    env: { ...process.env, MAILROOM_DATA_DIR: dataDir, MAILROOM_SECRET_STORE: 'file', ELECTRON_RENDERER_URL: '' },
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe.skipIf(!built)('built main process (with a stand-in for electron)', () => {
  it('opens a locked-down window, serves IPC to it only, runs the relay and stops it on quit', async () => {
    const dir = await dataFolder();
    const r = await runMain(dir);

    expect(r.paths.userData).toBe(dir);
    expect(r.sandboxEnabled).toBe(true);
    expect(r.windowOptions.webPreferences).toEqual({
      ...WEB_PREFERENCES,
      preload: path.resolve('out/preload/index.cjs'),
    });
    expect(r.preloadExists).toBe(true);
    expect(r.loaded).toBe(path.resolve('out/renderer/index.html'));
    expect(r.lockDown).toEqual(expect.arrayContaining(['will-navigate', 'will-redirect', 'will-attach-webview']));
    expect(r.channels.sort()).toEqual(['app.info', 'relay.status']);
    expect(r.events).toEqual([['engine.state', { state: 'running', error: null }]]);

    expect(r.status.ok).toBe(true);
    expect(r.status.data.relay.running).toBe(true);
    expect(r.status.data.relay.host).toBe('127.0.0.1');
    expect(r.status.data.sendingDomains).toEqual(['example.com']);
    expect(r.info).toEqual({
      ok: true,
      data: { version: '0.1.0-fake', dataDir: dir, engine: { state: 'running', error: null } },
    });
    expect(r.badInput).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(r.foreignWindow).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(r.foreignPage).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(r.permissionCheck).toBe(false);
    expect(r.permissionRequest).toBe(false);
    expect(r.dialogs).toEqual([]);

    expect(r.lockInfoWhileRunning).toBe(true);
    expect(r.lockInfoAfterQuit).toBe(false);
    expect(r.quitRequests).toBe(2);
    expect(r.lastEvent).toEqual(['engine.state', { state: 'stopped', error: null }]);
  });

  it('shows the human reason in a dialog when `mailroom serve` already runs on the folder', async () => {
    const dir = await dataFolder();
    const serve = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
    await serve.start('serve');
    cleanup.push(() => serve.close(2000));

    const r = await runMain(dir);
    expect(r.dialogs).toHaveLength(1);
    expect(r.dialogs[0].message).toBe('The relay did not start');
    expect(r.dialogs[0].detail).toContain('"mailroom serve"');
    expect(r.dialogs[0].detail).toContain('Only one may run per data folder');
    expect(r.events).toEqual([
      ['engine.state', { state: 'failed', error: expect.objectContaining({ code: 'ENGINE_RUNNING' }) }],
    ]);
    expect(r.info.data.engine.state).toBe('failed');
    // The window still shows the status, now of the relay the other process runs.
    expect(r.status.data.relay).toMatchObject({ running: true, runningPid: process.pid });
    // Quitting the app leaves the other process's lock alone.
    expect(r.lockInfoAfterQuit).toBe(true);
  });
});
