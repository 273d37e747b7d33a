import { z } from 'zod';

// Campaigns: shapes shared by the engine, the CLI and (later) the window. Types are
// inferred from these schemas, never written twice.

export const CAMPAIGN_STATES = ['draft', 'scheduled', 'sending', 'paused', 'finished', 'cancelled'] as const;
export const campaignStateSchema = z.enum(CAMPAIGN_STATES);
export type CampaignState = z.infer<typeof campaignStateSchema>;

/**
 * Merge fields every contact has, besides the custom fields (contact_fields.key).
 * `unsubscribe_url` and `postal_address` are filled by Mailroom, not from the contact.
 */
export const BUILTIN_MERGE_FIELDS = [
  'email',
  'first_name',
  'last_name',
  'company',
  'unsubscribe_url',
  'postal_address',
] as const;

const id = z.number().int().positive();

/** What a user edits in a draft. Every field is optional on update. */
export const campaignDraftSchema = z.object({
  name: z.string().trim().min(1, 'Give the campaign a name.').max(200),
  fromName: z.string().trim().max(200),
  fromAddress: z.string().trim().max(254),
  replyTo: z.string().trim().max(254),
  subject: z.string().max(998),
  preheader: z.string().max(500),
  html: z.string().max(10_000_000),
  /** Plain-text part; '' = made from the HTML when the campaign is launched. */
  text: z.string().max(10_000_000),
  listIds: z.array(id).max(1000),
  segmentIds: z.array(id).max(1000),
});
export type CampaignDraft = z.infer<typeof campaignDraftSchema>;
export const campaignCreateSchema = campaignDraftSchema.partial().required({ name: true });
export type CampaignCreate = z.infer<typeof campaignCreateSchema>;
export const campaignUpdateSchema = campaignDraftSchema.partial();
export type CampaignUpdate = z.infer<typeof campaignUpdateSchema>;

export const campaignAttachmentSchema = z.object({
  position: z.number().int().nonnegative(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  /** Content id for an inline image the HTML shows as cid:…; null for an ordinary attachment. */
  cid: z.string().nullable(),
});
export type CampaignAttachment = z.infer<typeof campaignAttachmentSchema>;

export const campaignScheduleSchema = z.object({
  /** Wall time as the user chose it: 'YYYY-MM-DDTHH:MM'. */
  local: z.string(),
  /** IANA time zone, e.g. Europe/Paris. */
  zone: z.string(),
  /** The instant it means (ms since the epoch), after moving out of a DST gap. */
  at: z.number(),
});
export type CampaignSchedule = z.infer<typeof campaignScheduleSchema>;

export const campaignSchema = campaignDraftSchema.extend({
  id,
  state: campaignStateSchema,
  /** Plain text last edited by hand (ms), or null when it is made from the HTML. */
  textEditedAt: z.number().nullable(),
  htmlChangedAt: z.number().nullable(),
  schedule: campaignScheduleSchema.nullable(),
  /** The frozen version being sent; null until launch. */
  versionId: z.number().nullable(),
  /** When every recipient row existed (the launch finished); null before or during the launch. */
  launchedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  editedAt: z.number(),
  testedAt: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  attachments: z.array(campaignAttachmentSchema),
});
export type Campaign = z.infer<typeof campaignSchema>;

/** `campaigns status ID --json`. Every count is derived from the recipients' delivery rows. */
export const campaignStatusSchema = z.object({
  state: campaignStateSchema,
  recipients: z.number(),
  /** Not tried yet. */
  waiting: z.number(),
  sending: z.number(),
  delivered: z.number(),
  /** Tried, failed for now, will be tried again. */
  deferred: z.number(),
  bounced: z.number(),
  /** Left unsent: suppressed, unsubscribed or erased by the time they were due. */
  suppressed: z.number(),
  cancelled: z.number(),
  /** The connection was lost after the message was sent: it may have arrived. */
  unknown: z.number(),
  /** Bounced because the queue gave up (lifetime over): "retry failed" re-arms these. */
  expired: z.number().optional(),
  /** Why nothing is leaving right now, in words ("daily limit reached, resumes at 00:00"). */
  reason: z.string().optional(),
  /** When the rest is expected to have left, given the route's rate and daily cap. */
  estimatedFinish: z.object({ at: z.number(), text: z.string() }).optional(),
  /** The launch is still creating recipient rows. */
  launching: z.boolean().optional(),
});
export type CampaignStatus = z.infer<typeof campaignStatusSchema>;

export const CHECK_STATUSES = ['ok', 'warning', 'error', 'not-checked'] as const;
export const campaignCheckSchema = z.object({
  id: z.string(),
  status: z.enum(CHECK_STATUSES),
  /** What was found, as a sentence. */
  message: z.string(),
  /** What to do about it; '' when nothing is needed. */
  fix: z.string(),
  /** Where in the window it is fixed (issue 16 uses it for a button): 'editor', 'domains', 'settings', 'audience'. */
  where: z.string().optional(),
});
export type CampaignCheck = z.infer<typeof campaignCheckSchema>;
/** `campaigns check ID --json`: errors block sending. */
export const campaignCheckResultSchema = z.object({
  canSend: z.boolean(),
  checks: z.array(campaignCheckSchema),
});
export type CampaignCheckResult = z.infer<typeof campaignCheckResultSchema>;

/**
 * What launch freezes: everything a recipient's copy is rendered from. Stored as JSON in
 * campaign_versions.content and never changed afterwards.
 */
export const frozenVersionSchema = z.object({
  campaignId: id,
  campaignName: z.string(),
  fromName: z.string(),
  fromAddress: z.string(),
  replyTo: z.string(),
  subject: z.string(),
  preheader: z.string(),
  html: z.string(),
  text: z.string(),
  attachments: z.array(campaignAttachmentSchema),
  /** Envelope sender (Return-Path). */
  bounceAddress: z.string(),
  /** Where unsubscribe mails go (mailto); the token travels in the subject. */
  unsubscribeMailbox: z.string(),
  /** HTTPS one-click base address, or null: then no List-Unsubscribe-Post header. */
  unsubscribeUrl: z.string().nullable(),
  postalAddress: z.string(),
  /** List-Id header value, e.g. "Shop news <c12.shop.example>". */
  listId: z.string(),
  /** Feedback-ID header value for Gmail's postmaster tools. */
  feedbackId: z.string(),
  /** Merge fields the templates use (builtin and custom keys). */
  mergeFields: z.array(z.string()),
  /** Frozen at: ms since the epoch. */
  frozenAt: z.number(),
});
export type FrozenVersion = z.infer<typeof frozenVersionSchema>;
