import { z } from 'zod';
import { deliveryStatusSchema } from './delivery.ts';

// The delivery log as the window and the CSV export see it: one row per recipient,
// filtered, sorted and paged with a keyset cursor so a page costs the same at row
// 1 as at row 1,000,000 (OFFSET would read and throw away every row before it).

export const LOG_SORTS = ['newest', 'oldest', 'recently-updated', 'recipient'] as const;
export type LogSort = (typeof LOG_SORTS)[number];

export const LOG_PAGE_SIZES = [25, 50, 100, 200] as const;

/** What the user filters by. Every field is optional; an empty filter is the whole log. */
export const logFilterSchema = z.strictObject({
  /** Any of these statuses; empty or absent means all. */
  statuses: z.array(deliveryStatusSchema).max(7).optional(),
  /** The recipient's domain, exactly (case-insensitive). */
  domain: z.string().trim().max(253).optional(),
  /** Queued at or after this time (ms since the epoch). */
  since: z.number().int().nonnegative().optional(),
  /** Queued before this time (ms since the epoch). */
  until: z.number().int().nonnegative().optional(),
  /** Words found in the recipient, envelope sender, subject, queue id or Message-ID. */
  text: z.string().trim().max(200).optional(),
});
export type LogFilter = z.infer<typeof logFilterSchema>;

export const logQuerySchema = z.strictObject({
  filter: logFilterSchema.default({}),
  sort: z.enum(LOG_SORTS).default('newest'),
  pageSize: z.union(LOG_PAGE_SIZES.map((n) => z.literal(n))).default(50),
  /** From a previous page's `next` or `previous`; absent for the first page. */
  cursor: z.string().max(2000).optional(),
});
export type LogQuery = z.input<typeof logQuerySchema>;
export type LogQueryParsed = z.output<typeof logQuerySchema>;

export const logRowSchema = z.object({
  id: z.number(),
  messageId: z.number(),
  queueId: z.string(),
  source: z.string(),
  mailFrom: z.string(),
  subject: z.string().nullable(),
  recipient: z.string(),
  domain: z.string(),
  status: deliveryStatusSchema,
  attempts: z.number(),
  /** When the next attempt is due, for queued and deferred deliveries. */
  nextAttemptAt: z.number().nullable(),
  lastCode: z.number().nullable(),
  lastEnhanced: z.string().nullable(),
  lastResponse: z.string().nullable(),
  category: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type LogRow = z.infer<typeof logRowSchema>;

export const logPageSchema = z.object({
  rows: z.array(logRowSchema),
  /** Cursor for the following page in the chosen order; null at the end. */
  next: z.string().nullable(),
  /** Cursor for the page before this one; null on the first page. */
  previous: z.string().nullable(),
  /** How many rows match, counted up to `capped` (then "more than"). */
  total: z.object({ count: z.number(), capped: z.boolean() }),
});
export type LogPage = z.infer<typeof logPageSchema>;

export const logEventSchema = z.object({
  at: z.number(),
  kind: z.string(),
  route: z.string().nullable(),
  remoteHost: z.string().nullable(),
  tls: z.boolean().nullable(),
  code: z.number().nullable(),
  enhanced: z.string().nullable(),
  response: z.string().nullable(),
  detail: z.string().nullable(),
});
export type LogEvent = z.infer<typeof logEventSchema>;

export const logDetailSchema = z.object({
  delivery: logRowSchema,
  message: z.object({
    id: z.number(),
    queueId: z.string(),
    source: z.string(),
    mailFrom: z.string(),
    headerFrom: z.string().nullable(),
    subject: z.string().nullable(),
    headerMessageId: z.string().nullable(),
    size: z.number(),
    createdAt: z.number(),
    /** Header fields as stored (unfolded, not decoded), in order; at most 200. */
    headers: z.array(z.object({ name: z.string(), value: z.string() })),
    /** How many recipients this message had, in all. */
    recipients: z.number(),
    /** When retention removed the message's body (its headers are kept); null while it is kept. */
    bodyRemovedAt: z.number().nullable(),
  }),
  /** Every event of this delivery, oldest first. */
  events: z.array(logEventSchema),
});
export type LogDetail = z.infer<typeof logDetailSchema>;

/** Deliveries acted on, and the ones left alone with the reason. */
export const logActionResultSchema = z.object({
  changed: z.number(),
  skipped: z.array(z.object({ id: z.number(), reason: z.string() })),
});
export type LogActionResult = z.infer<typeof logActionResultSchema>;

export const todayCountsSchema = z.object({
  delivered: z.number(),
  deferred: z.number(),
  bounced: z.number(),
});
export type TodayCounts = z.infer<typeof todayCountsSchema>;
