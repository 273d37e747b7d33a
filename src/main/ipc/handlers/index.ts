import type { EngineState } from '../../../shared/ipc/contract.ts';
import type { Engine } from '../../engine/engine.ts';
import type { IpcHandlers } from '../register.ts';
import { appInfo } from './app-info.ts';
import { relayStatus } from './relay-status.ts';

export interface HandlerContext {
  engine: Engine;
  appVersion: string;
  /** The app's engine lifecycle; tests without a running relay pass a fixed state. */
  engineState: () => EngineState;
}

/** The handler map for every contract channel; the compiler insists none is missing. */
export function createHandlers(ctx: HandlerContext): IpcHandlers {
  return {
    'relay.status': () => relayStatus(ctx.engine),
    'app.info': () => appInfo(ctx.engine, ctx.appVersion, ctx.engineState()),
  };
}
