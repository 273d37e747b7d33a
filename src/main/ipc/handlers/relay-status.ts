import type { IpcOutput } from '../../../shared/ipc/contract.ts';
import type { Engine } from '../../engine/engine.ts';

/** The relay's address, state, domains and delivery counts, as `mailroom status` shows them. */
export function relayStatus(engine: Engine): IpcOutput<'relay.status'> {
  return engine.status();
}
