import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { ErrorCode } from '../../shared/errors.ts';
import { describeError } from '../../shared/errors.ts';
import { IPC_CHANNELS, type IpcChannel, isIpcChannel } from '../../shared/ipc/channels.ts';
import { IPC_CONTRACT, type IpcEnvelope, type IpcOutput, type IpcParsedInput } from '../../shared/ipc/contract.ts';
import type { Logger } from '../engine/log.ts';

// Two layers: `createIpcDispatcher` is the whole IPC policy (sender check, input
// validation, the call, output validation, the envelope) as a plain function, so unit
// and browser tests run it under Node; `bindIpcMain` only plugs it into ipcMain.
// Electron is imported for types only, so loading this module never pulls in the
// electron package (which would try to download its binary under plain Node).

export type IpcHandlers = {
  [C in IpcChannel]: (input: IpcParsedInput<C>) => IpcOutput<C> | Promise<IpcOutput<C>>;
};

/** Whether a request from a page at this URL may be served. */
export type SenderCheck = (senderUrl: string) => boolean;

export type IpcDispatch = (channel: unknown, senderUrl: string, input: unknown) => Promise<IpcEnvelope<unknown>>;

export function rejection(code: ErrorCode, message: string): IpcEnvelope<never> {
  return { ok: false, error: { code, message } };
}

export function createIpcDispatcher(
  handlers: IpcHandlers,
  isTrustedSender: SenderCheck,
  opts: { log?: Logger } = {},
): IpcDispatch {
  return async (channel, senderUrl, input) => {
    if (!safely(() => isTrustedSender(senderUrl))) {
      opts.log?.warn('refused an IPC request from a foreign page', { channel: String(channel), sender: senderUrl });
      return rejection('FORBIDDEN_SENDER', 'Only the Mailroom window may make this request; it was refused.');
    }
    if (!isIpcChannel(channel)) {
      return rejection('UNKNOWN_CHANNEL', `There is no request named ${JSON.stringify(String(channel))} in Mailroom.`);
    }
    const contract = IPC_CONTRACT[channel];
    const parsed = contract.input.safeParse(input);
    if (!parsed.success) {
      return rejection('VALIDATION', `The "${channel}" request was not valid: ${formatIssues(parsed.error.issues)}.`);
    }
    let data: unknown;
    try {
      const handler = handlers[channel] as (input: unknown) => unknown;
      data = await handler(parsed.data);
    } catch (err) {
      const { code, message } = describeError(err);
      if (code === 'INTERNAL') opts.log?.error('IPC handler failed', { channel, error: message });
      return rejection(code, message);
    }
    const checked = contract.output.safeParse(data);
    if (!checked.success) {
      // A bug in main, not the user's doing: say so without leaking the data.
      opts.log?.error('IPC handler answered outside its contract', {
        channel,
        issues: formatIssues(checked.error.issues),
      });
      return rejection('INTERNAL', `Mailroom could not answer the "${channel}" request (its answer was malformed).`);
    }
    return { ok: true, data: checked.data };
  };
}

/**
 * Plugs the dispatcher into ipcMain, one handler per contract channel. Only the main
 * frame of our own window gets through to the URL check: a subframe or another
 * webContents is refused even if it shows one of our pages.
 */
export function bindIpcMain(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  dispatch: IpcDispatch,
  isOwnWindow: (sender: WebContents) => boolean,
): () => void {
  for (const channel of IPC_CHANNELS) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, input: unknown) => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isOwnWindow(event.sender)) {
        return rejection('FORBIDDEN_SENDER', 'Only the Mailroom window may make this request; it was refused.');
      }
      return dispatch(channel, frame.url, input);
    });
  }
  return () => {
    for (const channel of IPC_CHANNELS) ipcMain.removeHandler(channel);
  };
}

function safely(check: () => boolean): boolean {
  try {
    return check() === true;
  } catch {
    return false;
  }
}

function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ')
    .replace(/\.$/, '');
}
