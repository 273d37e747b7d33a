import crypto from 'node:crypto';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { SettingsService } from '../settings/settings-service.ts';

export interface RelayCredentials {
  username: string;
  /** Present only when the caller asked to see it. */
  password?: string;
  created: boolean;
  rotated: boolean;
}

function newPassword(): string {
  // 144 random bits, URL-safe so it survives copy and paste into any mail program.
  // It never starts with "-" or "_": a leading dash reads as an option to command-line
  // tools (swaks, scripts), and a double-click selection may skip a leading underscore.
  for (;;) {
    const p = crypto.randomBytes(18).toString('base64url');
    if (/^[A-Za-z0-9]/.test(p)) return p;
  }
}

/**
 * Makes sure the relay has a user name (a setting, shown freely) and a password (in
 * the secret store only). Generated on first run; `rotate` replaces the password.
 * The password is written to the store before the user name, so a store that
 * refuses leaves no half-made login behind.
 */
export async function ensureRelayCredentials(
  settings: SettingsService,
  secrets: SecretStore,
  opts: { rotate?: boolean } = {},
): Promise<RelayCredentials & { password: string }> {
  let username = settings.get('relay.username');
  let password = await secrets.get('relay.password');
  let created = false;
  let rotated = false;
  if (!password || opts.rotate) {
    rotated = Boolean(password);
    created = !password;
    password = newPassword();
    await secrets.set('relay.password', password);
  }
  if (!username) {
    username = `mailroom-${crypto.randomBytes(3).toString('hex')}`;
    settings.set('relay.username', username);
    created = true;
  }
  return { username, password, created, rotated };
}

/** Constant-time check of a login against the stored credentials. */
export async function checkRelayLogin(
  settings: SettingsService,
  secrets: SecretStore,
  username: string,
  password: string,
): Promise<boolean> {
  const expectedUser = settings.get('relay.username');
  const expectedPass = await secrets.get('relay.password');
  if (!expectedUser || !expectedPass) return false;
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  const userOk = crypto.timingSafeEqual(digest(username.toLowerCase()), digest(expectedUser.toLowerCase()));
  const passOk = crypto.timingSafeEqual(digest(password), digest(expectedPass));
  return userOk && passOk;
}
