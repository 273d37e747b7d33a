// Names of the secrets Mailroom keeps. Values never leave the secret store except to
// the code that needs them (the relay checking a login, a route logging in).
export const SECRETS = {
  'relay.password': {
    description: 'Password mail programs use to log in to the local relay.',
    // Any program on this computer can try passwords against the relay.
    minLength: 12,
  },
  'smarthost.password': {
    description: 'Password (or API key / app password) for logging in to the smarthost.',
    minLength: 1,
  },
} as const;

export type SecretName = keyof typeof SECRETS;
/**
 * DKIM private keys are stored per domain and selector under `dkim/<domain>/<selector>`.
 * They are written only by `dkim generate|import`, never through `secret set`.
 */
export type DkimSecretName = `dkim/${string}/${string}`;
export type StoredSecretName = SecretName | DkimSecretName;

export function dkimSecretName(domain: string, selector: string): DkimSecretName {
  return `dkim/${domain.toLowerCase()}/${selector.toLowerCase()}`;
}

export const SECRET_NAMES = Object.keys(SECRETS) as SecretName[];

export function isSecretName(name: string): name is SecretName {
  return Object.hasOwn(SECRETS, name);
}

export const SECRET_STORE_KINDS = ['keychain', 'file'] as const;
export type SecretStoreKind = (typeof SECRET_STORE_KINDS)[number];
