import type { ExistingMode, ImportCounts } from '../../../../shared/domain/contacts.ts';

// The words the import wizard uses, in one place.

export const ENCODINGS = [
  { value: 'utf-8', label: 'Unicode (UTF-8), most files today' },
  { value: 'windows-1252', label: 'Western European (Windows), Excel “CSV” on a Western PC' },
  { value: 'iso-8859-15', label: 'Western European with € (ISO-8859-15)' },
  { value: 'iso-8859-1', label: 'Western European (ISO-8859-1)' },
  { value: 'windows-1250', label: 'Central European (Windows)' },
  { value: 'windows-1251', label: 'Cyrillic (Windows)' },
  { value: 'windows-1253', label: 'Greek (Windows)' },
  { value: 'windows-1254', label: 'Turkish (Windows)' },
  { value: 'macintosh', label: 'Western European (old Mac)' },
  { value: 'cp850', label: 'Western European (DOS)' },
  { value: 'utf-16le', label: 'Unicode (UTF-16), Excel “Unicode Text”' },
  { value: 'utf-16be', label: 'Unicode (UTF-16, big-endian)' },
];

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
  google: 'Google Contacts export',
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
    explain: 'People already in your contacts are left exactly as they are (they are still added to the list).',
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

export const BUILTIN_TARGETS = [
  { value: 'email', label: 'Email address' },
  { value: 'first_name', label: 'First name' },
  { value: 'last_name', label: 'Last name' },
  { value: 'company', label: 'Company' },
];

export const PROBLEM_LABELS: Record<string, string> = {
  'no-address': 'No address',
  invalid: 'Not a valid address',
  duplicate: 'Appears twice',
  malformed: 'Damaged row',
  warning: 'Check this',
  normalised: 'Tidied up',
};

export const COUNT_LABELS: { key: keyof ImportCounts; label: string }[] = [
  { key: 'records', label: 'Rows in the file' },
  { key: 'added', label: 'New people' },
  { key: 'updated', label: 'Known people updated' },
  { key: 'unchanged', label: 'Known people left as they were' },
  { key: 'suppressed', label: 'On the do-not-send list' },
  { key: 'skipped', label: 'Rows left out' },
  { key: 'blank', label: 'Empty rows' },
];

export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
