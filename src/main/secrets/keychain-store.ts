import type { StoredSecretName } from '../../shared/domain/secrets.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { SecretStore } from './secret-store.ts';

type Keytar = typeof import('keytar');

const SERVICE = 'Mailroom';

/**
 * The OS keychain through keytar: Keychain on macOS, Credential Manager on Windows,
 * the Secret Service (GNOME Keyring, KWallet) on Linux. When it cannot be reached we
 * say so and refuse; there is deliberately no fallback to a plain-text file.
 */
export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly label = 'OS keychain';
  private readonly installId: string;
  private keytar: Promise<Keytar> | undefined;

  constructor(installId: string) {
    this.installId = installId;
  }

  private account(name: StoredSecretName): string {
    return `${this.installId}/${name}`;
  }

  private load(): Promise<Keytar> {
    this.keytar ??= import('keytar').then(
      (m) => ((m as { default?: Keytar }).default ?? m) as Keytar,
      (err: Error) => {
        throw unavailable(`the keytar module could not be loaded (${err.message})`);
      },
    );
    return this.keytar;
  }

  async get(name: StoredSecretName): Promise<string | null> {
    const keytar = await this.load();
    try {
      return await keytar.getPassword(SERVICE, this.account(name));
    } catch (err) {
      throw unavailable((err as Error).message);
    }
  }

  async set(name: StoredSecretName, value: string): Promise<void> {
    const keytar = await this.load();
    try {
      await keytar.setPassword(SERVICE, this.account(name), value);
    } catch (err) {
      throw unavailable((err as Error).message);
    }
  }

  async delete(name: StoredSecretName): Promise<boolean> {
    const keytar = await this.load();
    try {
      return await keytar.deletePassword(SERVICE, this.account(name));
    } catch (err) {
      throw unavailable((err as Error).message);
    }
  }
}

function unavailable(reason: string): MailroomError {
  return new MailroomError(
    'KEYCHAIN_UNAVAILABLE',
    `No OS keychain could be reached (${reason.trim()}). Mailroom keeps passwords only in the keychain and stored nothing. ` +
      'On a desktop, log in to your session so the keyring is unlocked and try again; on a headless server, ' +
      'run with --secret-store file (or MAILROOM_SECRET_STORE=file) to keep secrets in a 0600 file in the data folder.',
  );
}
