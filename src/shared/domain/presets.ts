import { z } from 'zod';
import { MailroomError } from '../errors.ts';

// Smarthost (provider) presets: what to fill in to send through a provider, and what
// the DNS wizard needs to know about it. Pure data, used by the engine and the window.
//
// Facts here come from the providers' own documentation. Numbers that depend on the
// plan or that we could not confirm are left null (no cap), with a comment. A cap is
// only a pace Mailroom keeps: when it is reached mail waits, nothing fails, and the
// person can change it in settings.

export interface SmarthostHost {
  /**
   * Key that picks this server in presetSettings(id, region): an AWS region, "us"/"eu",
   * or for Postmark the message stream. Null when the provider has a single server.
   */
  region: string | null;
  /** How the choice reads in the window. */
  label: string;
  host: string;
}

export interface SmarthostPreset {
  /** ^[a-z0-9-]{1,40}$, stored in smarthost.preset. */
  id: string;
  name: string;
  /** The first entry is the default when no region is given. */
  hosts: SmarthostHost[];
  port: number;
  security: 'starttls' | 'tls';
  /** A fixed user name (SendGrid's "apikey"), or a hint where to find it. */
  username: { fixed: string } | { hint: string };
  /** Where to find the key or password in the provider's console, for a non-technical person. */
  passwordHint: string;
  /** Most recipients per day, or null for no cap (plan-dependent). */
  dailyCap: number | null;
  /** Most messages per minute, or null for no cap. */
  ratePerMinute: number | null;
  /** What the DNS wizard adds to the From domain's SPF record, e.g. "include:mailgun.org"; null: nothing. */
  spfInclude: string | null;
  spfNote?: string;
  /**
   * The provider can sign as the person's domain with its own key once the record(s) its
   * console shows are published (CNAMEs for SES, SendGrid, Microsoft 365, SMTP2GO; a TXT
   * record for others). The wizard explains them next to Mailroom's own key; null when
   * the provider cannot sign as the person's domain (Gmail).
   */
  providerDkim: {
    /** Where in the provider's console the records are and what they look like, for a non-technical person. */
    where: string;
    /**
     * The provider's fixed selectors, checked live by the wizard. Only selectors the
     * provider always uses; empty when they differ per account (SES, Mailgun, Postmark…).
     */
    selectors: string[];
  } | null;
  docsUrl: string;
}

export const smarthostPresetSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/),
  name: z.string().min(1),
  hosts: z
    .array(z.object({ region: z.string().min(1).nullable(), label: z.string().min(1), host: z.string().min(1) }))
    .min(1),
  port: z.number().int().min(1).max(65535),
  security: z.enum(['starttls', 'tls']),
  username: z.union([z.object({ fixed: z.string().min(1) }), z.object({ hint: z.string().min(1) })]),
  passwordHint: z.string().min(1),
  dailyCap: z.number().int().positive().nullable(),
  ratePerMinute: z.number().int().positive().nullable(),
  spfInclude: z
    .string()
    .regex(/^include:[a-z0-9._-]+$/)
    .nullable(),
  spfNote: z.string().min(1).optional(),
  providerDkim: z
    .object({ where: z.string().min(1), selectors: z.array(z.string().regex(/^[a-z0-9-]{1,63}$/)) })
    .nullable(),
  docsUrl: z.url(),
});

const SES_REGIONS = [
  ['us-east-1', 'US East (N. Virginia)'],
  ['us-east-2', 'US East (Ohio)'],
  ['us-west-1', 'US West (N. California)'],
  ['us-west-2', 'US West (Oregon)'],
  ['ca-central-1', 'Canada (Central)'],
  ['eu-west-1', 'Europe (Ireland)'],
  ['eu-west-2', 'Europe (London)'],
  ['eu-west-3', 'Europe (Paris)'],
  ['eu-central-1', 'Europe (Frankfurt)'],
  ['eu-north-1', 'Europe (Stockholm)'],
  ['eu-south-1', 'Europe (Milan)'],
  ['ap-south-1', 'Asia Pacific (Mumbai)'],
  ['ap-northeast-1', 'Asia Pacific (Tokyo)'],
  ['ap-northeast-2', 'Asia Pacific (Seoul)'],
  ['ap-southeast-1', 'Asia Pacific (Singapore)'],
  ['ap-southeast-2', 'Asia Pacific (Sydney)'],
  ['sa-east-1', 'South America (São Paulo)'],
] as const;

