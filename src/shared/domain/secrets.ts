// Names of the secrets Mailroom keeps. Values never leave the secret store except to
// the code that needs them (the relay checking a login, a route logging in).
export const SECRETS = {
  'relay.password': {
    description: 'Password mail programs use to log in to the local relay.',
    // Any program on this computer can try passwords against the relay.
    minLength: 12,
  },
} as const;

export type SecretName = keyof typeof SECRETS;
export const SECRET_NAMES = Object.keys(SECRETS) as SecretName[];

export function isSecretName(name: string): name is SecretName {
  return Object.hasOwn(SECRETS, name);
}

export const SECRET_STORE_KINDS = ['keychain', 'file'] as const;
export type SecretStoreKind = (typeof SECRET_STORE_KINDS)[number];
