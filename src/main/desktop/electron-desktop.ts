import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { App, BrowserWindow, Dialog, MessageBoxOptions, OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { Logger } from '../engine/log.ts';
import type { Desktop } from './desktop.ts';
import { isLoginItemEnabled, setLoginItem } from './login-item.ts';

// The Desktop the IPC handlers use, built on Electron's clipboard, dialogs and login
// items. Electron arrives as arguments (types only are imported), so this module
// loads under plain Node and the tests drive it with fakes.

/** Given to Mailroom when it starts at login: it opens in the tray, without the window. */
export const START_HIDDEN_ARG = '--hidden';

export interface ElectronDesktopDeps {
  /** Electron's clipboard (asynchronous reads and writes since Electron 45; plain values work too). */
  clipboard: {
    writeText(text: string): Promise<void> | void;
    readText(): Promise<string> | string;
    clear(): void;
  };
  dialog: Pick<Dialog, 'showMessageBox' | 'showSaveDialog' | 'showOpenDialog'>;
  app: Pick<App, 'getPath' | 'getAppPath' | 'isPackaged' | 'getLoginItemSettings' | 'setLoginItemSettings'>;
  /** The Mailroom window, when there is one. */
  getWindow: () => BrowserWindow | null;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  execPath?: string;
  log?: Logger;
}

export interface ElectronDesktop extends Desktop {
  /** At quit: takes a copied secret off the clipboard now instead of when its timer ends. */
  dispose(): Promise<void>;
}

export function createElectronDesktop(deps: ElectronDesktopDeps): ElectronDesktop {
  const platform = deps.platform ?? process.platform;
  const env = deps.env ?? process.env;
  const execPath = deps.execPath ?? process.execPath;
  // Only a digest of the copied secret is kept, to recognise it on the clipboard later.
  let copied: { digest: string; timer: ReturnType<typeof setTimeout> } | null = null;

  const clearIfStillOurs = async () => {
    if (!copied) return;
    clearTimeout(copied.timer);
    const { digest } = copied;
    copied = null;
    try {
      // Something the user copied since then is theirs: leave it alone.
      if (digestOf(await deps.clipboard.readText()) === digest) deps.clipboard.clear();
    } catch (err) {
      deps.log?.warn('the clipboard could not be cleared', { error: errorText(err) });
    }
  };

  /** A dialog is attached to the window only while it is on screen (a sheet on a hidden window is never seen). */
  const visibleWindow = () => {
    const win = deps.getWindow();
    return win && !win.isDestroyed() && win.isVisible() ? win : null;
  };

  /** The command a login starts: this executable, the app folder when running unpackaged, and the tray-only flag. */
  const loginCommand = () => [
    ...(platform === 'linux' && env.APPIMAGE ? [env.APPIMAGE] : [execPath]),
    ...(deps.app.isPackaged ? [] : [deps.app.getAppPath()]),
    START_HIDDEN_ARG,
  ];

  // Windows joins the arguments into one command line as given: a path with spaces needs its quotes.
  const windowsArgs = () =>
    loginCommand()
      .slice(1)
      .map((a) => (/\s/.test(a) ? `"${a}"` : a));

  return {
    copySecret(text, clearAfterMs) {
      if (copied) clearTimeout(copied.timer);
      const failed = (err: unknown) => deps.log?.warn('the clipboard could not be written', { error: errorText(err) });
      try {
        void Promise.resolve(deps.clipboard.writeText(text)).catch(failed);
      } catch (err) {
        failed(err);
      }
      // The clock starts now: the secret never stays longer than promised, even if the write is slow.
      const timer = setTimeout(() => void clearIfStillOurs(), clearAfterMs);
      timer.unref?.();
      copied = { digest: digestOf(text), timer };
    },

    async showSecret(title, label, secret) {
      const options: MessageBoxOptions = {
        type: 'info',
        title,
        message: label,
        detail: `${secret}\n\nShown only in this box: Mailroom never puts it in its window.`,
        buttons: ['Close'],
        defaultId: 0,
        noLink: true,
      };
      const win = visibleWindow();
      await (win ? deps.dialog.showMessageBox(win, options) : deps.dialog.showMessageBox(options));
    },

    async chooseSavePath(defaultName, filter) {
      const options: SaveDialogOptions = {
        defaultPath: path.join(userFolder(deps.app), path.basename(defaultName)),
        filters: [filter],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const win = visibleWindow();
      const result = await (win ? deps.dialog.showSaveDialog(win, options) : deps.dialog.showSaveDialog(options));
      if (result.canceled || !result.filePath) return null;
      return withExtension(result.filePath, filter.extensions);
    },

    async chooseOpenPath(filters) {
      const options: OpenDialogOptions = {
        defaultPath: userFolder(deps.app),
        filters: [...filters, { name: 'All files', extensions: ['*'] }],
        properties: ['openFile'],
      };
      const win = visibleWindow();
      const result = await (win ? deps.dialog.showOpenDialog(win, options) : deps.dialog.showOpenDialog(options));
      if (result.canceled || result.filePaths.length === 0) return null;
      return result.filePaths[0] ?? null;
    },

    getStartAtLogin() {
      if (platform === 'darwin') return deps.app.getLoginItemSettings().openAtLogin;
      if (platform === 'win32')
        return deps.app.getLoginItemSettings({ path: execPath, args: windowsArgs() }).openAtLogin;
      return isLoginItemEnabled({ command: loginCommand(), env });
    },

    setStartAtLogin(enabled) {
      if (platform === 'darwin') {
        deps.app.setLoginItemSettings({ openAtLogin: enabled });
      } else if (platform === 'win32') {
        deps.app.setLoginItemSettings({ openAtLogin: enabled, path: execPath, args: windowsArgs() });
      } else {
        setLoginItem(enabled, { command: loginCommand(), env });
      }
    },

    dispose: clearIfStillOurs,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Documents, else Downloads, else home: some Linux sessions define no XDG user folders. */
function userFolder(app: Pick<App, 'getPath'>): string {
  for (const name of ['documents', 'downloads', 'home'] as const) {
    try {
      const dir = app.getPath(name);
      if (dir) return dir;
    } catch {
      // Electron throws for a folder it cannot determine; try the next one.
    }
  }
  return '';
}

/**
 * GTK's save dialog does not add the filter's extension when the user typed a bare
 * name. Its overwrite question was about the bare name, so when the name with the
 * extension already exists it gets a number rather than replacing a file unasked.
 */
function withExtension(file: string, extensions: string[], exists = fs.existsSync): string {
  const ext = path.extname(file).slice(1).toLowerCase();
  const wanted = extensions.filter((e) => e !== '*');
  if (wanted.length === 0 || wanted.some((e) => e.toLowerCase() === ext)) return file;
  let candidate = `${file}.${wanted[0]}`;
  for (let n = 2; exists(candidate) && n < 1000; n++) candidate = `${file} (${n}).${wanted[0]}`;
  return candidate;
}
