// What the IPC handlers need from the desktop around them: the clipboard, a native
// dialog, a save-file picker, the login item. Electron provides it in the app
// (electron-desktop.ts); browser tests provide their own, because headless Chromium
// has no Electron clipboard or native dialogs. Nothing here may return a secret to
// the page: a password goes to the clipboard or a native dialog, never into IPC.

export interface Desktop {
  /** Puts text on the system clipboard; clears it after `clearAfterMs` if it still holds that text. */
  copySecret(text: string, clearAfterMs: number): void;
  /** Shows a secret in a native window of the main process, so it never enters the page. */
  showSecret(title: string, label: string, secret: string): Promise<void>;
  /** Asks where to save a file; null when the user cancelled. */
  chooseSavePath(defaultName: string, filter: { name: string; extensions: string[] }): Promise<string | null>;
  /** Asks which file to open; null when the user cancelled. The path stays in main. */
  chooseOpenPath(filters: { name: string; extensions: string[] }[]): Promise<string | null>;
  /** Whether Mailroom starts when the user logs in. */
  getStartAtLogin(): boolean;
  setStartAtLogin(enabled: boolean): void;
}
