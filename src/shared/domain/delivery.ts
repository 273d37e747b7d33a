import { z } from 'zod';

export const DELIVERY_STATUSES = [
  'queued',
  'sending',
  'deferred',
  'delivered',
  'bounced',
  'cancelled',
  'unknown',
] as const;
export const deliveryStatusSchema = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

export const MESSAGE_SOURCES = ['relay', 'campaign', 'test', 'bounce'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

export const statusReportSchema = z.object({
  dataDir: z.string(),
  relay: z.object({
    host: z.string(),
    port: z.number(),
    address: z.string(),
    running: z.boolean(),
    runningPid: z.number().nullable(),
    username: z.string().nullable(),
  }),
  secretStore: z.string(),
  sendingDomains: z.array(z.string()),
  messages: z.number(),
  deliveries: z.record(deliveryStatusSchema, z.number()),
});
export type StatusReport = z.infer<typeof statusReportSchema>;
