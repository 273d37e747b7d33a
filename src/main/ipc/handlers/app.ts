import type { HandlerContext } from './index.ts';

export function appHandlers({ engine, appVersion, engineState, desktop, live }: HandlerContext) {
  const info = () => ({
    version: appVersion,
    dataDir: engine.paths.dataDir,
    engine: engineState(),
    startAtLogin: desktop.getStartAtLogin(),
  });
  return {
    'app.info': info,
    'app.setStartAtLogin': ({ enabled }: { enabled: boolean }) => {
      desktop.setStartAtLogin(enabled);
      return info();
    },
    'relay.status': () => engine.status(),
    'dashboard.get': () => live.current(),
    'sending.setPaused': ({ paused }: { paused: boolean }) => {
      engine.setSendingPaused(paused);
      live.check();
      return { paused: engine.settings.get('delivery.paused') };
    },
  };
}
