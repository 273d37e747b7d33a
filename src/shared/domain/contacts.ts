import { z } from 'zod';

// Contacts, lists, segments, suppressions and imports as the window, the command line
// and the services see them. One schema per shape; types are inferred from it.

export const MEMBER_STATUSES = ['subscribed', 'unsubscribed', 'pending'] as const;
export const memberStatusSchema = z.enum(MEMBER_STATUSES);
export type MemberStatus = z.infer<typeof memberStatusSchema>;

export const SUPPRESSION_REASONS = ['unsubscribed', 'bounced', 'complaint', 'manual', 'imported', 'erased'] as const;
export const suppressionReasonSchema = z.enum(SUPPRESSION_REASONS);
export type SuppressionReason = z.infer<typeof suppressionReasonSchema>;

export const FIELD_TYPES = ['text', 'number', 'date'] as const;
export const fieldTypeSchema = z.enum(FIELD_TYPES);
export type FieldType = z.infer<typeof fieldTypeSchema>;

/** Fields every contact has; custom fields use other keys. */
export const BUILTIN_FIELDS = ['email', 'first_name', 'last_name', 'company'] as const;
export type BuiltinField = (typeof BUILTIN_FIELDS)[number];

/** A custom field key: what a campaign writes as {{ key }}. */
export const fieldKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'A field key starts with a letter and has only a-z, 0-9 and _ (at most 40).');

export const listNameSchema = z.string().trim().min(1, 'Give the list a name.').max(100);

export const listSummarySchema = z.object({
  id: z.number(),
  name: z.string(),
  subscribed: z.number(),
  unsubscribed: z.number(),
  pending: z.number(),
  createdAt: z.number(),
});
export type ListSummary = z.infer<typeof listSummarySchema>;

export const contactFieldSchema = z.object({
  id: z.number(),
  key: z.string(),
  label: z.string(),
  type: fieldTypeSchema,
});
export type ContactField = z.infer<typeof contactFieldSchema>;

/** A custom field value: text, a number, or a date as YYYY-MM-DD. */
export const fieldValueSchema = z.union([z.string().max(2000), z.number()]);
export const fieldValuesSchema = z.record(z.string(), fieldValueSchema);

/** What the contacts page filters by; every part optional. */
export const contactFilterSchema = z.strictObject({
  /** Words found at the start of the address, first name or last name. */
  text: z.string().trim().max(200).optional(),
  listId: z.number().int().positive().optional(),
  /** With listId: the status on that list. */
  status: memberStatusSchema.optional(),
  tagId: z.number().int().positive().optional(),
  /** true: only suppressed; false: only not suppressed. */
  suppressed: z.boolean().optional(),
  segmentId: z.number().int().positive().optional(),
});
export type ContactFilter = z.infer<typeof contactFilterSchema>;

export const CONTACT_PAGE_SIZES = [25, 50, 100, 200] as const;

export const contactQuerySchema = z.strictObject({
  filter: contactFilterSchema.default({}),
  pageSize: z.union(CONTACT_PAGE_SIZES.map((n) => z.literal(n))).default(50),
  /** From a previous page's `next` or `previous`; absent for the first page. */
  cursor: z.string().max(2000).optional(),
});
export type ContactQuery = z.input<typeof contactQuerySchema>;

export const contactRowSchema = z.object({
  id: z.number(),
  address: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  company: z.string(),
  tags: z.array(z.string()),
  /** Lists the contact is on, with the status there. */
  lists: z.array(z.object({ id: z.number(), name: z.string(), status: memberStatusSchema })),
  suppressed: suppressionReasonSchema.nullable(),
  createdAt: z.number(),
});
export type ContactRow = z.infer<typeof contactRowSchema>;

export const contactPageSchema = z.object({
  rows: z.array(contactRowSchema),
  next: z.string().nullable(),
  previous: z.string().nullable(),
  total: z.object({ count: z.number(), capped: z.boolean() }),
});
export type ContactPage = z.infer<typeof contactPageSchema>;

export const suppressionSchema = z.object({
  /** The address, or null once the contact was erased (only a hash is kept). */
  address: z.string().nullable(),
  reason: suppressionReasonSchema,
  source: z.string(),
  detail: z.string().nullable(),
  at: z.number(),
});
export type Suppression = z.infer<typeof suppressionSchema>;

export const consentSchema = z.object({
  source: z.enum(['manual', 'import']),
  basis: z.string().nullable(),
  at: z.number(),
  /** For an import: its id, file name and SHA-256. */
  import: z.object({ id: z.number(), fileName: z.string(), sha256: z.string() }).nullable(),
  /** A provider's own evidence, e.g. { optinTime, optinIp, confirmTime, confirmIp, acceptsEmailMarketing }. */
  detail: z.record(z.string(), z.string()).nullable(),
});
export type Consent = z.infer<typeof consentSchema>;

