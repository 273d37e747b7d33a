import { z } from 'zod';
import { backupSummarySchema, dataSizeSchema } from '../domain/backup.ts';
import { dashboardSchema } from '../domain/dashboard.ts';
import { statusReportSchema } from '../domain/delivery.ts';
import {
  LOG_SORTS,
  logActionResultSchema,
  logDetailSchema,
  logFilterSchema,
  logPageSchema,
  logQuerySchema,
} from '../domain/delivery-log.ts';
import { domainCheckSchema, domainReadinessSchema, wizardPlanSchema, wizardRouteSchema } from '../domain/dns.ts';
import { SETTING_KEYS, SETTINGS, type Settings } from '../domain/settings.ts';
import type { ErrorCode } from '../errors.ts';
import type { IpcChannel, IpcEvent } from './channels.ts';
import { CONTACTS_CONTRACT, CONTACTS_EVENT_PAYLOADS } from './contacts-contract.ts';

// Per channel: what the renderer may send and what main answers. Types are inferred
// from these schemas, never written twice. Main validates both directions: input so a
// bad request gets a VALIDATION envelope, output so nothing undeclared (a secret, an
// internal path) can leave main by accident, since zod strips unknown keys.

/** Channels that take no arguments accept nothing, or an empty object and nothing more. */
const noInput = z.strictObject({}).optional();

const domainInput = z.strictObject({ domain: z.string().max(300) });

export const testSendStatusSchema = z.object({
  state: z.enum(['waiting', 'delivered', 'failed']),
  message: z.string(),
  signed: z.object({ domain: z.string(), selectors: z.array(z.string()) }).nullable(),
});

export const ENGINE_STATES = ['starting', 'running', 'failed', 'stopped'] as const;

export const errorInfoSchema = z.object({ code: z.string(), message: z.string() });

/** Whether the app's own engine (the relay) is up; `error` says why it is not. */
export const engineStateSchema = z.object({
  state: z.enum(ENGINE_STATES),
  error: errorInfoSchema.nullable(),
});
export type EngineState = z.infer<typeof engineStateSchema>;

export const appInfoSchema = z.object({
  version: z.string(),
  dataDir: z.string(),
  engine: engineStateSchema,
  startAtLogin: z.boolean(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

/** A batch of deliveries picked in the log. */
const deliveryIds = z.strictObject({ ids: z.array(z.number().int().positive()).min(1).max(1000) });

/** What mail programs need to send through the relay. The password itself never crosses IPC. */
export const relayDetailsSchema = z.object({
  /** The server to type into a mail program: "localhost" when the relay answers on 127.0.0.1 and ::1, else 127.0.0.1. */
  host: z.string(),
  port: z.number(),
  running: z.boolean(),
  username: z.string().nullable(),
  passwordConfigured: z.boolean(),
});
export type RelayDetails = z.infer<typeof relayDetailsSchema>;

const email = z
  .string()
  .trim()
  .min(3)
  .max(254)
  .regex(/^[^\s@<>]+@[^\s@<>]+$/, 'write an address like you@example.com');

/** Every setting with its type; the window reads them all at once. */
export const settingsSchema = z.object(
  Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS[k].schema])),
) as unknown as z.ZodType<Settings>;

export const routeTestInputSchema = z.strictObject({
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  security: z.enum(['starttls', 'tls', 'none']),
  username: z.string().max(256),
  /** A password typed but not saved yet; absent means the one in the keychain. */
  password: z.string().min(1).max(1000).optional(),
});
export type RouteTestInput = z.infer<typeof routeTestInputSchema>;

export const ROUTE_TEST_STAGES = ['connect', 'tls', 'greeting', 'auth', 'done'] as const;
export const routeTestResultSchema = z.object({
  ok: z.boolean(),
  /** How far the test got: the stage that failed, or "done". */
  stage: z.enum(ROUTE_TEST_STAGES),
  /** The server's reply code and exact words at that stage, when it said something. */
  code: z.number().nullable(),
  reply: z.string().nullable(),
  /** A sentence for the person: what happened and what to do. */
  message: z.string(),
  /** Whether the connection was encrypted. */
  tls: z.boolean(),
});
export type RouteTestResult = z.infer<typeof routeTestResultSchema>;

export const routeStateSchema = z.object({
  passwordConfigured: z.boolean(),
  /** Set while the route is held back by a failed login; the reason and the server's words. */
  pause: z
    .object({ reason: z.string(), code: z.number().nullable(), response: z.string().nullable(), pausedAt: z.number() })
    .nullable(),
});

export const sendingDomainSchema = z.object({
  domain: z.string(),
  /** DKIM keys Mailroom signs this domain's mail with; empty means unsigned. */
  dkim: z.array(z.object({ selector: z.string(), algorithm: z.string() })),
  /** Its DNS setup as of the last check (the same line the dashboard shows), and its Unicode name. */
  readiness: domainReadinessSchema,
});
export type SendingDomain = z.infer<typeof sendingDomainSchema>;

