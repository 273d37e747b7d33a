import type { IpcEvent } from '../../../shared/ipc/channels.ts';
import type { EngineState, IpcEventPayload } from '../../../shared/ipc/contract.ts';
import type { Desktop } from '../../desktop/desktop.ts';
import type { Engine } from '../../engine/engine.ts';
import type { LiveStatus } from '../../engine/live-status.ts';
import type { IpcHandlers } from '../register.ts';
import { appHandlers } from './app.ts';
import { contactHandlers } from './contacts.ts';
import { dnsHandlers } from './dns.ts';
import { domainHandlers } from './domains.ts';
import { importHandlers } from './imports.ts';
import { logHandlers } from './log.ts';
import { relayHandlers } from './relay.ts';
import { routeHandlers } from './route.ts';

export interface HandlerContext {
  engine: Engine;
  appVersion: string;
  /** The app's engine lifecycle; tests without a running relay pass a fixed state. */
  engineState: () => EngineState;
  /** Clipboard, native dialogs, login item: Electron in the app, a test double in browser tests. */
  desktop: Desktop;
  live: LiveStatus;
  /**
   * Starts the engine in this process after it failed to (the app passes this; it
   * also updates the engine state). Absent in tests that run without the app shell.
   */
  startEngine?: () => Promise<void>;
  /** Sends an event to the window, if it is open. */
  emit: <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>) => void;
}

/**
 * The handler map for every contract channel; the compiler insists none is missing.
 * Handlers stay thin: call one service, shape the answer. After a change they ask
 * the live status for a check, so the dashboard and tray follow at once.
 */
export function createHandlers(ctx: HandlerContext): IpcHandlers {
  return {
    ...appHandlers(ctx),
    ...logHandlers(ctx),
    ...relayHandlers(ctx),
    ...routeHandlers(ctx),
    ...domainHandlers(ctx),
    ...dnsHandlers(ctx),
    ...contactHandlers(ctx),
    ...importHandlers(ctx),
  };
}