export const SMARTHOST_PRESETS: readonly SmarthostPreset[] = [
  {
    id: 'amazon-ses',
    name: 'Amazon SES',
    hosts: SES_REGIONS.map(([region, label]) => ({
      region,
      label: `${label} — ${region}`,
      host: `email-smtp.${region}.amazonaws.com`,
    })),
    port: 587,
    security: 'starttls',
    username: {
      hint: 'The SMTP user name SES gave you when you created SMTP credentials (it is not your AWS access key ID).',
    },
    passwordHint:
      'In the Amazon SES console, open "SMTP settings" and choose "Create SMTP credentials"; copy the SMTP password shown once at the end. Your normal AWS secret key does not work here.',
    // Sandbox limits (200 messages per 24 hours, 1 per second). Accounts moved out of
    // the sandbox get their own quota, shown in the SES console: raise these then.
    dailyCap: 200,
    ratePerMinute: 60,
    spfInclude: 'include:amazonses.com',
    spfNote:
      'SES sends with its own bounce address unless you set up a custom MAIL FROM domain; SPF then applies to that domain. DMARC passes through DKIM either way.',
    providerDkim: {
      where:
        'In the Amazon SES console, open Identities, choose your domain and its Authentication tab. Easy DKIM lists three CNAME records, each named like abc123._domainkey.yourdomain and pointing to abc123.dkim.amazonses.com.',
      selectors: [], // random tokens, different for every domain
    },
    docsUrl: 'https://docs.aws.amazon.com/ses/latest/dg/send-email-smtp.html',
  },
  {
    id: 'mailgun',
    name: 'Mailgun',
    hosts: [
      { region: 'us', label: 'US', host: 'smtp.mailgun.org' },
      { region: 'eu', label: 'EU', host: 'smtp.eu.mailgun.org' },
    ],
    port: 587,
    security: 'starttls',
    username: {
      hint: 'The SMTP login of your sending domain, for example postmaster@mg.yourdomain.com.',
    },
    passwordHint:
      'In the Mailgun dashboard, open your sending domain\'s settings and the "SMTP credentials" tab; create or reset a password there and copy it.',
    dailyCap: null, // depends on the plan
    ratePerMinute: null,
    spfInclude: 'include:mailgun.org',
    providerDkim: {
      where:
        'In the Mailgun dashboard, open your sending domain and its DNS records. Among them is a TXT record whose name ends in ._domainkey (for example pic._domainkey.yourdomain) and whose value starts with k=rsa; p=.',
      selectors: [], // chosen per domain by Mailgun
    },
    docsUrl: 'https://documentation.mailgun.com/',
  },
  {
    id: 'sendgrid',
    name: 'SendGrid',
    hosts: [{ region: null, label: 'SendGrid', host: 'smtp.sendgrid.net' }],
    port: 587,
    security: 'starttls',
    username: { fixed: 'apikey' },
    passwordHint:
      'In SendGrid, open Settings → API Keys and create a key with "Mail Send" permission; the key is the password. It is shown only once, so copy it right away.',
    dailyCap: null, // depends on the plan
    ratePerMinute: null,
    spfInclude: 'include:sendgrid.net',
    spfNote:
      "With SendGrid domain authentication (CNAME records) SPF is handled through SendGrid's own bounce domain and this include is not needed.",
    providerDkim: {
      where:
        'In SendGrid, open Settings → Sender Authentication → Authenticate Your Domain. It lists CNAME records named s1._domainkey and s2._domainkey (pointing into sendgrid.net) and one named like em1234, then a Verify button.',
      selectors: ['s1', 's2'], // SendGrid's defaults; an account can pick a custom selector instead
    },
    docsUrl: 'https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api',
  },
  {
    id: 'postmark',
    name: 'Postmark',
    hosts: [
      { region: 'transactional', label: 'Transactional messages', host: 'smtp.postmarkapp.com' },
      { region: 'broadcast', label: 'Broadcasts (newsletters)', host: 'smtp-broadcasts.postmarkapp.com' },
    ],
    port: 587,
    security: 'starttls',
    username: { hint: 'Your Postmark Server API token (the same token is also the password).' },
    passwordHint:
      'In Postmark, open your server and its "API Tokens" tab and copy the Server API token. Use it as both the user name and the password.',
    dailyCap: null,
    ratePerMinute: null,
    spfInclude: null,
    spfNote:
      'Postmark uses its own bounce (Return-Path) domain, so your From domain needs no SPF change. Only if you set up a custom Return-Path domain does that domain need include:spf.mtasv.net.',
    providerDkim: {
      where:
        'In Postmark, open Sender Signatures, choose your domain and its DNS settings. It shows a TXT record named like 20240101pm._domainkey with the key, and a CNAME named pm-bounces for bounces.',
      selectors: [], // dated, different for every domain
    },
    docsUrl: 'https://postmarkapp.com/developer/user-guide/send-email-with-smtp',
  },
  {
    id: 'brevo',
    name: 'Brevo (Sendinblue)',
    hosts: [{ region: null, label: 'Brevo', host: 'smtp-relay.brevo.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'The SMTP login shown on Brevo\'s "SMTP & API" page (it looks like an email address).' },
    passwordHint:
      'In Brevo, open your account menu → "SMTP & API", then the SMTP tab, and choose "Generate a new SMTP key". The SMTP key is the password; your Brevo login password does not work.',
    dailyCap: null, // the free plan allows 300 a day; paid plans have no daily cap
    ratePerMinute: null,
    spfInclude: 'include:spf.brevo.com',
    providerDkim: {
      // Brevo changed these records in 2024 (TXT at mail._domainkey before, CNAMEs since):
      // the names are not checked live until confirmed.
      where:
        'In Brevo, open Senders, Domains & Dedicated IPs → Domains, and choose Authenticate next to your domain. It lists the DKIM records to add (their names end in ._domainkey), a brevo-code TXT record, and a DMARC record you already have from this guide.',
      selectors: [],
    },
    docsUrl: 'https://developers.brevo.com/docs/smtp-integration',
  },
  {
    id: 'mailjet',
    name: 'Mailjet',
    hosts: [{ region: null, label: 'Mailjet', host: 'in-v3.mailjet.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'Your Mailjet API key.' },
    passwordHint:
      'In Mailjet, open Account settings → "API Key Management". The API key is the user name and the secret key is the password.',
    dailyCap: null, // the free plan allows 200 a day (uncertain for current plans)
    ratePerMinute: null,
    spfInclude: 'include:spf.mailjet.com',
    providerDkim: {
      where:
        'In Mailjet, open Account settings → Domains (SPF/DKIM authentication) and choose your domain. It shows a TXT record named mailjet._domainkey with the key.',
      selectors: ['mailjet'],
    },
    docsUrl: 'https://dev.mailjet.com/smtp-relay/overview/',
  },
  {
    id: 'smtp2go',
    name: 'SMTP2GO',
    hosts: [{ region: null, label: 'SMTP2GO', host: 'mail.smtp2go.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'The user name of an SMTP user you added in SMTP2GO.' },
    passwordHint:
      'In SMTP2GO, open Sending → "SMTP Users", add a user (or open an existing one) and copy its password.',
    dailyCap: null, // depends on the plan
    ratePerMinute: null,
    spfInclude: 'include:spf.smtp2go.com',
    providerDkim: {
      where:
        'In SMTP2GO, open Sending → Verified Senders → Sender Domains and add your domain. It lists CNAME records: one for DKIM named like s123456._domainkey, one for bounces named like em123456, and one for link tracking.',
      selectors: [], // numbered per account
    },
    docsUrl: 'https://support.smtp2go.com/',
  },
  {
    id: 'gmail',
    name: 'Gmail',
    hosts: [{ region: null, label: 'Gmail', host: 'smtp.gmail.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'Your full Gmail address.' },
    passwordHint:
      'Use an app password, not your normal password: turn on 2-Step Verification in your Google Account, then open Security → "App passwords", create one and copy the 16 letters.',
    dailyCap: 500,
    ratePerMinute: null,
    spfInclude: 'include:_spf.google.com',
    spfNote: 'Only for your own domain. For an @gmail.com address there is nothing to add.',
    providerDkim: null, // Gmail signs as gmail.com, not as your domain
    docsUrl: 'https://support.google.com/mail/answer/185833',
  },
  {
    id: 'google-workspace',
    name: 'Google Workspace',
    hosts: [{ region: null, label: 'Google Workspace', host: 'smtp.gmail.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'Your full work email address.' },
    passwordHint:
      'Use an app password: with 2-Step Verification on, open your Google Account → Security → "App passwords", create one and copy it. If you do not see that option, your administrator has turned it off.',
    dailyCap: 2000,
    ratePerMinute: null,
    spfInclude: 'include:_spf.google.com',
    providerDkim: {
      where:
        'In the Google Admin console, open Apps → Google Workspace → Gmail → Authenticate email, choose your domain and Generate new record. Publish the TXT record it shows at google._domainkey, then come back and press Start authentication.',
      selectors: ['google'], // the default prefix; an administrator can choose another
    },
    docsUrl: 'https://support.google.com/a/answer/176600',
  },
  {
    id: 'microsoft-365',
    name: 'Microsoft 365',
    hosts: [{ region: null, label: 'Microsoft 365', host: 'smtp.office365.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'Your full Microsoft 365 email address.' },
    passwordHint:
      'Your mailbox password (or an app password if your account uses multi-factor sign-in). Your administrator must turn on "Authenticated SMTP" for the mailbox; Microsoft is phasing out password sign-in for SMTP, so ask them if it is refused.',
    dailyCap: 10000,
    ratePerMinute: 30,
    spfInclude: 'include:spf.protection.outlook.com',
    providerDkim: {
      where:
        'In the Microsoft Defender portal, open Email & collaboration → Policies & rules → Threat policies → Email authentication settings → DKIM, and choose your domain. It shows two CNAME records, selector1._domainkey and selector2._domainkey, pointing into onmicrosoft.com. Publish both, then switch on "Sign messages for this domain with DKIM signatures".',
      selectors: ['selector1', 'selector2'],
    },
    docsUrl:
      'https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365',
  },
];

export function presetById(id: string): SmarthostPreset | undefined {
  return SMARTHOST_PRESETS.find((p) => p.id === id);
}

export interface PresetSettings {
  'smarthost.preset': string;
  'smarthost.host': string;
  'smarthost.port': number;
  'smarthost.security': 'starttls' | 'tls';
  /** Present only when the provider has a fixed user name. */
  'smarthost.username'?: string;
  /** 0 = no cap. */
  'smarthost.dailyCap': number;
  /** 0 = no limit. */
  'smarthost.ratePerMinute': number;
}

/**
 * The settings that choosing a preset writes. `region` picks one of the preset's
 * hosts (see SmarthostHost.region); without it the first host is used. Unknown ids
 * or regions are refused with a sentence that lists the valid ones.
 */
export function presetSettings(id: string, region?: string): PresetSettings {
  const preset = presetById(id);
  if (!preset) {
    throw new MailroomError(
      'VALIDATION',
      `There is no provider preset "${id}". Use one of: ${SMARTHOST_PRESETS.map((p) => p.id).join(', ')}.`,
    );
  }
  let host = preset.hosts[0] as SmarthostHost;
  if (region !== undefined) {
    const choices = preset.hosts.filter((h) => h.region !== null);
    const found = choices.find((h) => h.region === region);
    if (!found) {
      throw new MailroomError(
        'VALIDATION',
        choices.length === 0
          ? `${preset.name} has a single server, so there is no region to choose ("${region}" was given). Leave the region out.`
          : `${preset.name} has no region "${region}". Use one of: ${choices.map((h) => h.region).join(', ')}.`,
      );
    }
    host = found;
  }
  const out: PresetSettings = {
    'smarthost.preset': preset.id,
    'smarthost.host': host.host,
    'smarthost.port': preset.port,
    'smarthost.security': preset.security,
    'smarthost.dailyCap': preset.dailyCap ?? 0,
    'smarthost.ratePerMinute': preset.ratePerMinute ?? 0,
  };
  if ('fixed' in preset.username) out['smarthost.username'] = preset.username.fixed;
  return out;
}
