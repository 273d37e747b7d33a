import { describe, expect, it, vi } from 'vitest';
import {
  createMainWindow,
  externalUrlToOpen,
  lockDownPermissions,
  lockDownWebContents,
  WEB_PREFERENCES,
} from '../../src/main/window.ts';

// window.ts takes Electron as arguments, so these fakes see exactly what the app
// passes to BrowserWindow and which handlers it installs.

type Handler = (event: Record<string, unknown>, ...args: unknown[]) => void;

function fakeWebContents() {
  const handlers = new Map<string, Handler>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  return {
    handlers,
    open: (url: string) => openHandler?.({ url }),
    on(event: string, handler: Handler) {
      handlers.set(event, handler);
      return this;
    },
    setWindowOpenHandler(handler: typeof openHandler) {
      openHandler = handler;
    },
  };
}

function fakeEvent(fields: Record<string, unknown> = {}) {
  return { preventDefault: vi.fn(), ...fields };
}

describe('window security', () => {
  it('uses sandboxed, context-isolated web preferences without Node', () => {
    expect(WEB_PREFERENCES).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('creates the window with exactly those preferences plus the preload, and locks it down', () => {
    const created: { options: Record<string, unknown>; contents: ReturnType<typeof fakeWebContents> }[] = [];
    class FakeBrowserWindow {
      webContents = fakeWebContents();
      loaded: unknown;
      constructor(options: Record<string, unknown>) {
        created.push({ options, contents: this.webContents });
      }
      once() {}
      show() {}
      loadFile(file: string) {
        this.loaded = file;
        return Promise.resolve();
      }
      loadURL(url: string) {
        this.loaded = url;
        return Promise.resolve();
      }
    }
    const shell = { openExternal: vi.fn(async () => {}) };
    createMainWindow(
      { BrowserWindow: FakeBrowserWindow as never, shell },
      { preload: '/app/out/preload/index.cjs', page: { file: '/app/out/renderer/index.html' } },
    );
    expect(created).toHaveLength(1);
    const { options, contents } = created[0]!;
    expect(options.webPreferences).toEqual({ ...WEB_PREFERENCES, preload: '/app/out/preload/index.cjs' });
    expect([...contents.handlers.keys()]).toEqual(
      expect.arrayContaining(['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']),
    );
    expect(contents.open('https://example.com/')).toEqual({ action: 'deny' });
  });

  it('blocks every navigation and opens only https links in the browser', () => {
    const contents = fakeWebContents();
    const shell = { openExternal: vi.fn(async () => {}) };
    lockDownWebContents(contents as never, shell);
    const navigate = contents.handlers.get('will-navigate')!;

    for (const url of [
      'https://mailroom.example/help',
      'http://mailroom.example/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'data:text/html,hi',
    ]) {
      const event = fakeEvent({ url });
      navigate(event, url);
      expect(event.preventDefault).toHaveBeenCalled();
      expect(contents.open(url)).toEqual({ action: 'deny' });
    }
    expect(shell.openExternal.mock.calls).toEqual([
      ['https://mailroom.example/help'],
      ['https://mailroom.example/help'],
    ]);

    const redirect = fakeEvent();
    contents.handlers.get('will-redirect')!(redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    const webview = fakeEvent();
    contents.handlers.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    const subframe = fakeEvent({ isMainFrame: false, url: 'https://ads.example/' });
    contents.handlers.get('will-frame-navigate')!(subframe);
    expect(subframe.preventDefault).toHaveBeenCalled();
  });

  it('hands the browser only well-formed https URLs', () => {
    expect(externalUrlToOpen('https://example.com/a b')).toBe('https://example.com/a%20b');
    expect(externalUrlToOpen('HTTPS://EXAMPLE.COM')).toBe('https://example.com/');
    for (const bad of [
      'http://example.com',
      'file:///C:/x',
      'javascript:alert(1)',
      'mailto:a@b.c',
      'https//x',
      '',
      'x',
    ]) {
      expect(externalUrlToOpen(bad)).toBeNull();
    }
  });

  it('denies every permission request and check but writing text to the clipboard', () => {
    let request: ((wc: unknown, permission: string, callback: (ok: boolean) => void) => void) | undefined;
    let check: ((wc: unknown, permission: string) => boolean) | undefined;
    let device: (() => boolean) | undefined;
    lockDownPermissions({
      setPermissionRequestHandler: (h: typeof request) => {
        request = h;
      },
      setPermissionCheckHandler: (h: typeof check) => {
        check = h;
      },
      setDevicePermissionHandler: (h: typeof device) => {
        device = h;
      },
    } as never);
    for (const permission of [
      'media',
      'notifications',
      'clipboard-read',
      'geolocation',
      'openExternal',
      'fullscreen',
    ]) {
      const callback = vi.fn();
      request!({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(check!({}, permission)).toBe(false);
    }
    const callback = vi.fn();
    request!({}, 'clipboard-sanitized-write', callback);
    expect(callback).toHaveBeenCalledWith(true);
    expect(check!({}, 'clipboard-sanitized-write')).toBe(true);
    expect(device!()).toBe(false);
  });
});
