import type { ImportMapping } from '../../../shared/domain/contacts.ts';

// Which program wrote a file (from its header row) and which column feeds which field.
// Everything works from column positions: two columns named "Email" are two columns, and
// the first one is the default.

/**
 * What a column can be mapped to. A custom field is `field:<key>` (key as in
 * fieldKeySchema); nothing is mapped to a custom field unless the user picks it.
 */
export const MAPPING_TARGETS = {
  email: 'Email address',
  first_name: 'First name',
  last_name: 'Last name',
  company: 'Company',
  tags: 'Tags (several in one cell are split)',
  optin_time: 'Opt-in time (consent evidence)',
  optin_ip: 'Opt-in IP address (consent evidence)',
  confirm_time: 'Confirmation time (consent evidence)',
  confirm_ip: 'Confirmation IP address (consent evidence)',
  accepts_email_marketing: 'Accepts email marketing (yes/no consent column)',
  unsub_reason: 'Why they unsubscribed (Mailchimp unsubscribed export)',
  unsub_time: 'When they unsubscribed (Mailchimp unsubscribed export)',
  clean_campaign_title: 'Campaign whose mail bounced (Mailchimp cleaned export)',
  clean_time: 'When the address was cleaned (Mailchimp cleaned export)',
} as const;
export type MappingTarget = keyof typeof MAPPING_TARGETS;
export const CUSTOM_FIELD_PREFIX = 'field:';

/** Lowercase, accents off, spaces/hyphens/underscores/punctuation squeezed out. */
export function headerKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

// Known header names per target, compared through headerKey. Order matters only within a
// target's list: a name earlier in the list wins over a later one (Outlook's "E-mail Address"
// before "E-mail 2 Address"), and for the same name the leftmost column wins.
const KNOWN: Record<MappingTarget, string[]> = {
  email: [
    'Email Address', // Mailchimp
    'E-mail Address', // Outlook
    'E-Mail-Adresse', // Outlook (German)
    'E-mail 1 - Value', // Google
    'Email', // Shopify and most spreadsheets
    'E-mail',
    'E-Mail',
    'Mail',
    'Email address',
    'Email addresses',
    'Emails',
    'Courriel',
    'Adresse e-mail',
    'Adresse électronique',
    'Adresse mail',
    'Mail-Adresse',
    'Mailadresse',
    'Correo electrónico',
    'Correo',
    'Posta elettronica',
    'Indirizzo email',
    'E-mailadres',
    'Primary Email',
    'Primäre E-Mail-Adresse',
    'Work Email',
    'Home Email',
    'Email 1',
  ],
  first_name: [
    'First Name',
    'Vorname',
    'Given Name',
    'Firstname',
    'Prénom',
    'Prenom',
    'Nombre',
    'Nome',
    'Voornaam',
    'Forename',
  ],
  last_name: [
    'Last Name',
    'Nachname',
    'Family Name',
    'Surname',
    'Lastname',
    'Nom',
    'Nom de famille',
    'Apellido',
    'Apellidos',
    'Cognome',
    'Achternaam',
    'Familienname',
  ],
  company: [
    'Company',
    'Firma',
    'Organization Name', // Google
    'Organization 1 - Name', // Google (older export)
    'Organization',
    'Organisation',
    'Default Address Company',
    'Company Name',
    'Firmenname',
    'Unternehmen',
    'Société',
    'Entreprise',
    'Empresa',
    'Azienda',
    'Bedrijf',
  ],
  tags: [
    'Tags',
    'Labels',
    'Categories',
    'Kategorien',
    'Group Membership',
    'Groups',
    'Gruppen',
    'Étiquettes',
    'Etiketten',
  ],
  optin_time: ['OPTIN_TIME'],
  optin_ip: ['OPTIN_IP'],
  confirm_time: ['CONFIRM_TIME'],
  confirm_ip: ['CONFIRM_IP'],
  accepts_email_marketing: ['Accepts Email Marketing', 'Accepts Marketing'],
  unsub_reason: ['UNSUB_REASON'],
  unsub_time: ['UNSUB_TIME'],
  clean_campaign_title: ['CLEAN_CAMPAIGN_TITLE'],
  clean_time: ['CLEAN_TIME'],
};

