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
  // --- Added in issue 13 -------------------------------------------------------------
  // Each entry names its sources. Where a provider's own page could not be read, the
  // comment says so and where the value comes from instead; a value nobody documents is
  // left out (null), never guessed. outMail (Prolateral) is not here: its guide gives the
  // server name per account ("as provided in your signup email") and tells mail programs
  // to turn SSL/TLS off, so no preset could fill in a server Mailroom may log in to.
  {
    // https://mailchimp.com/developer/transactional/docs/smtp-integration/ (host for all
    // accounts; "any active API key" as the password; the user name is not used for
    // authentication, Mailchimp recommends the account's primary contact email; ports 25,
    // 587, 2525 with STARTTLS, 465 SSL).
    // https://mailchimp.com/developer/release-notes/new-sending-domain-authentication-requirements
    // (DKIM: CNAMEs mte1/mte2._domainkey to dkim1/dkim2.mandrillapp.com, and a DMARC policy).
    // https://mailchimp.com/developer/transactional/docs/authentication-delivery/ (DMARC
    // and DKIM are required; SPF is no longer asked for).
    id: 'mandrill',
    name: 'Mandrill (Mailchimp Transactional)',
    hosts: [{ region: null, label: 'Mandrill', host: 'smtp.mandrillapp.com' }],
    port: 587,
    security: 'starttls',
    username: {
      hint: 'Any name works (Mandrill checks only the key); Mailchimp recommends the primary contact email of your Mailchimp account.',
    },
    passwordHint:
      'In Mailchimp Transactional (Mandrill), open Settings → SMTP & API Info and choose "Add API key"; any active API key is the password.',
    // No free plan: Transactional is an add-on to a paid Mailchimp plan, sold in blocks of
    // emails; no daily cap is documented (Mandrill paces new accounts by reputation).
    dailyCap: null,
    ratePerMinute: null,
    spfInclude: null,
    spfNote:
      "Mailchimp Transactional asks for DKIM and DMARC on your domain, not SPF: its bounce (Return-Path) address is at mandrillapp.com. Older guides add include:spf.mandrillapp.com; it does no harm, but your domain's SPF record needs nothing for it.",
    providerDkim: {
      where:
        'In Mailchimp Transactional, open Settings → Domains, add your domain and open its DKIM settings. It asks for two CNAME records: mte1._domainkey pointing to dkim1.mandrillapp.com and mte2._domainkey pointing to dkim2.mandrillapp.com. Mandrill does not send from a domain until they and a DMARC record (this guide gives you one) are in place.',
      selectors: ['mte1', 'mte2'],
    },
    docsUrl: 'https://mailchimp.com/developer/transactional/docs/smtp-integration/',
  },
  {
    // SendPulse's own SMTP pages (https://sendpulse.com/knowledge-base/smtp) could not be
    // read with our documentation search. The server and port are those public
    // configurations use throughout (smtp-pulse.com on 587 or 2525 with STARTTLS, 465 with
    // SSL); the login is the account email with the SMTP password from Settings → SMTP,
    // and the free SMTP plan's 400 emails a day (50 an hour, 12,000 a month) are quoted
    // from https://sendpulse.com/knowledge-base/smtp/limits by users who read it.
    // Check these against the SMTP settings page of your SendPulse account.
    id: 'sendpulse',
    name: 'SendPulse',
    hosts: [{ region: null, label: 'SendPulse', host: 'smtp-pulse.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'The SMTP login shown in SendPulse under SMTP → Settings (your SendPulse account email).' },
    passwordHint:
      'In SendPulse, open SMTP → Settings; the SMTP password is shown there (it is not your SendPulse login password). SMTP sending must be activated for the account first.',
    dailyCap: 400,
    // The free plan also allows only 50 an hour, which a per-minute pace cannot express;
    // SendPulse defers what goes over it and Mailroom retries.
    ratePerMinute: null,
    // Public guides disagree on SendPulse's SPF entry; the account's settings show the right one.
    spfInclude: null,
    spfNote:
      "Mailroom could not confirm SendPulse's SPF entry from SendPulse's own documentation. If SendPulse's sender or domain verification page shows an SPF value (it starts with include:), add it to your SPF record.",
    providerDkim: {
      where:
        'In SendPulse, open SMTP → Settings and the sender or domain verification part; it shows the DKIM record to add (its name ends in ._domainkey).',
      selectors: [], // not documented where Mailroom could read it
    },
    docsUrl: 'https://sendpulse.com/knowledge-base/smtp',
  },
  {
    // https://developers.mailersend.com/smtp-relay.html ("Your client must support TLS
    // security via port 587"; TLS 1.2 and later only).
    // https://www.mailersend.com/help/smtp-relay (Domains → Manage → SMTP → "Generate new
    // user": a generated user name and password, usable for every verified domain).
    // https://www.mailersend.com/help/how-to-set-a-billing-limit (the Free plan includes
    // up to 500 emails a month: a monthly, not a daily, limit).
    // The host smtp.mailersend.net is not spelled out in those excerpts; it is the one every
    // MailerSend SMTP configuration uses. SPF include:_spf.mailersend.net is the entry
    // MailerSend's domain page gives (seen in published DNS of MailerSend users).
    id: 'mailersend',
    name: 'MailerSend',
    hosts: [{ region: null, label: 'MailerSend', host: 'smtp.mailersend.net' }],
    port: 587,
    security: 'starttls',
    username: {
      hint: 'The SMTP user MailerSend generated for you, like MS_AbCdEf@yourdomain.com (Domains → Manage → SMTP).',
    },
    passwordHint:
      'In MailerSend, open Domains, choose Manage next to your verified domain, scroll to SMTP and choose "Generate new user"; copy the password it shows (you can reset it there later).',
    dailyCap: null, // plans are monthly (Free: 500 a month); no daily cap documented
    ratePerMinute: null,
    spfInclude: 'include:_spf.mailersend.net',
    providerDkim: {
      where:
        'In MailerSend, open Domains and choose Manage next to your domain. It lists the records to publish: the SPF entry, a DKIM CNAME whose name ends in ._domainkey (pointing into mailersend.net) and a Return-Path CNAME.',
      selectors: [], // differ per account (mlsend2, ms1…)
    },
    docsUrl: 'https://www.mailersend.com/help/smtp-relay',
  },
  {
    // https://help.elasticemail.com/en/articles/4803409-smtp-settings (server
    // smtp.elasticemail.com; ports 25, 2525, 587, 465; TLS 1.2; the SMTP user name
    // defaults to the account email; the password is shown once when the credential is
    // created). https://elasticemail.com/support/guides/your-domain/ (SPF
    // include:_spf.elasticemail.com; DKIM TXT at api._domainkey, the same key for every
    // domain). https://help.elasticemail.com/en/articles/2446055-what-are-sending-limits-for-new-accounts
    // (a new account sends 100 a day, to its own address only, until a plan is bought).
    id: 'elastic-email',
    name: 'Elastic Email',
    hosts: [{ region: null, label: 'Elastic Email', host: 'smtp.elasticemail.com' }],
    port: 587,
    security: 'starttls',
    username: {
      hint: 'The user name of your SMTP credential; by default it is the email address you log in to Elastic Email with.',
    },
    passwordHint:
      'In Elastic Email, open Settings → SMTP and choose Create SMTP credentials; copy the password from the window that appears (it is shown only once).',
    // The trial's 100 a day reach only your own address; paid plans set their own limits.
    dailyCap: null,
    ratePerMinute: null,
    spfInclude: 'include:_spf.elasticemail.com',
    providerDkim: {
      where:
        "In Elastic Email, open Settings → Domains and verify your domain. It shows a TXT record named api._domainkey with Elastic Email's key, and records for tracking and DMARC.",
      selectors: ['api'],
    },
    docsUrl: 'https://help.elasticemail.com/en/articles/4803409-smtp-settings',
  },
  {
    // SMTP.com's Mail Setup page could not be read with our documentation search. The
    // server send.smtp.com on 587 with STARTTLS and the login (a Sender's name and its
    // password, see https://kb.smtp.com/article/1033-settings: "A Sender is a set of login
    // credentials") are what SMTP.com integrations use; include:_spf.smtp.com is the SPF
    // entry of https://kb.smtp.com/article/2138-spf-setup-for-smtp-com-customers as
    // published by its customers. Plans are monthly quotas; no free plan or daily cap is
    // documented there.
    id: 'smtp-com',
    name: 'SMTP.com',
    hosts: [{ region: null, label: 'SMTP.com', host: 'send.smtp.com' }],
    port: 587,
    security: 'starttls',
    username: { hint: 'The name of a Sender in your SMTP.com account (Senders are its sets of login details).' },
    passwordHint:
      'In the SMTP.com Customer Portal, open Senders, choose your Sender (or add one) and copy or reset its password.',
    dailyCap: null,
    ratePerMinute: null,
    spfInclude: 'include:_spf.smtp.com',
    // SMTP.com's DKIM set-up is not described in what Mailroom could read; Mailroom's
    // own signature is what DMARC relies on.
    providerDkim: null,
    docsUrl: 'https://kb.smtp.com/article/1033-settings',
  },
  {
    // https://ahasend.com/docs/smtp (servers send.ahasend.com in Germany and
    // send-us.ahasend.com in Oregon; ports 25, 587, 2525, STARTTLS required, no port 465;
    // PLAIN login with an SMTP credential; at most 50 recipients per message — Mailroom
    // groups up to 100, so a larger group gets the rest deferred and retried).
    // https://ahasend.com/docs/smtp/credentials (Credentials → Create Credential → SMTP).
    // Its free plan, SPF entry and DKIM record names are not in those pages.
    id: 'ahasend',
    name: 'AhaSend',
    hosts: [
      { region: 'eu', label: 'EU (Germany)', host: 'send.ahasend.com' },
      { region: 'us', label: 'US (Oregon)', host: 'send-us.ahasend.com' },
    ],
    port: 587,
    security: 'starttls',
    username: { hint: "The user name of an SMTP credential from AhaSend's Credentials page." },
    passwordHint:
      'In the AhaSend dashboard, open Credentials, choose "Create Credential", pick SMTP (Production mode, not Sandbox) and copy the user name and password it shows.',
    dailyCap: null,
    ratePerMinute: null,
    spfInclude: null,
    spfNote:
      "Mailroom could not confirm from AhaSend's documentation whether your domain's SPF record needs an entry for it. If AhaSend's Domains page shows an SPF value (it starts with include:), add it to your SPF record.",
    providerDkim: {
      where:
        'In the AhaSend dashboard, open Domains and add your domain; it lists the DNS records to publish, DKIM among them.',
      selectors: [],
    },
    docsUrl: 'https://ahasend.com/docs/smtp',
  },
  {
    // https://mailtrap.io/smtp-service.md and https://mailtrap.io/smtp-service/ (Email
    // Sending over SMTP: live.smtp.mailtrap.io for transactional mail,
    // bulk.smtp.mailtrap.io for newsletters and promotions, which Mailtrap requires to go
    // through Bulk; port 587; user name "api", password an API token; Free plan 150
    // emails a day). https://docs.mailtrap.io/email-api-smtp/setup/sending-domain (four
    // CNAMEs — domain verification, 2 × DKIM, tracking — and a DMARC TXT; no SPF TXT at
    // the From domain: the verification CNAME is Mailtrap's bounce domain).
    id: 'mailtrap',
    name: 'Mailtrap (Email Sending)',
    hosts: [
      { region: 'transactional', label: 'Transactional messages', host: 'live.smtp.mailtrap.io' },
      { region: 'bulk', label: 'Bulk (newsletters and promotions)', host: 'bulk.smtp.mailtrap.io' },
    ],
    port: 587,
    security: 'starttls',
    username: { fixed: 'api' },
    passwordHint:
      'In Mailtrap, open Sending Domains, choose your verified domain and its Integration tab (SMTP); the password is the API token shown there, or one from Settings → API Tokens with sending permission.',
    dailyCap: 150, // the Free plan; paid plans have no daily limit: set smarthost.dailyCap to 0
    ratePerMinute: null,
    spfInclude: null,
    spfNote:
      "Mailtrap sends with its own bounce (Return-Path) domain, the verification CNAME it asks for, so your From domain's SPF record needs nothing for it.",
    providerDkim: {
      where:
        'In Mailtrap, open Sending Domains and your domain. It lists CNAME records for domain verification, for two DKIM keys (names ending in ._domainkey) and for link tracking, and a DMARC record.',
      selectors: [], // not spelled out in the documentation Mailroom could read
    },
    docsUrl: 'https://docs.mailtrap.io/email-api-smtp/setup/sending-domain',
  },
  {
    // https://www.authsmtp.com/general-instructions/index.html (server "typically"
    // mail.authsmtp.com, as in the signup email; user name "ac" followed by digits; port
    // 2525 recommended, also 23, 25, 26; SSL is switched on per account in the Control
    // Panel; the From addresses must be authorised in the Control Panel).
    // https://www.authsmtp.com/faqs/faq-65.html (SPF include:authsmtp.com). Plans are
    // monthly message allowances; no free plan and no daily cap are documented there, nor
    // DKIM signing for the customer's domain.
    id: 'authsmtp',
    name: 'AuthSMTP',
    hosts: [{ region: null, label: 'AuthSMTP', host: 'mail.authsmtp.com' }],
    port: 2525,
    security: 'starttls',
    username: { hint: 'The user name from your AuthSMTP signup email: "ac" followed by digits, e.g. ac12345.' },
    passwordHint:
      'The password is in your AuthSMTP signup email (you can change it in the Control Panel). In the Control Panel also switch on SSL/TLS for the account, since Mailroom always encrypts the connection, and authorise every From address you send from.',
    dailyCap: null,
    ratePerMinute: null,
    spfInclude: 'include:authsmtp.com',
    providerDkim: null,
    docsUrl: 'https://www.authsmtp.com/general-instructions/index.html',
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
