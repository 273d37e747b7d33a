import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { WEB_PREFERENCES } from '../../src/main/window.ts';
import { IPC_CHANNELS } from '../../src/shared/ipc/channels.ts';
import { hasIpv6Loopback } from '../helpers/ipv6.ts';

// The Electron runtime cannot be downloaded here, so the built main process runs
// under plain Node with a recording stand-in for `electron` (fixtures/). This checks
// what only the bundle can show: its imports resolve as ES modules, it opens the
// window with the locked-down preferences and the built preload, binds IPC to that
// window, starts the engine on MAILROOM_DATA_DIR, shows the relay in a tray menu whose
// Pause sending writes the data folder's database, keeps running in the tray when the
// window closes (explaining that once), reports a start failure in a dialog and the
// tray, and releases the data folder on quit.

const mainBundle = path.resolve('out/main/index.js');
const runner = path.resolve('test/e2e/fixtures/run-main.mjs');
const built = fs.existsSync(mainBundle);
if (!built) console.warn('skipped: out/main does not exist; run `npx electron-vite build` first (npm test does)');

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function dataFolder(): Promise<string> {
  const dir = tempDir('mailroom-main-');
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  engine.settings.set('relay.port', 0);
  engine.domains.add('example.com');
  await engine.close();
  return dir;
}

function storedSettings(dir: string) {
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  try {
    return engine.settings.all();
  } finally {
    engine.db.close();
  }
}

