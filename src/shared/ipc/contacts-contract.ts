import { z } from 'zod';
import {
  contactDetailSchema,
  contactFieldSchema,
  contactFilterSchema,
  contactInputSchema,
  contactPageSchema,
  contactQuerySchema,
  fieldValueSchema,
  importOptionsSchema,
  importPreviewSchema,
  importProgressSchema,
  importReportSchema,
  importSummarySchema,
  listNameSchema,
  listSummarySchema,
  segmentDefinitionSchema,
  segmentSummarySchema,
  suppressionReasonSchema,
  suppressionSchema,
} from '../domain/contacts.ts';

// The contacts section and the import wizard over IPC. Kept apart from contract.ts so the
// channels of one feature read together; contract.ts spreads them into IPC_CONTRACT.
// Shapes come from src/shared/domain/contacts.ts; only what IPC alone needs is defined here.

const noInput = z.strictObject({}).optional();
const id = z.number().int().positive();

/** The people a bulk action applies to: picked rows, or everything a filter matches. */
export const contactTargetSchema = z.union([
  z.strictObject({ ids: z.array(id).min(1).max(1000) }),
  z.strictObject({ filter: contactFilterSchema }),
]);
export type ContactTarget = z.infer<typeof contactTargetSchema>;

export const BULK_ACTIONS = ['add-to-list', 'remove-from-list', 'tag', 'untag', 'unsubscribe'] as const;
export const bulkActionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('add-to-list'), target: contactTargetSchema, listId: id }),
  z.strictObject({ action: z.literal('remove-from-list'), target: contactTargetSchema, listId: id }),
  z.strictObject({ action: z.literal('tag'), target: contactTargetSchema, tag: z.string().trim().min(1).max(100) }),
  z.strictObject({ action: z.literal('untag'), target: contactTargetSchema, tag: z.string().trim().min(1).max(100) }),
  /** Unsubscribes from one list, or from every list they are on when listId is absent. */
  z.strictObject({ action: z.literal('unsubscribe'), target: contactTargetSchema, listId: id.optional() }),
]);
export type BulkAction = z.infer<typeof bulkActionSchema>;

export const tagSummarySchema = z.object({ id: z.number(), name: z.string(), contacts: z.number().optional() });

