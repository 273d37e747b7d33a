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
    /** The server name for a mail program: "localhost" when the relay answers on 127.0.0.1 and ::1, else the address. */
    host: z.string(),
    port: z.number(),
    /** host:port as a mail program would use it. */
    address: z.string(),
    /** Every address the running relay listens on (127.0.0.1 and ::1 by default); empty when it is not running. */
    listening: z.array(z.string()),
    running: z.boolean(),
    runningPid: z.number().nullable(),
    username: z.string().nullable(),
    /** Logins refused because someone kept guessing the relay password: now, or until a while ago. */
    loginBlock: z
      .object({
        /** Who was refused, in words: "this computer (127.0.0.1 and ::1)" or an address. */
        client: z.string(),
        /** Every program on this computer was refused, the user's own mail programs too. */
        thisComputer: z.boolean(),
        failures: z.number(),
        /** First counted failure (ms since the epoch). */
        since: z.number(),
        until: z.number(),
        active: z.boolean(),
      })
      .nullable(),
  }),
  secretStore: z.string(),
  sendingDomains: z.array(z.string()),
  messages: z.number(),
  deliveries: z.record(deliveryStatusSchema, z.number()),
  delivery: z.object({
    route: z.enum(['direct', 'smarthost']),
    /** Where mail goes, in words: "each recipient's mail server" or "smtp.example.com:587 (STARTTLS)". */
    target: z.string(),
    /** Why nothing is leaving right now, in plain words; null when mail flows. */
    waiting: z.string().nullable(),
    dailyCap: z.object({ cap: z.number(), sentToday: z.number() }).nullable(),
    /** Sending domains with no DKIM key: their mail goes out unsigned. */
    unsignedDomains: z.array(z.string()),
  }),
});
export type StatusReport = z.infer<typeof statusReportSchema>;

/**
 * Why a delivery attempt ended the way it did, as derived from the receiving server's
 * reply or the transport error. `reputation` means an IP/domain reputation or block
 * list (DNSBL) refusal; `policy` a content-independent policy refusal (DMARC, SPF…).
 */
export const DELIVERY_CATEGORIES = [
  'recipient',
  'mailbox-full',
  'rate-limit',
  'reputation',
  'policy',
  'dns',
  'network',
  'tls',
  'auth',
  'protocol',
  'content',
  'unknown',
  // A campaign delivery left unsent because, by the time it was due, the address was on the
  // do-not-send list, had unsubscribed from the campaign's lists, or the contact was erased.
  'suppressed',
] as const;
export type DeliveryCategory = (typeof DELIVERY_CATEGORIES)[number];
