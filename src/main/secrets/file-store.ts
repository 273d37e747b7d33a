import fs from 'node:fs';
import path from 'node:path';
import type { StoredSecretName } from '../../shared/domain/secrets.ts';
import { MailroomError } from '../../shared/errors.ts';
import { fsyncDir } from '../engine/durable-fs.ts';
import type { SecretStore } from './secret-store.ts';

interface FileShape {
  version: 1;
  secrets: Record<string, string>;
}

/**
 * Secrets in a plain-text JSON file readable only by its owner (0600). Only for
 * headless servers that opt in with --secret-store file: the label says so wherever
 * the store is shown.
 */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly label: string;
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
    this.label = `plain-text file (mode 0600) at ${file}, chosen with --secret-store file`;
  }

  private read(): FileShape {
    let text: string;
    try {
      const st = fs.statSync(this.file);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        throw new MailroomError(
          'SECRET_STORE',
          `${this.file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}). Run: chmod 600 "${this.file}"`,
        );
      }
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as FileShape;
      if (parsed?.version !== 1 || typeof parsed.secrets !== 'object' || parsed.secrets === null)
        throw new Error('unexpected shape');
      return parsed;
    } catch (err) {
      throw new MailroomError(
        'SECRET_STORE',
        `The secrets file ${this.file} is damaged (${(err as Error).message}). Move it aside and set the secrets again.`,
      );
    }
  }

  /** Write to a temp file with 0600, fsync, rename: a crash leaves the old or the new file, never half of one. */
  private write(shape: FileShape): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    // 'wx' never follows a file or link someone left at that name; it is a fresh 0600 file.
    fs.rmSync(tmp, { force: true });
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      try {
        fs.writeFileSync(fd, `${JSON.stringify(shape, null, 2)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    fsyncDir(path.dirname(this.file));
  }

  async get(name: StoredSecretName): Promise<string | null> {
    return this.read().secrets[name] ?? null;
  }

  async set(name: StoredSecretName, value: string): Promise<void> {
    const shape = this.read();
    shape.secrets[name] = value;
    this.write(shape);
  }

  async delete(name: StoredSecretName): Promise<boolean> {
    const shape = this.read();
    if (!(name in shape.secrets)) return false;
    delete shape.secrets[name];
    this.write(shape);
    return true;
  }
}
