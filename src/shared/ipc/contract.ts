import { z } from 'zod';
import { statusReportSchema } from '../domain/delivery.ts';
import type { ErrorCode } from '../errors.ts';
import type { IpcChannel, IpcEvent } from './channels.ts';

// Per channel: what the renderer may send and what main answers. Types are inferred
// from these schemas, never written twice. Main validates both directions: input so a
// bad request gets a VALIDATION envelope, output so nothing undeclared (a secret, an
// internal path) can leave main by accident, since zod strips unknown keys.

/** Channels that take no arguments accept nothing, or an empty object and nothing more. */
const noInput = z.strictObject({}).optional();

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
});
export type AppInfo = z.infer<typeof appInfoSchema>;

export const IPC_CONTRACT = {
  'relay.status': { input: noInput, output: statusReportSchema },
  'app.info': { input: noInput, output: appInfoSchema },
} as const satisfies Record<IpcChannel, { input: z.ZodType; output: z.ZodType }>;

export const IPC_EVENT_PAYLOADS = {
  'engine.state': engineStateSchema,
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
