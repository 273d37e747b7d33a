import type { ExistingMode, ImportCounts } from '../../../../shared/domain/contacts.ts';

// The words the import wizard uses, in one place.

export { ENCODING_CHOICES as ENCODINGS } from '../../../../shared/domain/contacts.ts';

export const DELIMITERS = [
  { value: ',', label: 'Comma  ,' },
  { value: ';', label: 'Semicolon  ;' },
  { value: '\t', label: 'Tab' },
  { value: '|', label: 'Vertical bar  |' },
];

const RECOGNISED: Record<string, string> = {
  'mailchimp-subscribed': 'Mailchimp export of subscribed people',
  'mailchimp-unsubscribed': 'Mailchimp export of unsubscribed people',
  'mailchimp-cleaned': 'Mailchimp export of cleaned (bounced) addresses',
  outlook: 'Outlook contacts export',
  'outlook-de': 'Outlook contacts export (German)',
  google: 'Google Contacts export',
  'google-old': 'Google Contacts export (older format)',
  shopify: 'Shopify customers export',
  vcard: 'Contact cards (vCard)',
  lines: 'A plain list of addresses, one per line',
};

export function recognisedLabel(id: string | null): string | null {
  if (!id) return null;
  return RECOGNISED[id] ?? id.replace(/-/g, ' ');
}

/** Unsubscribed and cleaned exports go to the do-not-send list, not to a list. */
export function isSuppressionFile(id: string | null): boolean {
  return id === 'mailchimp-unsubscribed' || id === 'mailchimp-cleaned';
}

export const BASIS_CHOICES = [
  'They signed up on my website',
  'They are customers who bought from me',
  'Moved from another newsletter service',
  'They gave me their card or signed up in person',
] as const;

export const EXISTING_CHOICES: { value: ExistingMode; label: string; explain: string }[] = [
  {
    value: 'skip',
    label: 'Add new people only',
    explain:
      'The details of people already in your contacts are left as they are, tags from the file too; they are still added to the list and given the tags you chose above.',
  },
  {
    value: 'fill',
    label: 'Fill in what is missing',
    explain:
      'For people already known, empty details (a missing first name, say) are filled from the file; nothing already written is changed.',
  },
  {
    value: 'overwrite',
    label: 'Replace with the file',
    explain:
      'For people already known, the details in the file replace the ones you have. Empty cells in the file change nothing.',
  },
];

/** What a column can be imported as, besides custom fields (`field:<key>`); as the reader's MAPPABLE_FIELDS. */
export const BUILTIN_TARGETS = [
  { value: 'email', label: 'Email address' },
  { value: 'first_name', label: 'First name' },
  { value: 'last_name', label: 'Last name' },
  { value: 'company', label: 'Company' },
  { value: 'tags', label: 'Tags (several in one cell are split)' },
  { value: 'optin_time', label: 'Signed-up time (proof of consent)' },
  { value: 'optin_ip', label: 'Signed-up from IP address (proof of consent)' },
  { value: 'confirm_time', label: 'Confirmed time (proof of consent)' },
  { value: 'confirm_ip', label: 'Confirmed from IP address (proof of consent)' },
  { value: 'accepts_email_marketing', label: 'Accepts email marketing (yes/no)' },
  { value: 'unsub_reason', label: 'Why they unsubscribed' },
  { value: 'unsub_time', label: 'When they unsubscribed' },
  { value: 'clean_campaign_title', label: 'Campaign that bounced' },
  { value: 'clean_time', label: 'When it bounced' },
];

export const CUSTOM_FIELD_PREFIX = 'field:';

export const PROBLEM_LABELS: Record<string, string> = {
  'no-address': 'No address',
  invalid: 'Not a valid address',
  duplicate: 'Appears twice',
  malformed: 'Damaged row',
  warning: 'Check this',
  normalised: 'Tidied up',
};

export const COUNT_LABELS: { key: keyof ImportCounts; label: string; always: boolean }[] = [
  { key: 'records', label: 'Rows in the file', always: true },
  { key: 'added', label: 'New people', always: true },
  { key: 'updated', label: 'Known people updated', always: true },
  { key: 'unchanged', label: 'Known people left as they were', always: true },
  { key: 'suppressed', label: 'On the do-not-send list', always: true },
  { key: 'skipped', label: 'Rows left out', always: true },
  { key: 'blank', label: 'Empty rows', always: false },
  { key: 'declined', label: 'Said no to marketing email (kept, not subscribed)', always: false },
  { key: 'suppressionsAdded', label: 'Added to the do-not-send list', always: false },
];

export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
