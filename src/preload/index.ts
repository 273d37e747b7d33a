import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import { IPC_CHANNELS, IPC_EVENTS, isIpcChannel, isIpcEvent } from '../shared/ipc/channels.ts';
import type { MailroomBridge } from '../shared/ipc/contract.ts';

// The whole surface the page gets: `invoke` for the contract's channels and `on` for
// its events. No ipcRenderer, no event objects (they carry `sender`), nothing else.
// Built as CommonJS: a sandboxed preload cannot be an ES module.

const bridge: MailroomBridge = {
  invoke(channel, input) {
    if (!isIpcChannel(channel)) {
      return Promise.resolve({
        ok: false,
        error: {
          code: 'UNKNOWN_CHANNEL',
          message: `There is no request named ${JSON.stringify(String(channel))}; known: ${IPC_CHANNELS.join(', ')}.`,
        },
      });
    }
    return ipcRenderer.invoke(channel, input);
  },
  on(event, listener) {
    if (!isIpcEvent(event)) {
      throw new TypeError(`There is no event named ${JSON.stringify(String(event))}; known: ${IPC_EVENTS.join(', ')}.`);
    }
    if (typeof listener !== 'function') throw new TypeError('on(event, listener) needs a function.');
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
};

contextBridge.exposeInMainWorld('mailroom', bridge);