export const suppressionQuerySchema = z.strictObject({
  /** Words at the start of the address. */
  search: z.string().trim().max(200).optional(),
  reason: suppressionReasonSchema.optional(),
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
/** Newest first; `next` continues, null at the end. */
export const suppressionPageSchema = z.object({
  rows: z.array(suppressionSchema),
  next: z.string().nullable(),
});
export type SuppressionPage = z.infer<typeof suppressionPageSchema>;

/** A stated reason is required to lift a suppression: it is kept in the record. */
const statedReason = z.string().trim().min(3, 'Write why this address may receive mail again.').max(500);

/** What a bulk action did, with a sentence for the person. */
const bulkResult = z.object({ selected: z.number(), changed: z.number(), message: z.string() });
const listRef = z.object({ id: z.number(), name: z.string() });

/** Editing one contact: only what is given changes; a field set to null or '' is removed. */
export const contactPatchSchema = z.strictObject({
  address: z.string().trim().min(1).max(320).optional(),
  firstName: z.string().trim().max(255).optional(),
  lastName: z.string().trim().max(255).optional(),
  company: z.string().trim().max(255).optional(),
  fields: z.record(z.string(), z.union([fieldValueSchema, z.null()])).optional(),
});

const savedFile = z.object({ saved: z.boolean(), path: z.string().nullable(), rows: z.number() });

/** The file chosen in the native dialog, known to the window only by this token; main keeps its path. */
export const chosenFileSchema = z.object({ token: z.string(), fileName: z.string(), size: z.number() });
export type ChosenFile = z.infer<typeof chosenFileSchema>;
const token = z.string().min(1).max(100);

/** At most this many problem rows cross IPC with a report; the downloaded report has them all. */
export const REPORT_PROBLEMS_SHOWN = 5000;

export const CONTACTS_CONTRACT = {
  'lists.list': { input: noInput, output: z.array(listSummarySchema) },
  'lists.create': { input: z.strictObject({ name: listNameSchema }), output: listRef },
  'lists.rename': { input: z.strictObject({ id, name: listNameSchema }), output: listRef },
  /** Deletes the list only: its people, their other lists and suppressions stay. */
  'lists.remove': { input: z.strictObject({ id }), output: z.null() },
  'contacts.query': { input: contactQuerySchema, output: contactPageSchema },
  'contacts.get': { input: z.strictObject({ id }), output: contactDetailSchema },
  'contacts.add': { input: contactInputSchema, output: contactDetailSchema },
  'contacts.update': { input: z.strictObject({ id, patch: contactPatchSchema }), output: contactDetailSchema },
  /** Erasure: the contacts go, a hashed suppression stays so an import cannot bring them back. */
  'contacts.remove': { input: contactTargetSchema, output: bulkResult },
  'contacts.bulk': { input: bulkActionSchema, output: bulkResult },
  'contacts.tags': { input: noInput, output: z.array(tagSummarySchema) },
  'contacts.fields': { input: noInput, output: z.array(contactFieldSchema) },
  /** A list (optionally one status there) or a segment to CSV, through the save dialog. */
  'contacts.export': {
    input: z.union([z.strictObject({ listId: id }), z.strictObject({ segmentId: id })]),
    output: savedFile,
  },
  'segments.list': { input: noInput, output: z.array(segmentSummarySchema) },
  'segments.create': {
    input: z.strictObject({ name: z.string().trim().min(1).max(100), definition: segmentDefinitionSchema }),
    output: segmentSummarySchema,
  },
  'segments.update': {
    input: z.strictObject({
      id,
      name: z.string().trim().min(1).max(100).optional(),
      definition: segmentDefinitionSchema.optional(),
    }),
    output: segmentSummarySchema,
  },
  'segments.remove': { input: z.strictObject({ id }), output: z.null() },
  /** How many contacts a definition (saved or being built) matches now. */
  'segments.count': {
    input: z.union([z.strictObject({ id }), z.strictObject({ definition: segmentDefinitionSchema })]),
    output: z.object({ count: z.number() }),
  },
  'suppressions.list': { input: suppressionQuerySchema, output: suppressionPageSchema },
  'suppressions.add': {
    input: z.strictObject({
      address: z.string().trim().min(1).max(320),
      reason: suppressionReasonSchema.default('manual'),
      note: z.string().trim().max(500).optional(),
    }),
    output: z.object({ added: z.boolean(), message: z.string(), suppression: suppressionSchema }),
  },
  'suppressions.remove': {
    input: z.strictObject({ address: z.string().trim().min(1).max(320), reason: statedReason }),
    output: z.null(),
  },
  'suppressions.export': { input: noInput, output: savedFile },
  /** The native open dialog; null when the user cancelled. */
  'imports.chooseFile': { input: noInput, output: chosenFileSchema.nullable() },
  'imports.preview': {
    input: z.strictObject({
      token,
      encoding: z.string().max(40).optional(),
      delimiter: z.string().max(5).optional(),
    }),
    output: importPreviewSchema,
  },
  /** Starts reading (a dry run or the import); progress arrives as `imports.progress` events. */
  'imports.start': {
    input: z.strictObject({ token, options: importOptionsSchema }),
    output: z.object({ jobId: z.string() }),
  },
  /** Answers when the job ends: its report, or CANCELLED / an error. */
  'imports.result': { input: z.strictObject({ jobId: token }), output: importReportSchema },
  'imports.cancel': { input: z.strictObject({ jobId: token }), output: z.null() },
  'imports.list': { input: noInput, output: z.array(importSummarySchema) },
  'imports.report': { input: z.strictObject({ importId: id }), output: importReportSchema },
  'imports.downloadReport': { input: z.strictObject({ importId: id }), output: savedFile },
  'imports.undo': { input: z.strictObject({ importId: id }), output: importSummarySchema },
} as const;

export const CONTACTS_EVENT_PAYLOADS = {
  'imports.progress': importProgressSchema,
} as const;
