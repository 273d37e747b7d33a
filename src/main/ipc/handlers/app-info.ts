import type { EngineState, IpcOutput } from '../../../shared/ipc/contract.ts';
import type { Engine } from '../../engine/engine.ts';

/** What the window shows about the app itself; the engine state says why the relay may be down. */
export function appInfo(engine: Engine, version: string, engineState: EngineState): IpcOutput<'app.info'> {
  return { version, dataDir: engine.paths.dataDir, engine: engineState };
}
