import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  autostartFile,
  desktopEntry,
  execLine,
  isLoginItemEnabled,
  setLoginItem,
} from '../../src/main/desktop/login-item.ts';

// "Start at login" on Linux: an XDG autostart entry. Every test works in a temporary
// XDG_CONFIG_HOME (and a temporary home), so the real ~/.config is never touched.

let root: string;
let env: NodeJS.ProcessEnv;
let home: string;
const command = ['/opt/Mailroom/mailroom', '--hidden'];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-autostart-'));
  home = path.join(root, 'home');
  env = { XDG_CONFIG_HOME: path.join(root, 'config') };
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('XDG autostart login item', () => {
  it('lives in $XDG_CONFIG_HOME/autostart, else ~/.config/autostart (a relative XDG_CONFIG_HOME is ignored)', () => {
    expect(autostartFile(env, home)).toBe(path.join(root, 'config', 'autostart', 'mailroom.desktop'));
    expect(autostartFile({}, home)).toBe(path.join(home, '.config', 'autostart', 'mailroom.desktop'));
    expect(autostartFile({ XDG_CONFIG_HOME: 'relative/dir' }, home)).toBe(
      path.join(home, '.config', 'autostart', 'mailroom.desktop'),
    );
  });

  it('is off until enabled, on after, and off again once disabled (the file is removed)', () => {
    const target = { command, env, home };
    const file = autostartFile(env, home);
    expect(isLoginItemEnabled(target)).toBe(false);

    setLoginItem(true, target);
    expect(isLoginItemEnabled(target)).toBe(true);
    expect(fs.existsSync(file)).toBe(true);
    // Nothing went to the default location.
    expect(fs.existsSync(path.join(home, '.config'))).toBe(false);

    setLoginItem(false, target);
    expect(fs.existsSync(file)).toBe(false);
    expect(isLoginItemEnabled(target)).toBe(false);
    // Disabling twice is fine.
    setLoginItem(false, target);
  });

  it('writes a complete desktop entry that starts this executable in the tray', () => {
    setLoginItem(true, { command, env, home });
    const text = fs.readFileSync(autostartFile(env, home), 'utf8');
    expect(text).toBe(desktopEntry(command));
    const lines = text.split('\n');
    expect(lines[0]).toBe('[Desktop Entry]');
    expect(lines).toEqual(
      expect.arrayContaining([
        'Type=Application',
        'Name=Mailroom',
        'Exec=/opt/Mailroom/mailroom --hidden',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
      ]),
    );
    expect(fs.statSync(autostartFile(env, home)).mode & 0o777).toBe(0o644);
  });

  it('counts as on only when the entry starts this very Mailroom and is not switched off', () => {
    const file = autostartFile(env, home);
    setLoginItem(true, { command, env, home });
    // Another copy of Mailroom (a different executable) does not count.
    expect(isLoginItemEnabled({ command: ['/other/mailroom', '--hidden'], env, home })).toBe(false);
    // The desktop's own switch (GNOME "Startup Applications") turned it off.
    fs.writeFileSync(
      file,
      desktopEntry(command).replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'),
    );
    expect(isLoginItemEnabled({ command, env, home })).toBe(false);
    fs.writeFileSync(file, `${desktopEntry(command)}Hidden=true\n`);
    expect(isLoginItemEnabled({ command, env, home })).toBe(false);
    // Enabling again rewrites it whole.
    setLoginItem(true, { command, env, home });
    expect(isLoginItemEnabled({ command, env, home })).toBe(true);
  });

  it('quotes paths with spaces and special characters as the Desktop Entry spec asks', () => {
    expect(execLine(['/usr/bin/electron', '/home/ann/My Apps/mailroom', '--hidden'])).toBe(
      '/usr/bin/electron "/home/ann/My Apps/mailroom" --hidden',
    );
    // Inside quotes ", `, $ and \ are escaped; then backslashes are escaped again as a string value; % doubles.
    expect(execLine(['/a/"b"$c`d\\e', '/x/100%'])).toBe('"/a/\\\\"b\\\\"\\\\$c\\\\`d\\\\\\\\e" "/x/100%%"');
    expect(() => execLine(['/a\nb'])).toThrow(/line break/);
    // A quoted path round-trips: the getter recognises what the setter wrote.
    const spaced = ['/home/ann/My Apps/Mailroom', '--hidden'];
    setLoginItem(true, { command: spaced, env, home });
    expect(isLoginItemEnabled({ command: spaced, env, home })).toBe(true);
  });

  it('replaces the file atomically: a failed write leaves the previous entry and no temporary file', () => {
    const file = autostartFile(env, home);
    setLoginItem(true, { command, env, home });
    const before = fs.readFileSync(file, 'utf8');

    const rename = vi.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    });
    expect(() => setLoginItem(true, { command: ['/new/mailroom', '--hidden'], env, home })).toThrow(/EIO/);
    expect(rename).toHaveBeenCalledOnce();
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['mailroom.desktop']);

    // The successful path writes a temporary name in the same folder, then renames it over the entry.
    rename.mockClear();
    setLoginItem(true, { command: ['/new/mailroom', '--hidden'], env, home });
    const [from, to] = rename.mock.calls[0]!.map(String);
    expect(path.dirname(from!)).toBe(path.dirname(file));
    expect(path.basename(from!)).toMatch(/^\.mailroom\.desktop\.\d+\.tmp$/);
    expect(to).toBe(file);
    expect(isLoginItemEnabled({ command: ['/new/mailroom', '--hidden'], env, home })).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['mailroom.desktop']);
  });
});