export const contactDetailSchema = z.object({
  contact: contactRowSchema.extend({
    addressKey: z.string(),
    fields: fieldValuesSchema,
    updatedAt: z.number(),
  }),
  consent: consentSchema,
  suppression: suppressionSchema.nullable(),
  /** Deliveries to this address from the delivery log, newest first (at most 200). */
  deliveries: z.array(
    z.object({
      id: z.number(),
      status: z.string(),
      subject: z.string().nullable(),
      createdAt: z.number(),
      updatedAt: z.number(),
      lastResponse: z.string().nullable(),
    }),
  ),
});
export type ContactDetail = z.infer<typeof contactDetailSchema>;

/** Adding or editing one contact by hand. */
export const contactInputSchema = z.strictObject({
  address: z.string().trim().min(1).max(320),
  firstName: z.string().trim().max(255).default(''),
  lastName: z.string().trim().max(255).default(''),
  company: z.string().trim().max(255).default(''),
  fields: fieldValuesSchema.default({}),
  tags: z.array(z.string().trim().min(1).max(100)).max(100).default([]),
  listIds: z.array(z.number().int().positive()).max(1000).default([]),
  /** Why the user may write to this person (consent basis). */
  basis: z.string().trim().max(200).optional(),
});
export type ContactInput = z.input<typeof contactInputSchema>;

// Segments: a saved filter with a live count.
export const SEGMENT_FIELD_OPS = [
  'is',
  'is_not',
  'contains',
  'starts_with',
  'is_empty',
  'is_not_empty',
  'before',
  'after',
  'less_than',
  'greater_than',
] as const;

export const segmentConditionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('list'),
    listId: z.number().int().positive(),
    /** The status on that list; subscribed when absent. */
    status: memberStatusSchema.default('subscribed'),
    /** true: NOT on that list with that status. */
    negate: z.boolean().default(false),
  }),
  z.strictObject({
    kind: z.literal('tag'),
    tagId: z.number().int().positive(),
    negate: z.boolean().default(false),
  }),
  z.strictObject({
    kind: z.literal('field'),
    /** A built-in (email, first_name, last_name, company) or a custom field key. */
    field: z.string().max(40),
    op: z.enum(SEGMENT_FIELD_OPS),
    /** Text, a number, or a date YYYY-MM-DD; absent for is_empty / is_not_empty. */
    value: z.union([z.string().max(500), z.number()]).optional(),
  }),
]);
export type SegmentCondition = z.infer<typeof segmentConditionSchema>;

export const segmentDefinitionSchema = z.strictObject({
  match: z.enum(['all', 'any']).default('all'),
  conditions: z.array(segmentConditionSchema).min(1, 'A segment needs at least one condition.').max(50),
});
export type SegmentDefinition = z.infer<typeof segmentDefinitionSchema>;

export const segmentSummarySchema = z.object({
  id: z.number(),
  name: z.string(),
  definition: segmentDefinitionSchema,
  updatedAt: z.number(),
});
export type SegmentSummary = z.infer<typeof segmentSummarySchema>;

// Import.
export const EXISTING_MODES = ['skip', 'fill', 'overwrite'] as const;
export const existingModeSchema = z.enum(EXISTING_MODES);
export type ExistingMode = z.infer<typeof existingModeSchema>;

export const PROBLEM_KINDS = ['no-address', 'invalid', 'duplicate', 'malformed', 'warning', 'normalised'] as const;
export const importProblemSchema = z.object({
  record: z.number(),
  line: z.number(),
  kind: z.enum(PROBLEM_KINDS),
  value: z.string().nullable(),
  reason: z.string(),
  sameAs: z.number().optional(),
});
export type ImportProblem = z.infer<typeof importProblemSchema>;

/** Where each field comes from: a column position (0-based) in the file. */
export const importMappingSchema = z.record(z.string(), z.number().int().nonnegative());
export type ImportMapping = z.infer<typeof importMappingSchema>;

export const importOptionsSchema = z.strictObject({
  /** The list to add people to, by name (created if new) or id. */
  list: z.union([listNameSchema, z.number().int().positive()]).optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
  basis: z.string().trim().max(200).optional(),
  existing: existingModeSchema.default('skip'),
  /** A code page name iconv-lite knows (utf-8, windows-1252, utf-16le, ...); detected when absent. */
  encoding: z.string().max(40).optional(),
  /** One of , ; TAB | ; sniffed when absent. */
  delimiter: z.string().max(5).optional(),
  /** Field -> column; auto-mapped from the header when absent. */
  mapping: importMappingSchema.optional(),
  /** The type of each custom field a `field:<key>` mapping creates (text when absent). */
  fieldTypes: z.record(z.string(), fieldTypeSchema).optional(),
  /** The label of each custom field a `field:<key>` mapping creates (the column's header when absent). */
  fieldLabels: z.record(z.string(), z.string().trim().min(1).max(100)).optional(),
  dryRun: z.boolean().default(false),
});
export type ImportOptions = z.input<typeof importOptionsSchema>;