const KNOWN_KEYS: Array<[MappingTarget, string[]]> = (Object.entries(KNOWN) as Array<[MappingTarget, string[]]>).map(
  ([t, names]) => [t, names.map(headerKey)],
);

/** Proposes a mapping: target -> first column whose header is a known name for it. */
export function autoMap(header: readonly string[]): ImportMapping {
  const keys = header.map(headerKey);
  const mapping: ImportMapping = {};
  const used = new Set<number>();
  for (const [target, names] of KNOWN_KEYS) {
    for (const name of names) {
      const i = keys.findIndex((k, idx) => k === name && !used.has(idx));
      if (i >= 0) {
        mapping[target] = i;
        used.add(i);
        break;
      }
    }
  }
  // A one-column file whose single column is not a known name: it is the address column.
  if (mapping.email === undefined && header.length === 1) mapping.email = 0;
  return mapping;
}

/** The target a column maps to under `mapping`, or null. */
export function targetOfColumn(mapping: ImportMapping, index: number): string | null {
  for (const [t, i] of Object.entries(mapping)) if (i === index) return t;
  return null;
}

/**
 * The program that wrote the file, recognised from its header: mailchimp-subscribed,
 * mailchimp-unsubscribed, mailchimp-cleaned, outlook, outlook-de, google, google-old,
 * shopify; null when unknown.
 */
export function recogniseHeader(header: readonly string[]): string | null {
  const has = new Set(header.map(headerKey));
  const all = (...names: string[]) => names.every((n) => has.has(headerKey(n)));
  const any = (...names: string[]) => names.some((n) => has.has(headerKey(n)));
  // Mailchimp's unsubscribed and cleaned exports are recognised by their own columns alone:
  // people often delete the id columns (LEID, EUID, MEMBER_RATING) before handing the file
  // over, and such a file must still become suppressions, never subscriptions.
  if (any('UNSUB_TIME', 'UNSUB_CAMPAIGN_TITLE', 'UNSUB_REASON')) return 'mailchimp-unsubscribed';
  if (any('CLEAN_TIME', 'CLEAN_CAMPAIGN_TITLE')) return 'mailchimp-cleaned';
  if (all('Email Address', 'MEMBER_RATING', 'LEID', 'EUID')) return 'mailchimp-subscribed';
  if (all('E-mail Address', 'E-mail Type', 'E-mail Display Name', 'First Name', 'Last Name')) return 'outlook';
  if (all('E-Mail-Adresse', 'E-Mail-Typ', 'Vorname', 'Nachname')) return 'outlook-de';
  if (all('E-mail 1 - Value', 'Given Name', 'Family Name')) return 'google-old';
  if (all('E-mail 1 - Value', 'First Name', 'Last Name')) return 'google';
  if (all('Email', 'Accepts Email Marketing')) return 'shopify';
  return null;
}

/** Sentences naming a recognised program, for the preview. */
export const RECOGNISED_LABELS: Record<string, string> = {
  'mailchimp-subscribed': 'a Mailchimp export of subscribed contacts',
  'mailchimp-unsubscribed': 'a Mailchimp export of unsubscribed contacts (they become suppressions)',
  'mailchimp-cleaned': 'a Mailchimp export of cleaned (bounced) contacts (they become suppressions)',
  outlook: 'an Outlook contacts export',
  'outlook-de': 'an Outlook contacts export (German)',
  google: 'a Google Contacts export',
  'google-old': 'a Google Contacts export (older format)',
  shopify: 'a Shopify customers export',
  vcard: 'vCard contacts (Apple Contacts, Outlook, Android)',
};
