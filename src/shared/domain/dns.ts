import { z } from 'zod';

// What the domain checks report, and the records the wizard asks the person to create.
// Shared by the engine (dns/), the CLI's --json output and the window.

export const DNS_CHECK_RECORDS = ['spf', 'dkim', 'dmarc', 'mx', 'ptr'] as const;
export type DnsCheckRecord = (typeof DNS_CHECK_RECORDS)[number];
/** Each record's name in a sentence ("SPF, DKIM and reverse DNS need fixing"). */
export const DNS_RECORD_NAMES: Record<DnsCheckRecord, string> = {
  spf: 'SPF',
  dkim: 'DKIM',
  dmarc: 'DMARC',
  mx: 'MX',
  ptr: 'reverse DNS',
};

/**
 * ok: nothing to do. warning: works, but something should change. error: broken or
 * missing. pending: not visible yet although the wizard showed it recently (DNS changes
 * take minutes to hours to reach everyone).
 */
export const DNS_CHECK_STATUSES = ['ok', 'warning', 'error', 'pending'] as const;
export type DnsCheckStatus = (typeof DNS_CHECK_STATUSES)[number];

export const dnsCheckSchema = z.object({
  record: z.enum(DNS_CHECK_RECORDS),
  status: z.enum(DNS_CHECK_STATUSES),
  /** What was found, in plain words. */
  message: z.string(),
  /** What to do about it; null when there is nothing to do. */
  fix: z.string().nullable(),
  /** Further plain-words lines: a DMARC record explained, the SPF lookups counted, … */
  details: z.array(z.string()),
});
export type DnsCheck = z.infer<typeof dnsCheckSchema>;

export const domainCheckSchema = z.object({
  domain: z.string(),
  /** ms since the epoch. */
  checkedAt: z.number(),
  checks: z.array(dnsCheckSchema),
  /**
   * DNS questions that got no answer at all (timeouts, unreachable server). When above 0
   * the verdicts are guesses: they are shown, but never replace the domain's known state.
   */
  unanswered: z.number().int().min(0).default(0),
});
export type DomainCheck = z.infer<typeof domainCheckSchema>;

/** How mail for the domain leaves: from this computer, or through a provider (preset id, or null for "other"). */
export const sendingRouteSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('direct'),
    /** The public IP address mail leaves from; null when it could not be found out. */
    ip: z.string().nullable(),
  }),
  z.object({ kind: z.literal('smarthost'), preset: z.string().nullable(), host: z.string() }),
]);
export type SendingRoute = z.infer<typeof sendingRouteSchema>;

/** The route the wizard plans records for: chosen per domain, or the one in Settings. */
export const wizardRouteSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('direct') }),
  /** preset: a provider id from presets.ts, or null for a provider Mailroom does not know. */
  z.object({
    kind: z.literal('smarthost'),
    preset: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/)
      .nullable(),
  }),
]);
export type WizardRoute = z.infer<typeof wizardRouteSchema>;

export const DNS_RECORD_TTL = 3600;

export const recordToCreateSchema = z.object({
  purpose: z.enum(['spf', 'dkim', 'dmarc']),
  type: z.literal('TXT'),
  /** Full name, no trailing dot: mr202611._domainkey.example.com */
  name: z.string(),
  /** Relative to the zone ('@' for the zone itself): mr202611._domainkey */
  host: z.string(),
  value: z.string(),
  /** The value in DNS character-strings of at most 255 characters, for panels that want them split. */
  strings: z.array(z.string()),
  ttl: z.number().int().positive(),
  /** add: create it; change: edit the record shown in `current` (never add a second one); done: already right. */
  state: z.enum(['add', 'change', 'done']),
  /** What is published there now (several values joined with a line break). */
  current: z.string().nullable(),
  /** One sentence: what the record is for. */
  why: z.string(),
});
export type RecordToCreate = z.infer<typeof recordToCreateSchema>;

/** The provider's own DKIM records (see presets' providerDkim), explained and, where their names are fixed, looked up. */
export const providerDkimSchema = z.object({
  provider: z.string(),
  /** What the provider's records are for and where its console lists them. */
  text: z.string(),
  /**
   * The provider's fixed selectors as found in DNS: a DKIM key there (directly or through
   * a CNAME), the CNAME in place but no key behind it yet (the provider has not published
   * it), nothing yet, or could not ask.
   */
  selectors: z.array(
    z.object({
      name: z.string(),
      state: z.enum(['found', 'alias', 'missing', 'failed']),
      /** The CNAME target, when the name is an alias (the usual form for provider records). */
      alias: z.string().nullable(),
    }),
  ),
});
export type ProviderDkim = z.infer<typeof providerDkimSchema>;

/** The words for a provider selector's state, the same in the window and the command line. */
export const PROVIDER_SELECTOR_WORDS: Record<ProviderDkim['selectors'][number]['state'], string> = {
  found: 'in place',
  alias: 'no key there yet',
  missing: 'not there yet',
  failed: 'could not be looked up',
};

/** What to do about a provider selector whose alias (CNAME) has no key behind it. */
export function providerAliasAdvice(provider: string): string {
  return `The name points (CNAME) to ${provider}, but there is no key there yet: switch DKIM on in ${provider}'s console, and check that the target is exactly what it gives you.`;
}

export const wizardPlanSchema = z.object({
  domain: z.string(),
  /** The domain as people write it, when it is an IDN (the ASCII form is `domain`). */
  unicode: z.string().nullable(),
  /** The DNS zone holding the domain (example.com for news.example.com); null when not found. */
  zone: z.string().nullable(),
  /**
   * The registrable domain, one label below the public suffix (shop.co.uk for
   * news.shop.co.uk): DMARC reports to an address outside it need that domain's consent.
   */
  organisationalDomain: z.string(),
  nameServers: z.array(z.string()),
  /** Id of the DNS host (src/shared/domain/dns-hosts.ts) detected from nameServers. */
  dnsHost: z.string(),
  route: wizardRouteSchema,
  /** Direct sending: the public address mail leaves from (null when it could not be found out, or not direct). */
  ip: z.string().nullable(),
  /** True when `route` is the one in Settings (nothing chosen for this domain yet). */
  routeFromSettings: z.boolean(),
  /**
   * How Mailroom actually sends (Settings → Sending route). The wizard's route only shapes
   * the records, so when the two differ the window says Settings must change too.
   */
  settingsRoute: wizardRouteSchema,
  /** When the route's provider can sign as the domain with records of its own: what to do, and what is there. */
  providerDkim: providerDkimSchema.nullable(),
  records: z.array(recordToCreateSchema),
  dkim: z.array(z.object({ selector: z.string(), algorithm: z.string() })),
  reportAddress: z.string(),
  step: z.number().int().min(1),
});
export type WizardPlan = z.infer<typeof wizardPlanSchema>;

/** Per sending domain, for the dashboard and (later) campaigns before a send. */
export const DOMAIN_READINESS = ['ready', 'attention', 'pending', 'unchecked'] as const;
export const domainReadinessSchema = z.object({
  domain: z.string(),
  /** The domain as people write it, when it is an IDN (`domain` is the ASCII form); else null. */
  unicode: z.string().nullable(),
  state: z.enum(DOMAIN_READINESS),
  /** The records that are not ok in the last check. */
  failing: z.array(z.enum(DNS_CHECK_RECORDS)),
  checkedAt: z.number().nullable(),
  /** One sentence for the dashboard. */
  summary: z.string(),
});
export type DomainReadiness = z.infer<typeof domainReadinessSchema>;
