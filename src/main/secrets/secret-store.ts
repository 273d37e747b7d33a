import { SECRETS, type SecretName, type SecretStoreKind, type StoredSecretName } from '../../shared/domain/secrets.ts';
import { MailroomError } from '../../shared/errors.ts';
import { FileSecretStore } from './file-store.ts';
import { KeychainSecretStore } from './keychain-store.ts';

/** Where passwords and keys live. Nothing else in Mailroom stores a secret. */
export interface SecretStore {
  readonly kind: SecretStoreKind;
  /** A sentence for status output: where secrets are kept. */
  readonly label: string;
  get(name: StoredSecretName): Promise<string | null>;
  set(name: StoredSecretName, value: string): Promise<void>;
  delete(name: StoredSecretName): Promise<boolean>;
}

export function parseSecretStoreKind(text: string | undefined): SecretStoreKind {
  if (text === undefined || text === '' || text === 'keychain') return 'keychain';
  if (text === 'file') return 'file';
  throw new MailroomError(
    'USAGE',
    `Unknown secret store "${text}". Use "keychain" (the default: the OS keychain) or "file" (a 0600 file in the data folder, for headless servers).`,
  );
}

/**
 * @param installId distinguishes data folders, so two Mailroom data folders on one
 *   machine (a test, a second profile) never share keychain entries.
 */
export function createSecretStore(
  kind: SecretStoreKind,
  opts: { installId: string; secretsFile: string },
): SecretStore {
  return kind === 'file' ? new FileSecretStore(opts.secretsFile) : new KeychainSecretStore(opts.installId);
}

export function validateSecretValue(name: SecretName, value: string): string {
  if (value.length === 0) {
    throw new MailroomError('VALIDATION', 'The secret is empty. Type or pipe the value on standard input.');
  }
  const min = SECRETS[name].minLength;
  if (value.length < min) {
    throw new MailroomError('VALIDATION', `${name} must be at least ${min} characters long. Nothing was changed.`);
  }
  if (value.length > 8192) throw new MailroomError('VALIDATION', 'The secret is longer than 8192 characters.');
  if (/[\r\n\0]/.test(value)) {
    throw new MailroomError('VALIDATION', 'The secret contains a line break or NUL character; give it on one line.');
  }
  return value;
}
