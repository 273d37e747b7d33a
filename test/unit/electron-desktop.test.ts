import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createElectronDesktop, type ElectronDesktopDeps } from '../../src/main/desktop/electron-desktop.ts';

// The Desktop on Electron, driven with fakes of its clipboard, dialog and app: the
// secret leaves the clipboard on time unless the user copied something else, dialogs
// attach to the window only when it is on screen, and "start at login" goes to the
// right mechanism per platform.

function fakeClipboard() {
  let text = '';
  return {
    writeText: vi.fn((t: string) => {
      text = t;
    }),
    readText: vi.fn(() => text),
    clear: vi.fn(() => {
      text = '';
    }),
    get text() {
      return text;
    },
  };
}

function setup(over: Partial<ElectronDesktopDeps> & { visible?: boolean; hasWindow?: boolean } = {}) {
  const clipboard = fakeClipboard();
  const window = { isDestroyed: () => false, isVisible: () => over.visible ?? true };
  const dialog = {
    showMessageBox: vi.fn(async (..._args: unknown[]) => ({ response: 0, checkboxChecked: false })),
    showSaveDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: false, filePath: '/home/ann/Documents/x' })),
    showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: false, filePaths: ['/home/ann/list.csv'] })),
  };
  const app = {
    isPackaged: false,
    getPath: vi.fn((name: string) => `/home/ann/${name === 'documents' ? 'Documents' : name}`),
    getAppPath: () => '/src/mailroom',
    getLoginItemSettings: vi.fn(() => ({ openAtLogin: true })),
    setLoginItemSettings: vi.fn(),
  };
  const desktop = createElectronDesktop({
    clipboard,
    dialog: dialog as never,
    app: app as never,
    getWindow: () => (over.hasWindow === false ? null : (window as never)),
    ...over,
  });
  return { desktop, clipboard, dialog, app, window };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('copySecret', () => {
  it('clears the clipboard after the delay when it still holds the secret', async () => {
    vi.useFakeTimers();
    const { desktop, clipboard } = setup();
    desktop.copySecret('s3cret-pw', 30_000);
    expect(clipboard.text).toBe('s3cret-pw');
    await vi.advanceTimersByTimeAsync(29_999);
    expect(clipboard.text).toBe('s3cret-pw');
    await vi.advanceTimersByTimeAsync(1);
    expect(clipboard.text).toBe('');
    expect(clipboard.clear).toHaveBeenCalledOnce();
  });

  it('leaves the clipboard alone when the user copied something else meanwhile', async () => {
    vi.useFakeTimers();
    const { desktop, clipboard } = setup();
    desktop.copySecret('s3cret-pw', 30_000);
    clipboard.writeText('a line from an email');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(clipboard.text).toBe('a line from an email');
    expect(clipboard.clear).not.toHaveBeenCalled();
  });

  it('restarts the delay when copied again, so one timer clears the latest secret once', async () => {
    vi.useFakeTimers();
    const { desktop, clipboard } = setup();
    desktop.copySecret('first', 30_000);
    await vi.advanceTimersByTimeAsync(20_000);
    desktop.copySecret('second', 30_000);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(clipboard.text).toBe('second');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(clipboard.text).toBe('');
    expect(clipboard.clear).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('takes the secret off the clipboard at quit instead of leaving it behind', async () => {
    vi.useFakeTimers();
    const { desktop, clipboard } = setup();
    desktop.copySecret('s3cret-pw', 30_000);
    await desktop.dispose();
    expect(clipboard.text).toBe('');
    expect(vi.getTimerCount()).toBe(0);
    await desktop.dispose(); // twice is harmless
    expect(clipboard.clear).toHaveBeenCalledOnce();
  });
  it('works with the asynchronous clipboard of Electron 45, and a failed write only logs', async () => {
    vi.useFakeTimers();
    let text = '';
    const clipboard = {
      writeText: vi.fn(async (t: string) => {
        text = t;
      }),
      readText: vi.fn(async () => text),
      clear: vi.fn(() => {
        text = '';
      }),
    };
    const warn = vi.fn();
    const desktop = createElectronDesktop({
      clipboard,
      dialog: {} as never,
      app: {} as never,
      getWindow: () => null,
      log: { info() {}, error() {}, warn },
    });
    desktop.copySecret('s3cret-pw', 1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(text).toBe('s3cret-pw');
    await vi.advanceTimersByTimeAsync(1000);
    expect(text).toBe('');

    clipboard.writeText.mockRejectedValueOnce(new Error('clipboard busy'));
    desktop.copySecret('again', 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(warn).toHaveBeenCalledWith('the clipboard could not be written', { error: 'clipboard busy' });
    expect(clipboard.clear).toHaveBeenCalledOnce();
  });
});

describe('dialogs', () => {
  it('shows a secret in a native box on the visible window, with the note that the page never has it', async () => {
    const { desktop, dialog, window } = setup();
    await desktop.showSecret('Relay password', 'Password for Outlook', 'pa55-word');
    const [parent, options] = dialog.showMessageBox.mock.calls[0]!;
    expect(parent).toBe(window);
    expect(options).toMatchObject({ title: 'Relay password', message: 'Password for Outlook' });
    expect((options as { detail: string }).detail).toMatch(/^pa55-word\n\n.*never puts it in its window/);
  });

  it('does not attach to a hidden window (it would never be seen)', async () => {
    const { desktop, dialog } = setup({ visible: false });
    await desktop.showSecret('t', 'l', 's');
    expect(dialog.showMessageBox.mock.calls[0]).toHaveLength(1);
  });

  it('offers to save in Documents and returns the chosen path, with the extension when GTK left it off', async () => {
    const { desktop, dialog, window } = setup();
    const chosen = await desktop.chooseSavePath('../../mailroom-deliveries.csv', { name: 'CSV', extensions: ['csv'] });
    const [parent, options] = dialog.showSaveDialog.mock.calls[0]!;
    expect(parent).toBe(window);
    expect(options).toMatchObject({
      defaultPath: path.join('/home/ann/Documents', 'mailroom-deliveries.csv'),
      filters: [{ name: 'CSV', extensions: ['csv'] }],
    });
    expect(chosen).toBe('/home/ann/Documents/x.csv');
  });

  it('never replaces a file the dialog did not ask about: "report" + .csv existing becomes "report (2).csv"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-save-'));
    try {
      fs.writeFileSync(path.join(dir, 'report.csv'), 'keep me');
      const { desktop, dialog } = setup();
      dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: path.join(dir, 'report') });
      expect(await desktop.chooseSavePath('log.csv', { name: 'CSV', extensions: ['csv'] })).toBe(
        path.join(dir, 'report (2).csv'),
      );
      // A name the user typed with its extension was asked about by the dialog itself: kept as chosen.
      dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: path.join(dir, 'report.csv') });
      expect(await desktop.chooseSavePath('log.csv', { name: 'CSV', extensions: ['csv'] })).toBe(
        path.join(dir, 'report.csv'),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers null when the user cancels, and falls back to Downloads when Documents is unknown', async () => {
    const { desktop, dialog, app } = setup({ hasWindow: false });
    app.getPath.mockImplementation((name: string) => {
      if (name === 'documents') throw new Error('Failed to get documents path');
      return `/home/ann/${name}`;
    });
    dialog.showSaveDialog.mockResolvedValueOnce({ canceled: true, filePath: '' });
    expect(await desktop.chooseSavePath('log.csv', { name: 'CSV', extensions: ['csv'] })).toBeNull();
    expect(dialog.showSaveDialog.mock.calls[0]).toEqual([
      expect.objectContaining({ defaultPath: path.join('/home/ann/downloads', 'log.csv') }),
    ]);
  });
});

