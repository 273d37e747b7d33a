import os from 'node:os';
import path from 'node:path';

/**
 * The OS app-data folder for Mailroom, the same folder Electron's
 * app.getPath('userData') gives for an app named "Mailroom", so the desktop app and
 * the `mailroom` command share one data folder without either importing electron.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = os.homedir();
  if (platform === 'win32') {
    return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'Mailroom');
  }
  if (platform === 'darwin') {
    return path.join(home, 'Library', 'Application Support', 'Mailroom');
  }
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'Mailroom');
}

/** --data-dir wins, then MAILROOM_DATA_DIR, then the OS default. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag || env.MAILROOM_DATA_DIR || defaultDataDir(env);
  return path.resolve(chosen);
}

export function dataPaths(dataDir: string) {
  return {
    dataDir,
    database: path.join(dataDir, 'mailroom.db'),
    lock: path.join(dataDir, 'engine.lock'),
    lockInfo: path.join(dataDir, 'engine.json'),
    spool: path.join(dataDir, 'spool'),
    spoolTmp: path.join(dataDir, 'spool', 'tmp'),
    secretsFile: path.join(dataDir, 'secrets.json'),
  };
}
export type DataPaths = ReturnType<typeof dataPaths>;
