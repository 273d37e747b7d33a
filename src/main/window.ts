import type { BrowserWindow, Session, Shell, WebContents, WebPreferences } from 'electron';

// The one Mailroom window and its lockdown. Electron arrives as arguments (types only
// are imported), so tests load this module under plain Node and check the exact
// preferences and handlers the app uses.

/** The renderer is untrusted web content: sandboxed, isolated, no Node, no webviews. */
export const WEB_PREFERENCES = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
} as const satisfies WebPreferences;

export interface WindowDeps {
  BrowserWindow: typeof BrowserWindow;
  shell: Pick<Shell, 'openExternal'>;
}

export interface WindowOptions {
  preload: string;
  /** The built index.html, or the dev server URL under `electron-vite dev`. */
  page: { file: string } | { url: string };
  icon?: string;
}

export function createMainWindow(deps: WindowDeps, opts: WindowOptions): BrowserWindow {
  const win = new deps.BrowserWindow({
    width: 1040,
    height: 760,
    minWidth: 640,
    minHeight: 480,
    title: 'Mailroom',
    show: false,
    autoHideMenuBar: true,
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: { ...WEB_PREFERENCES, preload: opts.preload },
  });
  lockDownWebContents(win.webContents, deps.shell);
  // Shown once painted, so the user never sees an empty white frame.
  win.once('ready-to-show', () => win.show());
  void ('file' in opts.page ? win.loadFile(opts.page.file) : win.loadURL(opts.page.url));
  return win;
}

/**
 * The window never leaves its own page: every navigation, redirect and new window is
 * refused. A link to an https page opens in the user's browser instead, and only
 * after it parsed as a URL with that exact protocol (no file:, javascript:, smb: …).
 */
export function lockDownWebContents(contents: WebContents, shell: Pick<Shell, 'openExternal'>): void {
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    openIfHttps(shell, event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openIfHttps(shell, url);
    return { action: 'deny' };
  });
}

/**
 * Nothing the page asks for (camera, notifications, clipboard reading, devices …) is
 * granted, with one exception: writing plain text to the clipboard, which the copy
 * buttons for the relay's server, port and user name need. It cannot read anything
 * back, and the relay password never reaches the page (main copies that one itself).
 */
export const ALLOWED_PERMISSIONS: readonly string[] = ['clipboard-sanitized-write'];

export function lockDownPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(ALLOWED_PERMISSIONS.includes(permission)),
  );
  session.setPermissionCheckHandler((_contents, permission) => ALLOWED_PERMISSIONS.includes(permission));
  session.setDevicePermissionHandler(() => false);
}

/** The URL to hand to the OS browser, or null when it is not a well-formed https URL. */
export function externalUrlToOpen(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return url.protocol === 'https:' ? url.href : null;
}

function openIfHttps(shell: Pick<Shell, 'openExternal'>, raw: string): void {
  const url = externalUrlToOpen(raw);
  if (url) void shell.openExternal(url).catch(() => {});
}