async function runMain(
  dataDir: string,
  scenario: 'full' | 'no-tray' | 'refused' = 'full',
  env: Record<string, string> = {},
) {
  const { stdout } = await promisify(execFile)(process.execPath, [runner, mainBundle, scenario], {
    env: {
      ...process.env,
      MAILROOM_DATA_DIR: dataDir,
      MAILROOM_SECRET_STORE: 'file',
      ELECTRON_RENDERER_URL: '',
      // Start at login writes an autostart entry on Linux: never into the real ~/.config.
      XDG_CONFIG_HOME: tempDir('mailroom-xdg-'),
      ...env,
    },
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

const MAIL_HOST = hasIpv6Loopback ? 'localhost' : '127.0.0.1';
const statusLine = (r: { items: { id: string; label: string }[] }) => r.items.find((i) => i.id === 'status')?.label;
const itemLabels = (r: { items: { type?: string; label?: string }[] }) =>
  r.items.map((i) => (i.type === 'separator' ? '---' : i.label));

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
    expect([...r.channels].sort()).toEqual([...IPC_CHANNELS].sort());
    expect(r.events.filter(([name]: [string]) => name === 'engine.state')).toEqual([
      ['engine.state', { state: 'running', error: null }],
    ]);
    // The window got the dashboard pushed, with the running relay in it.
    const pushed = r.events.filter(([name]: [string]) => name === 'dashboard.changed');
    expect(pushed.length).toBeGreaterThan(0);
    expect(pushed.at(-1)[1].status.relay.running).toBe(true);

    expect(r.status.ok).toBe(true);
    expect(r.status.data.relay.running).toBe(true);
    // The server for mail programs: "localhost" where the relay answers on ::1 too.
    expect(r.status.data.relay.host).toBe(MAIL_HOST);
    expect(r.status.data.sendingDomains).toEqual(['example.com']);
    expect(r.info).toEqual({
      ok: true,
      data: { version: '0.1.0-fake', dataDir: dir, engine: { state: 'running', error: null }, startAtLogin: false },
    });
    expect(r.badInput).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(r.foreignWindow).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(r.foreignPage).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(r.permissionCheck).toEqual({ read: false, media: false, write: true });
    expect(r.permissionRequest).toBe(false);
    expect(r.dialogs).toEqual([]);
    expect(r.visibleOnceReady).toBe(true);

    expect(r.lockInfoWhileRunning).toBe(true);
    expect(r.lockInfoAfterQuit).toBe(false);
    // Tray Quit, then the quit that follows the orderly engine stop.
    expect(r.quitRequests).toBe(2);
    expect(r.windowDestroyedAtQuit).toBe(true);
    expect(r.trayDestroyedAtQuit).toBe(true);
    // Quitting closed the window first, as Electron does: the stop is not sent to a closed window.
    expect(r.lastEvent[0]).not.toBe('engine.state');
  });

  it('shows the relay in the tray; Pause sending and Resume sending write delivery.paused in the data folder', async () => {
    const dir = await dataFolder();
    const r = await runMain(dir);

    expect(r.trays).toBe(1);
    const port = r.status.data.relay.port;
    expect(r.trayAtStart.tooltip).toBe(`Relay running on ${MAIL_HOST}:${port}`);
    expect(r.trayAtStart.image).toBe('tray.png');
    expect(itemLabels(r.trayAtStart)).toEqual([
      `Relay running on ${MAIL_HOST}:${port}`,
      '---',
      'Open Mailroom',
      'Pause sending',
      '---',
      'Quit Mailroom',
    ]);
    expect(r.trayAtStart.items[0].enabled).toBe(false);

    expect(r.afterPause.stored).toBe(true);
    expect(itemLabels(r.afterPause.tray)).toContain('Resume sending');
    expect(itemLabels(r.afterPause.tray)).toContain('Sending paused');
    expect(r.afterPause.tray.tooltip).toBe(`Relay running on ${MAIL_HOST}:${port}\nSending paused`);
    expect(r.afterPause.tray.image).toBe('tray-attention.png');
    // The window heard about it at once, not at the next poll.
    expect(r.afterPause.dashboardPushed).toBe(true);
    expect(r.afterPause.lastDashboardWarnings).toContain('sending-paused');

    expect(r.afterResume.stored).toBe(false);
    expect(itemLabels(r.afterResume.tray)).toContain('Pause sending');
    expect(r.afterResume.tray.image).toBe('tray.png');
    expect(storedSettings(dir)['delivery.paused']).toBe(false);
  });

  it('closing the window hides it into the tray, keeps the relay running, and explains that once', async () => {
    const dir = await dataFolder();
    const r = await runMain(dir);

    const first = r.afterFirstClose;
    expect(first).toMatchObject({ visible: false, destroyed: false, quit: false, quitRequested: 0, lockHeld: true });
    expect(first.status.data.relay.running).toBe(true);
    expect(first.newDialogs).toEqual([
      expect.objectContaining({
        type: 'info',
        message: 'Mailroom is still running in the tray, so Outlook and your other mail programs can keep sending.',
        detail: 'To stop it completely, choose Quit Mailroom from the tray icon.',
        // Not attached to the window that just went away.
        modal: false,
      }),
    ]);
    expect(first.noticeFlag).toBe(true);

    // "Open Mailroom" brings the same window back.
    expect(r.afterOpen).toEqual({ visible: true, windows: 1 });
    // Closing again: hidden again, no second notice; a click on the icon shows it.
    expect(r.afterSecondClose).toEqual({ newDialogs: 1, visibleAfterTrayClick: true, hideCount: 2, windows: 1 });

    // Quit from the tray closes for real and releases the data folder.
    expect(r.windowDestroyedAtQuit).toBe(true);
    expect(r.lockInfoAfterQuit).toBe(false);
    expect(storedSettings(dir)['app.trayNoticeShown']).toBe(true);

    // The next run remembers: closing hides without a notice.
    const again = await runMain(dir);
    expect(again.afterFirstClose.visible).toBe(false);
    expect(again.afterFirstClose.newDialogs).toEqual([]);
  });

  it('turns start at login on and off through IPC (an XDG autostart entry on Linux)', async () => {
    const dir = await dataFolder();
    const r = await runMain(dir);

    expect(r.startAtLogin.on).toMatchObject({ ok: true, data: { startAtLogin: true } });
    expect(r.startAtLogin.off).toMatchObject({ ok: true, data: { startAtLogin: false } });
    if (process.platform === 'linux') {
      // The running executable (the fake's is node), the app folder when unpackaged, and the tray-only flag.
      expect(r.startAtLogin.fileWhenOn).toContain(`\nExec=${process.execPath} ${process.cwd()} --hidden\n`);
      expect(r.startAtLogin.fileWhenOn).toContain('\nX-GNOME-Autostart-enabled=true\n');
      expect(r.startAtLogin.fileAfterOff).toBe(false);
    } else {
      expect(r.startAtLogin.fakeLoginItem).toMatchObject({ openAtLogin: true });
    }
  });

  it('without a tray, closing the window quits and stops the engine', async () => {
    const dir = await dataFolder();
    const r = await runMain(dir, 'no-tray', { FAKE_ELECTRON_NO_TRAY: '1' });

    expect(r.trays).toBe(0);
    expect(r.lockInfoWhileRunning).toBe(true);
    expect(r.windowDestroyedAtQuit).toBe(true);
    expect(r.lockInfoAfterQuit).toBe(false);
    expect(r.allDialogs).toEqual([]);
    expect(storedSettings(dir)['app.trayNoticeShown']).toBe(false);
  });

  it('refuses a data folder whose database was emptied: says what happened and how to restore, and changes nothing', async () => {
    const dir = await dataFolder();
    fs.truncateSync(path.join(dir, 'mailroom.db'), 0);
    const r = await runMain(dir, 'refused');
    expect(r.exitCode).toBe(1);
    expect(r.windows).toBe(0);
    expect(r.dialogs).toHaveLength(1);
    expect(r.dialogs[0].title).toBe('Mailroom could not start');
    expect(r.dialogs[0].detail).toMatch(
      /mailroom\.db" is empty \(0 bytes\), but this folder was used by Mailroom before/,
    );
    expect(r.dialogs[0].detail).toMatch(/mailroom restore BACKUP-FILE --data-dir/);
    expect(fs.statSync(path.join(dir, 'mailroom.db')).size).toBe(0);
  });

  it('refuses to run a second engine while `mailroom serve` holds the folder, and says why in a dialog and the tray', async () => {
    const dir = await dataFolder();
    const serve = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
    await serve.start('serve');
    cleanup.push(() => serve.close(2000));

    const r = await runMain(dir);
    expect(r.dialogs).toHaveLength(1);
    expect(r.dialogs[0].message).toBe('The relay did not start');
    expect(r.dialogs[0].detail).toContain('"mailroom serve"');
    expect(r.dialogs[0].detail).toContain('Only one may run per data folder');
    expect(r.events.filter(([name]: [string]) => name === 'engine.state')).toEqual([
      ['engine.state', { state: 'failed', error: expect.objectContaining({ code: 'ENGINE_RUNNING' }) }],
    ]);
    expect(r.info.data.engine.state).toBe('failed');
    // The window still opens and shows the status, now of the relay the other process runs.
    expect(r.visibleOnceReady).toBe(true);
    expect(r.status.data.relay).toMatchObject({ running: true, runningPid: process.pid });
    // The tray says the app's relay is not running, and why.
    expect(statusLine(r.trayAtStart)).toMatch(/^Relay not running: "mailroom serve" is already running the engine on /);
    expect(r.trayAtStart.tooltip).toMatch(/^Relay not running: "mailroom serve"/);
    expect(r.trayAtStart.image).toBe('tray-attention.png');
    // Pausing from the app still reaches the shared data folder.
    expect(r.afterPause.stored).toBe(true);
    // Quitting the app leaves the other process's lock alone.
    expect(r.lockInfoAfterQuit).toBe(true);
    expect(serve.status().relay.running).toBe(true);
  });
});
