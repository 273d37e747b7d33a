import type { Desktop } from '../../src/main/desktop/desktop.ts';
import type { Engine } from '../../src/main/engine/engine.ts';
import { LiveStatus } from '../../src/main/engine/live-status.ts';
import type { HandlerContext } from '../../src/main/ipc/handlers/index.ts';
import type { EngineState } from '../../src/shared/ipc/contract.ts';

/** What the desktop was asked to do, and what it answers; the page never sees the secrets. */
export interface TestDesktop extends Desktop {
  copied: string[];
  shown: { title: string; secret: string }[];
  /** What the save dialog answers next (null: the user cancelled). */
  savePath: string | null;
  /** What the open dialog answers next (null: the user cancelled). */
  openPath: string | null;
  startAtLogin: boolean;
}

/**
 * The desktop for tests under Node and headless Chromium, which have no Electron
 * clipboard or native dialogs. The Electron one is tested in tray/desktop tests.
 */
export function testDesktop(): TestDesktop {
  const d: TestDesktop = {
    copied: [],
    shown: [],
    savePath: null,
    openPath: null,
    startAtLogin: false,
    copySecret(text) {
      d.copied.push(text);
    },
    async showSecret(title, _label, secret) {
      d.shown.push({ title, secret });
    },
    async chooseSavePath() {
      return d.savePath;
    },
    async chooseOpenPath() {
      return d.openPath;
    },
    getStartAtLogin: () => d.startAtLogin,
    setStartAtLogin(enabled) {
      d.startAtLogin = enabled;
    },
  };
  return d;
}

/** The context main builds for the handlers, over a real engine. */
export function handlerContext(
  engine: Engine,
  opts: { engineState?: () => EngineState; desktop?: TestDesktop; emit?: HandlerContext['emit'] } = {},
): HandlerContext & { desktop: TestDesktop } {
  const engineState = opts.engineState ?? (() => ({ state: 'running', error: null }));
  return {
    engine,
    appVersion: '0.1.0-test',
    engineState,
    desktop: opts.desktop ?? testDesktop(),
    live: new LiveStatus(engine, engineState),
    emit: opts.emit ?? (() => {}),
  };
}
