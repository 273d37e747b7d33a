import fs from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { describeError } from '../shared/errors.ts';
import type { EngineState } from '../shared/ipc/contract.ts';
import { Engine } from './engine/engine.ts';
import { resolveDataDir } from './engine/paths.ts';
import { emit } from './ipc/emit.ts';
import { createHandlers } from './ipc/handlers/index.ts';
import { bindIpcMain, createIpcDispatcher } from './ipc/register.ts';
import { createSenderCheck } from './ipc/trusted-sender.ts';
import { parseSecretStoreKind } from './secrets/secret-store.ts';
import { createMainWindow, denyAllPermissions } from './window.ts';

// Electron lifecycle only: one instance, one locked-down window, the engine started
// and stopped with the app. Everything else lives in the engine and the IPC layer.

const here = import.meta.dirname;
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
  denyAllPermissions(session.defaultSession);

  let engine: Engine;
  try {
    // MAILROOM_SECRET_STORE is the same switch the `mailroom` command honours (keychain by default).
    engine = new Engine({ dataDir, secretStore: parseSecretStoreKind(process.env.MAILROOM_SECRET_STORE) });
  } catch (err) {
    dialog.showErrorBox('Mailroom could not start', describeError(err).message);
    app.exit(1);
    return;
  }

  let win: BrowserWindow | null = null;
  let engineState: EngineState = { state: 'starting', error: null };
  const setEngineState = (next: EngineState) => {
    engineState = next;
    emit(win?.webContents, 'engine.state', next);
  };

  // Under `electron-vite dev` the page comes from the dev server; otherwise from out/renderer.
  const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
  const rendererFile = path.join(here, '../renderer/index.html');
  const dispatch = createIpcDispatcher(
    createHandlers({ engine, appVersion: app.getVersion(), engineState: () => engineState }),
    createSenderCheck(devUrl ? { origin: devUrl } : { file: rendererFile }),
    { log: engine.log },
  );
  bindIpcMain(ipcMain, dispatch, (sender) => win !== null && !win.isDestroyed() && sender === win.webContents);

  const openWindow = () => {
    const icon = path.join(here, '../../resources/icon.png');
    win = createMainWindow(
      { BrowserWindow, shell },
      {
        preload: path.join(here, '../preload/index.cjs'),
        page: devUrl ? { url: devUrl } : { file: rendererFile },
        ...(fs.existsSync(icon) ? { icon } : {}),
      },
    );
    win.on('closed', () => {
      win = null;
    });
    return win;
  };
  openWindow();

  app.on('second-instance', () => {
    const current = win ?? openWindow();
    if (current.isMinimized()) current.restore();
    current.focus();
  });
  app.on('activate', () => {
    if (!win) openWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  stopEngineOnQuit(engine, () => setEngineState({ state: 'stopped', error: null }));

  try {
    await engine.start('app');
    setEngineState({ state: 'running', error: null });
  } catch (err) {
    const error = describeError(err);
    engine.log.error('the relay did not start', { code: error.code, error: error.message });
    setEngineState({ state: 'failed', error });
    const options = {
      type: 'error' as const,
      title: 'Mailroom',
      message: 'The relay did not start',
      detail: error.message,
    };
    void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
  }
}

/** Quitting waits for the relay to finish open transactions and release the data folder. */
function stopEngineOnQuit(engine: Engine, onStopped: () => void): void {
  let phase: 'running' | 'stopping' | 'stopped' = 'running';
  app.on('will-quit', (event) => {
    if (phase === 'stopped') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    engine
      .close(5000)
      .catch((err) => engine.log.error('the engine did not stop cleanly', { error: describeError(err).message }))
      .finally(() => {
        phase = 'stopped';
        onStopped();
        app.quit();
      });
  });
  // A terminal Ctrl+C or a service manager's SIGTERM takes the same orderly path.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
}
