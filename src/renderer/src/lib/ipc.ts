import { describeErrorCode } from '../../../shared/errors.ts';
import type { IpcChannel, IpcEvent } from '../../../shared/ipc/channels.ts';
import {
  IPC_EVENT_PAYLOADS,
  type IpcEnvelope,
  type IpcEventPayload,
  type IpcInput,
  type IpcOutput,
} from '../../../shared/ipc/contract.ts';

/** A failed IPC call: `code` is from the error registry, `message` says what to do next. */
export class IpcError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
  }

  /** The registry's one-line description of the code. */
  get description(): string {
    return describeErrorCode(this.code);
  }
}

/** Channels without input may be called with none. */
type InputArgs<C extends IpcChannel> = undefined extends IpcInput<C> ? [input?: IpcInput<C>] : [input: IpcInput<C>];

/** Calls main and returns the data, or throws an IpcError; never returns an envelope. */
export async function call<C extends IpcChannel>(channel: C, ...args: InputArgs<C>): Promise<IpcOutput<C>> {
  const bridge = window.mailroom;
  if (!bridge) {
    throw new IpcError('INTERNAL', 'This page is not connected to Mailroom (it must be opened by the Mailroom app).');
  }
  let answer: unknown;
  try {
    answer = await bridge.invoke(channel, args[0]);
  } catch (err) {
    throw new IpcError('INTERNAL', err instanceof Error ? err.message : String(err));
  }
  if (!isEnvelope(answer)) throw new IpcError('INTERNAL', `Mailroom gave a malformed answer to "${channel}".`);
  if (!answer.ok) throw new IpcError(answer.error.code, answer.error.message);
  return answer.data as IpcOutput<C>;
}

/** Listens to a main-process event; payloads that do not match the contract are dropped. */
export function subscribe<E extends IpcEvent>(event: E, listener: (payload: IpcEventPayload<E>) => void): () => void {
  const bridge = window.mailroom;
  if (!bridge) return () => {};
  return bridge.on(event, (payload) => {
    const parsed = IPC_EVENT_PAYLOADS[event].safeParse(payload);
    if (parsed.success) listener(parsed.data as IpcEventPayload<E>);
  });
}

export function toIpcError(err: unknown): IpcError {
  if (err instanceof IpcError) return err;
  return new IpcError('INTERNAL', err instanceof Error ? err.message : String(err));
}

function isEnvelope(x: unknown): x is IpcEnvelope<unknown> {
  if (typeof x !== 'object' || x === null || !('ok' in x)) return false;
  if (x.ok === true) return 'data' in x;
  if (x.ok !== false || !('error' in x)) return false;
  const e = x.error as { code?: unknown; message?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string';
}