/** The text encodings the import offers (and accepts), with words a non-technical user understands. */
export const ENCODING_CHOICES = [
  { value: 'utf-8', label: 'UTF-8 (most programs today, Excel "CSV UTF-8", Google, Mailchimp)' },
  { value: 'windows-1252', label: 'Western European (Windows-1252: English, French, German, Spanish…)' },
  { value: 'windows-1250', label: 'Central European (Windows-1250: Polish, Czech, Hungarian…)' },
  { value: 'windows-1251', label: 'Cyrillic (Windows-1251: Russian, Bulgarian, Ukrainian…)' },
  { value: 'windows-1253', label: 'Greek (Windows-1253)' },
  { value: 'windows-1254', label: 'Turkish (Windows-1254)' },
  { value: 'windows-1257', label: 'Baltic (Windows-1257)' },
  { value: 'iso-8859-15', label: 'Western European (ISO-8859-15, older Unix programs)' },
  { value: 'macintosh', label: 'Western European (Mac OS Roman, old Mac programs)' },
  { value: 'utf-16le', label: 'UTF-16 (Excel "Unicode Text")' },
  { value: 'utf-16be', label: 'UTF-16 big-endian' },
] as const;

export const importLayoutSchema = z.object({
  format: z.enum(['csv', 'vcard', 'lines']),
  encoding: z.string(),
  delimiter: z.string().nullable(),
  /** The provider file recognised from its header (mailchimp-subscribed, outlook, google, shopify, ...), if any. */
  recognised: z.string().nullable(),
  /** What the reader noticed (an encoding guessed, a code page suggested, a sep= line, more addresses in a vCard); kept with an import. */
  notes: z.array(z.string()).optional(),
});
export type ImportLayout = z.infer<typeof importLayoutSchema>;

export const importColumnSchema = z.object({
  index: z.number(),
  /** The header as written (empty string for an unnamed column). */
  name: z.string(),
  /** The field it maps to by default, if any. */
  field: z.string().nullable(),
  /** First values, decoded. */
  samples: z.array(z.string()),
});

/** What the wizard shows after choosing a file. */
export const importPreviewSchema = z.object({
  fileName: z.string(),
  fileSize: z.number(),
  layout: importLayoutSchema,
  columns: z.array(importColumnSchema),
  /** The first rows, decoded, as cells. */
  rows: z.array(z.array(z.string())),
  mapping: importMappingSchema,
  /** Problems seen while reading the preview (an encoding guess, a sep= line, ...). */
  notes: z.array(z.string()),
});
export type ImportPreview = z.infer<typeof importPreviewSchema>;

export const importCountsSchema = z.object({
  records: z.number(),
  blank: z.number(),
  added: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  /** Rows whose address is suppressed, now or already. */
  suppressed: z.number(),
  /** Rows left out (no address, invalid, duplicate, malformed). */
  skipped: z.number(),
  /** Rows that said no to email marketing (Shopify "Accepts Email Marketing" = no): kept as contacts, not subscribed. */
  declined: z.number().optional(),
  /** Suppressions this import added (a provider's unsubscribed or cleaned file, `suppressions import`). */
  suppressionsAdded: z.number().optional(),
});
export type ImportCounts = z.infer<typeof importCountsSchema>;

export const importReportSchema = importCountsSchema.extend({
  /** null for a dry run. */
  importId: z.number().nullable(),
  dryRun: z.boolean(),
  fileName: z.string(),
  fileSha256: z.string(),
  encoding: z.string(),
  delimiter: z.string().nullable(),
  recognised: z.string().nullable(),
  mapping: importMappingSchema,
  problems: z.array(importProblemSchema),
  /** How many problems there were in all (the list may be cut for IPC). */
  problemCount: z.number(),
  /** What the reader noticed about the file as a whole (an encoding guessed, a code page suggested, ...). */
  notes: z.array(z.string()),
});
export type ImportReport = z.infer<typeof importReportSchema>;

/** `suppressions import`: a plain list or a provider's suppression export; nothing but suppressions changes. */
export const suppressionImportOptionsSchema = z.strictObject({
  /** Why these addresses are suppressed; from the file's kind when absent (unsubscribed, bounced), else imported. */
  reason: suppressionReasonSchema.exclude(['erased']).optional(),
  encoding: z.string().max(40).optional(),
  delimiter: z.string().max(5).optional(),
  mapping: importMappingSchema.optional(),
  dryRun: z.boolean().default(false),
});
export type SuppressionImportOptions = z.input<typeof suppressionImportOptionsSchema>;

export const importProgressSchema = z.object({
  jobId: z.string(),
  phase: z.enum(['reading', 'checking', 'saving', 'done', 'cancelled', 'failed']),
  /** Bytes read of the file, for the bar. */
  done: z.number(),
  total: z.number(),
  records: z.number(),
});
export type ImportProgress = z.infer<typeof importProgressSchema>;

export const importSummarySchema = z.object({
  id: z.number(),
  fileName: z.string(),
  state: z.enum(['committed', 'undone']),
  counts: importCountsSchema,
  createdAt: z.number(),
  undoneAt: z.number().nullable(),
});
export type ImportSummary = z.infer<typeof importSummarySchema>;
