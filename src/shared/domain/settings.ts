import { z } from 'zod';
import { type DurationBound, MAX_LIFETIME_MS, parseDuration, parseRetrySchedule } from './durations.ts';

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

// A DNS host name (ASCII or its punycode form); IP literals are allowed where it makes sense.
const hostName = z
  .string()
  .trim()
  .max(253)
  .refine(
    (v) =>
      v === '' ||
      isIpLiteral(v) ||
      /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(v),
    {
      message: 'use a host name such as smtp.example.com or an IP address',
    },
  );

/**
 * A duration setting of at least `min` milliseconds and at most `max.ms`, whose `why`
 * finishes the sentence that refuses a longer one. Without `max`, parseDuration still
 * refuses anything over ten years.
 */
const duration = (min: number, max?: DurationBound) =>
  z.string().superRefine((v, ctx) => {
    const ms = parseDuration(v, max);
    if (typeof ms === 'string') ctx.addIssue({ code: 'custom', message: ms });
    else if (ms < min) ctx.addIssue({ code: 'custom', message: `use at least ${min / 1000} seconds` });
  });

/** `host`, `host:port`, `[v6]:port`, comma separated; IP addresses only (no lookup to find the DNS server). */
export function parseDnsServers(text: string): { host: string; port: number }[] | string {
  const out: { host: string; port: number }[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m =
      /^\[([0-9a-f:]+)\](?::(\d+))?$/i.exec(raw) ?? /^([0-9.]+)(?::(\d+))?$/.exec(raw) ?? /^([0-9a-f:]+)()$/i.exec(raw);
    const port = m?.[2] ? Number(m[2]) : 53;
    if (!m || !isIpLiteral(m[1] as string) || port < 1 || port > 65535) {
      return `"${raw}" is not a DNS server address; write an IP address, optionally with a port: 127.0.0.1:5353 or [::1]:5353`;
    }
    out.push({ host: m[1] as string, port });
  }
  return out;
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
    'Address the local relay listens on. The default, 127.0.0.1 (or "localhost"), means this computer: the relay then listens on ::1 too, where the computer has it, so "localhost" works in every mail program. Anything other than a loopback address also needs relay.allowRemote=true and a TLS certificate.',
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
    'Most simultaneous relay connections. A newcomer pushes out the oldest connection that has not logged in yet; only when all have logged in does it get 421.',
  ),
  'relay.maxSessionSeconds': def(
    'integer',
    z.number().int().min(5).max(86400),
    600,
    'Longest a single relay connection may stay open, in seconds (guards against slow clients holding connections).',
  ),

  // --- Delivery ---------------------------------------------------------------
  'delivery.paused': def(
    'boolean',
    z.boolean(),
    false,
    'Pause sending: mail is still accepted and queued, but nothing leaves until sending is resumed.',
  ),
  'delivery.route': def(
    'string',
    z.enum(['direct', 'smarthost']),
    'direct',
    'How mail leaves this computer: "direct" to each recipient\'s mail server (MX), or "smarthost" through your provider (set smarthost.*).',
  ),
  'delivery.ehloName': def(
    'string',
    hostName,
    '',
    "Name Mailroom introduces itself with (EHLO). Empty: this computer's host name. Ideally the name your IP address resolves back to.",
  ),
  'delivery.maxConnections': def(
    'integer',
    z.number().int().min(1).max(200),
    20,
    'Most outgoing SMTP connections open at once, over all destinations.',
  ),
  'delivery.maxConnectionsPerDestination': def(
    'integer',
    z.number().int().min(1).max(50),
    5,
    "Most outgoing connections to one destination (a recipient domain's mail servers, or the smarthost).",
  ),
  'direct.ratePerMinute': def(
    'integer',
    z.number().int().min(0).max(1_000_000),
    0,
    'Direct route: most messages per minute to one recipient domain (0 = no limit).',
  ),
  'direct.dailyCap': def(
    'integer',
    z.number().int().min(0).max(10_000_000),
    0,
    'Direct route: most recipients per day (0 = no limit). When reached, mail waits until the next day; nothing fails.',
  ),
  'smarthost.preset': def(
    'string',
    z.string().regex(/^[a-z0-9-]{0,40}$/, 'use a provider id from "mailroom smarthost presets"'),
    '',
    'Provider the smarthost settings came from (see "mailroom smarthost presets"); informational.',
  ),
  'smarthost.host': def(
    'string',
    hostName,
    '',
    'Smarthost (provider) SMTP server name, e.g. email-smtp.eu-west-1.amazonaws.com.',
  ),
  'smarthost.port': def(
    'integer',
    z.number().int().min(1).max(65535),
    587,
    'Smarthost SMTP port (587 for STARTTLS, 465 for TLS).',
  ),
  'smarthost.security': def(
    'string',
    z.enum(['starttls', 'tls', 'none']),
    'starttls',
    'Smarthost connection security: "starttls" (required, port 587), "tls" (implicit TLS, port 465), or "none" (only to a smarthost on this computer).',
  ),
  'smarthost.username': def(
    'string',
    z
      .string()
      .max(256)
      .regex(/^[^\r\n\0]*$/, 'use a single line'),
    '',
    'User name for the smarthost; the password is the secret smarthost.password.',
  ),
  'smarthost.ratePerMinute': def(
    'integer',
    z.number().int().min(0).max(1_000_000),
    0,
    'Smarthost route: most messages per minute (0 = no limit); e.g. 840 for an ESP allowing 14 per second.',
  ),
  'smarthost.dailyCap': def(
    'integer',
    z.number().int().min(0).max(10_000_000),
    0,
    'Smarthost route: most recipients per day (0 = no limit; Gmail allows 500, Google Workspace 2000). When reached, mail waits until the next day; nothing fails.',
  ),
  'retry.schedule': def(
    'string',
    z.string().superRefine((v, ctx) => {
      const r = parseRetrySchedule(v);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
    }),
    '5m,10m,20m,40m,1h,2h,4h',
    'Waits between delivery attempts after a temporary failure; the last one repeats (each at most 7d).',
  ),
  'retry.lifetime': def(
    'string',
    duration(60_000, {
      ms: MAX_LIFETIME_MS,
      why: 'mail still undelivered after a month is of no use to anyone, and its sender should hear about it',
    }),
    '5d',
    'How long a message keeps being retried before it is returned to the sender as undeliverable (at most 30d).',
  ),
  'retry.bounceLifetime': def(
    'string',
    duration(60_000, {
      ms: MAX_LIFETIME_MS,
      why: 'the same bound as retry.lifetime; a report about a month-old message helps nobody',
    }),
    '1d',
    'Queue lifetime for bounce reports Mailroom itself sends (shorter: nobody is waiting for them; at most 30d).',
  ),
  'delivery.dnsServers': def(
    'string',
    z.string().superRefine((v, ctx) => {
      const r = parseDnsServers(v);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
    }),
    '',
    "Test setting: DNS servers for MX lookups (e.g. 127.0.0.1:5353). Empty: the system's resolvers.",
  ),
  'delivery.mxPort': def(
    'integer',
    z.number().int().min(1).max(65535),
    25,
    "Test setting: port used to reach recipients' mail servers on the direct route. Leave at 25.",
  ),
  'delivery.replyTimeoutSeconds': def(
    'integer',
    z.number().int().min(1).max(3600),
    600,
    'How long to wait for each reply from a receiving server before giving up on the attempt (RFC 5321 suggests 10 minutes for the reply to the message itself).',
  ),
  'delivery.leaseSeconds': def(
    'integer',
    z.number().int().min(5).max(86400),
    900,
    'Longest one delivery attempt may take. A delivery whose attempt was cut off (a crash) is retried after this.',
  ),

  // --- Retention -----------------------------------------------------------------
  // Counted from when a message's last delivery finished (delivered, bounced or
  // cancelled); mail still queued or being retried is never touched.
  'retention.messageBodies': def(
    'string',
    duration(86_400_000),
    '30d',
    'How long the text of a finished message is kept after its last delivery finished (at least 1 day). Its headers and delivery log stay.',
  ),
  'retention.logRows': def(
    'string',
    duration(86_400_000),
    '730d',
    'How long a finished message stays in the delivery log after its last delivery finished (at least 1 day); then it is deleted with every attempt.',
  ),

  // --- Campaigns -----------------------------------------------------------------
  'campaigns.postalAddress': def(
    'string',
    z.string().trim().max(300),
    '',
    'The postal address printed in every newsletter footer ({{ postal_address }}); the law (CAN-SPAM) and Gmail and Yahoo ask for one. A street address, PO box or registered mailbox.',
  ),
  'campaigns.unsubscribeUrl': def(
    'string',
    z
      .string()
      .trim()
      .max(500)
      .refine((v) => v === '' || /^https:\/\/[^\s/?#]+[^\s]*$/i.test(v), {
        message: 'use an https:// address (your website or your provider), or leave it empty to unsubscribe by mail',
      }),
    '',
    'Optional HTTPS address that records an unsubscribe (one-click, RFC 8058). The token is appended as ?token=... When empty, people unsubscribe by mail (mailto), which Mailroom reads from your mailbox.',
  ),
  'campaigns.bounceAddress': def(
    'string',
    z
      .string()
      .trim()
      .max(254)
      .refine((v) => v === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), {
        message: 'use an email address such as bounces@yourshop.example, or leave it empty to use the From address',
      }),
    '',
    "Envelope sender (Return-Path) of campaign mail: where late bounces and unsubscribe mails arrive. Empty: the campaign's From address.",
  ),
  'campaigns.scheduleGraceMinutes': def(
    'integer',
    z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60),
    60,
    "When Mailroom was not running at a campaign's scheduled time, it still sends on start if it is at most this many minutes late; later than that it waits for you.",
  ),

  // --- Desktop app ---------------------------------------------------------------
  'app.trayNoticeShown': def(
    'boolean',
    z.boolean(),
    false,
    'Whether the app has explained, on the first close of its window, that Mailroom keeps running in the tray.',
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

const LOOPBACK_NAMES = /^(localhost|127(\.\d{1,3}){3}|::1)$/i;

/**
 * Rules that involve more than one setting. Checked whenever a setting changes, so
 * a combination that would send a password in clear over the network is never stored.
 */
export function crossCheckSettings(values: Settings): string | null {
  if (
    values['smarthost.security'] === 'none' &&
    values['smarthost.host'] &&
    !LOOPBACK_NAMES.test(values['smarthost.host'])
  ) {
    return `No encryption (smarthost.security "none") is allowed only for a smarthost on this computer (127.0.0.1, ::1 or localhost), not "${values['smarthost.host']}": your password and mail would cross the network unencrypted. Choose STARTTLS (port 587) or TLS (port 465).`;
  }
  return null;
}
