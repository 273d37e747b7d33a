import fs from 'node:fs';
import path from 'node:path';
import type { MessageBoxOptions } from 'electron';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, session, shell, Tray } from 'electron';
import type { Dashboard } from '../shared/domain/dashboard.ts';
import { describeError } from '../shared/errors.ts';
import type { IpcEvent } from '../shared/ipc/channels.ts';
import type { EngineState, IpcEventPayload } from '../shared/ipc/contract.ts';
import { createElectronDesktop, START_HIDDEN_ARG } from './desktop/electron-desktop.ts';
import { Engine } from './engine/engine.ts';
import { LiveStatus } from './engine/live-status.ts';
import { resolveDataDir } from './engine/paths.ts';
import { emit } from './ipc/emit.ts';
import { createHandlers } from './ipc/handlers/index.ts';
import { bindIpcMain, createIpcDispatcher } from './ipc/register.ts';
import { createSenderCheck } from './ipc/trusted-sender.ts';
import { parseSecretStoreKind } from './secrets/secret-store.ts';
import { AppTray, closeToTrayNotice, installCloseToTray, onceEver } from './tray.ts';
import { createMainWindow, lockDownPermissions } from './window.ts';

// Electron lifecycle only: one instance, one locked-down window, a tray icon, and the
// engine started and stopped with the app. Closing the window leaves the engine
// relaying in the tray; only Quit (tray, menu, OS) stops it, in order. Everything
// else lives in the engine and the IPC layer.

const here = import.meta.dirname;
const resources = path.join(here, '../../resources');
const dataDir = resolveDataDir(undefined);

// Chromium's profile sits in the engine's data folder (where a "Mailroom" app's
// userData would be anyway), so the single-instance lock below is per data folder,
// just like the engine lock.
app.setPath('userData', dataDir);
app.enableSandbox();

if (app.requestSingleInstanceLock()) {
  main().catch((err) => {
    dialog.showErrorBox('Mailroom could not start', describeError(err).message);
    app.exit(1);
  });
} else {
  // Another window already runs on this data folder; it is told (second-instance) and comes forward.
  app.quit();
}

