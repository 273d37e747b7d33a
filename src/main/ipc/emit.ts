import type { WebContents } from 'electron';
import type { IpcEvent } from '../../shared/ipc/channels.ts';
import { IPC_EVENT_PAYLOADS, type IpcEventPayload } from '../../shared/ipc/contract.ts';

/**
 * The one way main sends an event to the renderer. The window may be gone (closed,
 * crashed) while the engine keeps working, so a destroyed target is skipped, not an
 * error. Payloads are parsed like IPC answers, so nothing undeclared leaves main.
 */
export function emit<E extends IpcEvent>(
  target: Pick<WebContents, 'isDestroyed' | 'send'> | null | undefined,
  event: E,
  payload: IpcEventPayload<E>,
): boolean {
  if (!target || target.isDestroyed()) return false;
  target.send(event, IPC_EVENT_PAYLOADS[event].parse(payload));
  return true;
}
