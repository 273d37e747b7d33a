import { defaultBackupName } from '../../backup/backup.ts';
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
    'app.dataSize': () => engine.dataSize(),
    'app.backup': async () => {
      const target = await desktop.chooseSavePath(defaultBackupName(), {
        name: 'Mailroom backup (.tar.gz)',
        extensions: ['gz'],
      });
      if (!target) return { saved: false, summary: null };
      // The save dialog has asked before replacing a file.
      return { saved: true, summary: await engine.backup(target, { overwrite: true }) };
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