async function main(): Promise<void> {
  await app.whenReady();
  lockDownPermissions(session.defaultSession);

  let engine: Engine;
  try {
    // MAILROOM_SECRET_STORE is the same switch the `mailroom` command honours (keychain by default).
    engine = new Engine({ dataDir, secretStore: parseSecretStoreKind(process.env.MAILROOM_SECRET_STORE) });
  } catch (err) {
    dialog.showErrorBox('Mailroom could not start', describeError(err).message);
    app.exit(1);
    return;
  }
  const log = engine.log;

  let win: BrowserWindow | null = null;
  /** Set once the app is on its way out: the window may then really close. */
  let quitting = false;
  app.on('before-quit', () => {
    quitting = true;
  });

  let engineState: EngineState = { state: 'starting', error: null };
  const live = new LiveStatus(engine, () => engineState);
  const emitToWindow = <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => {
    emit(win?.webContents, event, payload);
  };
  const refresh = () => {
    try {
      live.check(true);
    } catch (err) {
      log.error('the status could not be read', { error: describeError(err).message });
    }
  };
  const setEngineState = (next: EngineState) => {
    engineState = next;
    emitToWindow('engine.state', next);
    // Once stopped, the database is closed: there is nothing left to read.
    if (next.state !== 'stopped') refresh();
  };

  const desktop = createElectronDesktop({ clipboard, dialog, app, getWindow: () => win, log });

  // Under `electron-vite dev` the page comes from the dev server; otherwise from out/renderer.
  const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
  const rendererFile = path.join(here, '../renderer/index.html');
  const dispatch = createIpcDispatcher(
    createHandlers({
      engine,
      appVersion: app.getVersion(),
      engineState: () => engineState,
      desktop,
      live,
      emit: emitToWindow,
      // After a failed start (say the port was taken), the Local relay page starts it on a new port.
      startEngine: async () => {
        await engine.start('app');
        setEngineState({ state: 'running', error: null });
      },
    }),
    createSenderCheck(devUrl ? { origin: devUrl } : { file: rendererFile }),
    { log },
  );
  bindIpcMain(ipcMain, dispatch, (sender) => win !== null && !win.isDestroyed() && sender === win.webContents);

  const message = (options: MessageBoxOptions, attachTo: BrowserWindow | null = null) =>
    void (attachTo ? dialog.showMessageBox(attachTo, options) : dialog.showMessageBox(options)).catch(() => {});

  const tray = AppTray.create(
    { Tray, Menu, nativeImage },
    {
      icons: trayIcons(process.platform),
      platform: process.platform,
      log,
      actions: {
        open: () => showWindow(),
        setSendingPaused: (paused) => {
          try {
            engine.setSendingPaused(paused);
          } catch (err) {
            const error = describeError(err);
            log.error('sending could not be paused or resumed', { code: error.code, error: error.message });
            message({
              type: 'error',
              title: 'Mailroom',
              message: 'Mailroom could not change sending',
              detail: error.message,
            });
          }
          refresh();
        },
        quit: () => app.quit(),
      },
    },
  );

  live.subscribe((dashboard: Dashboard) => {
    try {
      emitToWindow('dashboard.changed', dashboard);
      tray?.update(dashboard, engineState);
    } catch (err) {
      log.error('the new status could not be shown', { error: describeError(err).message });
    }
  });
  refresh();

  // The first time the window closes into the tray, say so: the user may think Mailroom stopped.
  const notice = closeToTrayNotice(process.platform);
  const explainTrayOnce = onceEver(
    {
      get: () => engine.settings.get('app.trayNoticeShown'),
      set: (v) => engine.settings.set('app.trayNoticeShown', v),
    },
    () => message({ type: 'info', title: 'Mailroom', ...notice, buttons: ['OK'], noLink: true }),
  );

  const openWindow = () => {
    const icon = path.join(resources, 'icon.png');
    const created = createMainWindow(
      { BrowserWindow, shell },
      {
        preload: path.join(here, '../preload/index.cjs'),
        page: devUrl ? { url: devUrl } : { file: rendererFile },
        ...(fs.existsSync(icon) ? { icon } : {}),
      },
    );
    installCloseToTray(created, {
      keepRunning: () => tray !== null && !quitting,
      onHidden: () => {
        try {
          explainTrayOnce();
        } catch (err) {
          log.warn('the tray notice could not be shown', { error: describeError(err).message });
        }
      },
    });
    // Windows ends the session without before-quit: stop the engine in order while it lets us.
    created.on('session-end', () => {
      quitting = true;
      app.quit();
    });
    created.on('closed', () => {
      if (win === created) win = null;
    });
    win = created;
    return created;
  };

  /** Brings the window forward, reopening it if it was closed (a new one shows itself once painted). */
  const showWindow = () => {
    if (!win || win.isDestroyed()) {
      openWindow();
      return;
    }
    if (win.isMinimized()) win.restore();
    if (!win.isVisible()) win.show();
    win.focus();
  };

  // Started at login: stay in the tray until the user asks for the window.
  const startHidden =
    tray !== null &&
    (process.argv.includes(START_HIDDEN_ARG) ||
      (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin));
  if (!startHidden) openWindow();

  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  app.on('window-all-closed', () => {
    // With a tray the engine keeps relaying for Outlook; without one, closing the window quits (but not on macOS).
    if (!tray && process.platform !== 'darwin') app.quit();
  });
  stopEngineOnQuit(engine, {
    beforeStop: async () => {
      live.stop();
      await desktop.dispose();
    },
    afterStop: () => {
      setEngineState({ state: 'stopped', error: null });
      tray?.destroy();
    },
  });

  try {
    await engine.start('app');
    setEngineState({ state: 'running', error: null });
  } catch (err) {
    const error = describeError(err);
    log.error('the relay did not start', { code: error.code, error: error.message });
    // The window stays usable: with `mailroom serve` on the same folder it shows that relay's log and settings.
    setEngineState({ state: 'failed', error });
    message({ type: 'error', title: 'Mailroom', message: 'The relay did not start', detail: error.message }, win);
  }
  // Quit may have been chosen while the relay was starting: then the database is already closing.
  if (!quitting) live.start(1000);
}

function trayIcons(platform: NodeJS.Platform) {
  // Each name has an @2x beside it, which Electron picks on high-density screens.
  return platform === 'darwin'
    ? {
        ok: path.join(resources, 'trayTemplate.png'),
        attention: path.join(resources, 'trayAttentionTemplate.png'),
        template: true,
      }
    : { ok: path.join(resources, 'tray.png'), attention: path.join(resources, 'tray-attention.png'), template: false };
}

/** Quitting waits for the relay to finish open transactions and release the data folder. */
function stopEngineOnQuit(engine: Engine, hooks: { beforeStop: () => Promise<void>; afterStop: () => void }): void {
  let phase: 'running' | 'stopping' | 'stopped' = 'running';
  app.on('will-quit', (event) => {
    if (phase === 'stopped') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    hooks
      .beforeStop()
      .catch((err) => engine.log.warn('could not tidy up before stopping', { error: describeError(err).message }))
      .then(() => engine.close(5000))
      .catch((err) => engine.log.error('the engine did not stop cleanly', { error: describeError(err).message }))
      .finally(() => {
        phase = 'stopped';
        hooks.afterStop();
        app.quit();
      });
  });
  // A terminal Ctrl+C or a service manager's SIGTERM takes the same orderly path.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
}
