import { z } from 'zod';

// Every setting the engine understands, with its type, default and a sentence a
// person can read. Values are validated here whether they arrive from the CLI, IPC
// or the database, so a bad value is refused at the boundary and never stored.

const port = z.number().int().min(0).max(65535);
const hostLiteral = z
  .string()
  .trim()
  .min(1)
  .refine((v) => v === 'localhost' || isIpLiteral(v), {
    message: 'use an IP address such as 127.0.0.1, ::1 or 0.0.0.0, or "localhost"',
  });

function isIpLiteral(v: string): boolean {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  if (v4.test(v)) return true;
  // IPv6: hex groups and colons, at most one '::'. Good enough to refuse typos; the
  // socket layer has the final word when the relay binds.
  return /^[0-9a-fA-F:]+$/.test(v) && v.includes(':') && v.split('::').length <= 2;
}

type Kind = 'string' | 'integer' | 'boolean';

interface SettingDefinition<S extends z.ZodType> {
  kind: Kind;
  schema: S;
  default: z.infer<S>;
  description: string;
}

function def<S extends z.ZodType>(
  kind: Kind,
  schema: S,
  defaultValue: z.infer<S>,
  description: string,
): SettingDefinition<S> {
  return { kind, schema, default: defaultValue, description };
}

export const SETTINGS = {
  'relay.host': def(
    'string',
    hostLiteral,
    '127.0.0.1',
    'Address the local relay listens on. Anything other than a loopback address also needs relay.allowRemote=true and a TLS certificate.',
  ),
  'relay.port': def('integer', port, 2525, 'Port the local relay listens on (0 picks any free port, for tests).'),
  'relay.allowRemote': def(
    'boolean',
    z.boolean(),
    false,
    'Allow the relay to listen on a non-loopback address. Requires relay.tlsCert and relay.tlsKey; remote clients must use STARTTLS before AUTH.',
  ),
  'relay.tlsCert': def('string', z.string().trim(), '', 'Path to a PEM certificate (chain) for STARTTLS on the relay.'),
  'relay.tlsKey': def('string', z.string().trim(), '', 'Path to the PEM private key for relay.tlsCert.'),
  'relay.username': def(
    'string',
    z.string().regex(/^[A-Za-z0-9._@-]{0,64}$/, 'use up to 64 letters, digits, dots, dashes, @ or _'),
    '',
    'User name mail programs log in to the relay with. Generated on first run.',
  ),
  'relay.maxMessageBytes': def(
    'integer',
    z
      .number()
      .int()
      .min(1024)
      .max(200 * 1024 * 1024),
    25 * 1024 * 1024,
    'Largest message the relay accepts, in bytes (default 25 MB).',
  ),
  'relay.maxRecipients': def(
    'integer',
    z.number().int().min(1).max(1000),
    100,
    'Most recipients in one message; further RCPT commands get 452.',
  ),
  'relay.maxClients': def(
    'integer',
    z.number().int().min(1).max(10000),
    100,
    'Most simultaneous relay connections; more get 421.',
  ),
  'relay.maxSessionSeconds': def(
    'integer',
    z.number().int().min(5).max(86400),
    600,
    'Longest a single relay connection may stay open, in seconds (guards against slow clients holding connections).',
  ),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = z.infer<(typeof SETTINGS)[K]['schema']>;
export type Settings = { [K in SettingKey]: SettingValue<K> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

/** Turns text typed on a command line into the typed value the schema expects. */
export function settingFromText(key: SettingKey, text: string): unknown {
  const kind = SETTINGS[key].kind;
  const t = text.trim();
  if (kind === 'integer') return /^-?\d+$/.test(t) ? Number(t) : text;
  if (kind === 'boolean') {
    if (/^(true|yes|on|1)$/i.test(t)) return true;
    if (/^(false|no|off|0)$/i.test(t)) return false;
    return text;
  }
  return text;
}

export function settingsDefaults(): Settings {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) out[key] = SETTINGS[key].default;
  return out as Settings;
}