export const IPC_CONTRACT = {
  'app.info': { input: noInput, output: appInfoSchema },
  'app.setStartAtLogin': { input: z.strictObject({ enabled: z.boolean() }), output: appInfoSchema },
  'app.dataSize': { input: noInput, output: dataSizeSchema },
  /** Asks where to save (a native dialog), then writes the backup; `summary` is null when cancelled. */
  'app.backup': {
    input: noInput,
    output: z.object({ saved: z.boolean(), summary: backupSummarySchema.nullable() }),
  },
  'relay.status': { input: noInput, output: statusReportSchema },
  'dashboard.get': { input: noInput, output: dashboardSchema },
  'sending.setPaused': {
    input: z.strictObject({ paused: z.boolean() }),
    output: z.object({ paused: z.boolean() }),
  },
  'log.search': { input: logQuerySchema, output: logPageSchema },
  'log.detail': { input: z.strictObject({ id: z.number().int().positive() }), output: logDetailSchema },
  'log.retry': { input: deliveryIds, output: logActionResultSchema },
  'log.cancel': { input: deliveryIds, output: logActionResultSchema },
  'log.export': {
    input: z.strictObject({ filter: logFilterSchema.default({}), sort: z.enum(LOG_SORTS).default('newest') }),
    output: z.object({ saved: z.boolean(), path: z.string().nullable(), rows: z.number() }),
  },
  'relay.details': { input: noInput, output: relayDetailsSchema },
  'relay.copyPassword': { input: noInput, output: z.object({ clearsAfterSeconds: z.number() }) },
  'relay.showPassword': { input: noInput, output: z.object({ shown: z.boolean() }) },
  'relay.rotatePassword': { input: noInput, output: relayDetailsSchema },
  'relay.setPort': {
    input: z.strictObject({ port: z.number().int().min(1024).max(65535) }),
    output: relayDetailsSchema,
  },
  'relay.sendTest': {
    input: z.strictObject({ from: email, to: email }),
    output: z.object({ reply: z.string(), queueId: z.string().nullable() }),
  },
  'settings.get': { input: noInput, output: settingsSchema },
  'settings.update': {
    input: z.strictObject({ values: z.record(z.string(), z.unknown()) }),
    output: settingsSchema,
  },
  'route.get': { input: noInput, output: routeStateSchema },
  'route.setPassword': {
    input: z.strictObject({ password: z.string().min(1).max(1000) }),
    output: routeStateSchema,
  },
  'route.test': { input: routeTestInputSchema, output: routeTestResultSchema },
  'domains.list': { input: noInput, output: z.array(sendingDomainSchema) },
  'domains.add': { input: z.strictObject({ domain: z.string().max(300) }), output: z.array(sendingDomainSchema) },
  'domains.remove': { input: z.strictObject({ domain: z.string().max(300) }), output: z.array(sendingDomainSchema) },
  'dns.plan': { input: domainInput, output: z.object({ plan: wizardPlanSchema, check: domainCheckSchema }) },
  'dns.check': { input: domainInput, output: domainCheckSchema },
  'dns.saveProgress': {
    input: z.strictObject({
      domain: z.string().max(300),
      step: z.number().int().min(1).max(20).optional(),
      route: wizardRouteSchema.nullable().optional(),
      reportAddress: z.string().max(320).optional(),
      recordsShown: z.boolean().optional(),
    }),
    output: z.null(),
  },
  'dns.generateKey': {
    input: z.strictObject({ domain: z.string().max(300) }),
    output: z.object({ selector: z.string(), algorithm: z.string(), name: z.string(), value: z.string() }),
  },
  'dns.sendTest': {
    input: z.strictObject({ from: email, to: email }),
    output: z.object({ queueId: z.string() }),
  },
  'dns.testStatus': { input: z.strictObject({ queueId: z.string().max(100) }), output: testSendStatusSchema },
  'dns.readiness': { input: noInput, output: z.array(domainReadinessSchema) },
  ...CONTACTS_CONTRACT,
} as const satisfies Record<IpcChannel, { input: z.ZodType; output: z.ZodType }>;

export const exportProgressSchema = z.object({ done: z.number(), total: z.number().nullable() });

export const IPC_EVENT_PAYLOADS = {
  'engine.state': engineStateSchema,
  'dashboard.changed': dashboardSchema,
  'export.progress': exportProgressSchema,
  ...CONTACTS_EVENT_PAYLOADS,
} as const satisfies Record<IpcEvent, z.ZodType>;

/** What a caller passes (before parsing). */
export type IpcInput<C extends IpcChannel> = z.input<(typeof IPC_CONTRACT)[C]['input']>;
/** What a handler receives (after parsing). */
export type IpcParsedInput<C extends IpcChannel> = z.output<(typeof IPC_CONTRACT)[C]['input']>;
export type IpcOutput<C extends IpcChannel> = z.output<(typeof IPC_CONTRACT)[C]['output']>;
export type IpcEventPayload<E extends IpcEvent> = z.output<(typeof IPC_EVENT_PAYLOADS)[E]>;

/** Every IPC answer. Errors are returned, never thrown: Electron would pass only the message string. */
export type IpcEnvelope<T> = { ok: true; data: T } | { ok: false; error: { code: ErrorCode; message: string } };

/** What the preload exposes as `window.mailroom`. */
export interface MailroomBridge {
  invoke(channel: IpcChannel, input?: unknown): Promise<IpcEnvelope<unknown>>;
  /** Returns a function that removes the listener. */
  on(event: IpcEvent, listener: (payload: unknown) => void): () => void;
}