describe('open dialog', () => {
  it('asks for one file over the window, offers the filters and all files, and answers null when cancelled', async () => {
    const { desktop, dialog, window } = setup();
    const filters = [{ name: 'Spreadsheets and contact files', extensions: ['csv', 'txt', 'vcf'] }];
    expect(await desktop.chooseOpenPath(filters)).toBe('/home/ann/list.csv');
    const [parent, options] = dialog.showOpenDialog.mock.calls[0]!;
    expect(parent).toBe(window);
    expect(options).toMatchObject({
      defaultPath: '/home/ann/Documents',
      properties: ['openFile'],
      filters: [...filters, { name: 'All files', extensions: ['*'] }],
    });
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await desktop.chooseOpenPath(filters)).toBeNull();
  });
});

describe('start at login', () => {
  it('uses the login item settings on macOS', () => {
    const { desktop, app } = setup({ platform: 'darwin' });
    desktop.setStartAtLogin(true);
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true });
    expect(desktop.getStartAtLogin()).toBe(true);
  });

  it('on Windows, registers this executable with the app folder and the tray flag, and asks with the same', () => {
    const { desktop, app } = setup({ platform: 'win32', execPath: 'C:\\Electron\\electron.exe' });
    desktop.setStartAtLogin(false);
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({
      openAtLogin: false,
      path: 'C:\\Electron\\electron.exe',
      args: ['/src/mailroom', '--hidden'],
    });
    desktop.getStartAtLogin();
    expect(app.getLoginItemSettings).toHaveBeenCalledWith({
      path: 'C:\\Electron\\electron.exe',
      args: ['/src/mailroom', '--hidden'],
    });
  });

  it('on Linux, writes and removes the XDG autostart entry (Exec = this executable, the app folder, --hidden)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-desktop-'));
    try {
      const env = { XDG_CONFIG_HOME: root };
      const { desktop, app } = setup({ platform: 'linux', env, execPath: '/usr/lib/electron/electron' });
      expect(desktop.getStartAtLogin()).toBe(false);
      desktop.setStartAtLogin(true);
      const file = path.join(root, 'autostart', 'mailroom.desktop');
      expect(fs.readFileSync(file, 'utf8')).toContain('\nExec=/usr/lib/electron/electron /src/mailroom --hidden\n');
      expect(desktop.getStartAtLogin()).toBe(true);
      desktop.setStartAtLogin(false);
      expect(fs.existsSync(file)).toBe(false);
      expect(app.setLoginItemSettings).not.toHaveBeenCalled();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('on Linux, a packaged AppImage starts from its image file, not the temporary mount', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-desktop-'));
    try {
      const env = { XDG_CONFIG_HOME: root, APPIMAGE: '/home/ann/Apps/Mailroom.AppImage' };
      const packaged = createPackaged(env);
      packaged.setStartAtLogin(true);
      expect(packaged.getStartAtLogin()).toBe(true);
      expect(fs.readFileSync(path.join(root, 'autostart', 'mailroom.desktop'), 'utf8')).toContain(
        '\nExec=/home/ann/Apps/Mailroom.AppImage --hidden\n',
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function createPackaged(env: NodeJS.ProcessEnv) {
  return createElectronDesktop({
    clipboard: fakeClipboard(),
    dialog: {} as never,
    app: { isPackaged: true, getAppPath: () => '/unused', getPath: () => '' } as never,
    getWindow: () => null,
    platform: 'linux',
    env,
    execPath: '/tmp/.mount_Mailro1/mailroom',
  });
}
