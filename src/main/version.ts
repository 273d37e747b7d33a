import pkg from '../../package.json' with { type: 'json' };

/** This Mailroom's version, for backups and the CLI (the app's window asks Electron, which reads the same file). */
export const MAILROOM_VERSION: string = pkg.version;
