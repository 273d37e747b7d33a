import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fsyncDir } from '../engine/durable-fs.ts';

// "Start Mailroom when I log in" on Linux and the other XDG desktops, where Electron's
// setLoginItemSettings does nothing: an autostart entry as the freedesktop.org
// Desktop Application Autostart spec describes it, in $XDG_CONFIG_HOME/autostart.
// Pure Node (no electron), so tests run it against a temporary XDG_CONFIG_HOME.

const FILE_NAME = 'mailroom.desktop';

export interface LoginItemTarget {
  /** The command that starts this Mailroom: the executable, then its arguments. */
  command: readonly string[];
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Where the autostart entry lives: $XDG_CONFIG_HOME/autostart, ~/.config/autostart by default. */
export function autostartFile(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  // The spec ignores a relative XDG_CONFIG_HOME; so do we.
  const configured = env.XDG_CONFIG_HOME;
  const config = configured && path.isAbsolute(configured) ? configured : path.join(home, '.config');
  return path.join(config, 'autostart', FILE_NAME);
}

/**
 * The Exec= value for a command, quoted as the Desktop Entry spec asks: arguments with
 * reserved characters in double quotes (with ", `, $ and \ escaped inside), then the
 * string-value escaping of backslashes, and % doubled (it starts a field code).
 */
export function execLine(command: readonly string[]): string {
  if (command.length === 0) throw new Error('the login item needs a command');
  return command
    .map((arg) => {
      if (/[\r\n\0]/.test(arg)) throw new Error(`cannot start a program at login whose path has a line break: ${arg}`);
      const quoted = /^[A-Za-z0-9_./+,:=@-]+$/.test(arg) ? arg : `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
      return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
    })
    .join(' ');
}

/** The whole autostart entry. */
export function desktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Mailroom',
    'Comment=Keeps the Mailroom relay running so your mail programs can send',
    `Exec=${execLine(command)}`,
    'Terminal=false',
    'NoDisplay=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether an autostart entry exists, is enabled, and starts this very Mailroom. */
export function isLoginItemEnabled(target: LoginItemTarget): boolean {
  let text: string;
  try {
    text = fs.readFileSync(autostartFile(target.env, target.home), 'utf8');
  } catch {
    return false;
  }
  const entry = parseEntry(text);
  if (entry.get('Hidden') === 'true' || entry.get('X-GNOME-Autostart-enabled') === 'false') return false;
  return entry.get('Exec') === execLine(target.command);
}

/** Writes (atomically) or removes the autostart entry. Removing one that is not there is fine. */
export function setLoginItem(enabled: boolean, target: LoginItemTarget): void {
  const file = autostartFile(target.env, target.home);
  if (!enabled) {
    fs.rmSync(file, { force: true });
    return;
  }
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  // Written beside the real name, flushed, then renamed over it: a crash leaves the
  // old entry or the new one, never half a file the session manager would misread.
  const tmp = path.join(dir, `.${FILE_NAME}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeFileSync(fd, desktopEntry(target.command));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** Keys of the [Desktop Entry] group (later groups, comments and blank lines ignored). */
function parseEntry(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let inGroup = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inGroup = line === '[Desktop Entry]';
      continue;
    }
    const eq = line.indexOf('=');
    if (inGroup && eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}
