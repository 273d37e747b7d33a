import { MailroomError } from '../../../shared/errors.ts';
import type { RouteTestInput } from '../../../shared/ipc/contract.ts';
import { defaultEhloName } from '../../delivery/dispatcher.ts';
import { testSmarthost } from '../../delivery/route-test.ts';
import type { Engine } from '../../engine/engine.ts';
import type { HandlerContext } from './index.ts';

/**
 * Keys the window may change here. The relay's own address and TLS files are not
 * among them: the relay stays on this computer unless someone edits settings on
 * purpose from the command line, and its port has its own request (it restarts the
 * relay).
 */
const WINDOW_SETTINGS = /^(delivery|direct|smarthost|retry)\./;

async function routeState(engine: Engine) {
  const pause = engine.pauses.get('smarthost');
  return {
    passwordConfigured: (await engine.secrets.get('smarthost.password')) !== null,
    pause: pause
      ? { reason: pause.reason, code: pause.code, response: pause.response, pausedAt: pause.pausedAt }
      : null,
  };
}

export function routeHandlers({ engine, live }: HandlerContext) {
  return {
    'settings.get': () => engine.settings.all(),
    'settings.update': ({ values }: { values: Record<string, unknown> }) => {
      const refused = Object.keys(values).filter((k) => !WINDOW_SETTINGS.test(k) || k === 'delivery.dnsServers');
      if (refused.length) {
        throw new MailroomError(
          'INVALID_SETTING',
          `${refused.join(', ')} cannot be changed from the window${refused.some((k) => k.startsWith('relay.')) ? '; the relay port is changed on the Local relay page' : ''}. Nothing was changed.`,
        );
      }
      engine.settings.setMany(values);
      engine.poke();
      live.check();
      return engine.settings.all();
    },
    'route.get': () => routeState(engine),
    'route.setPassword': async ({ password }: { password: string }) => {
      await engine.secrets.set('smarthost.password', password);
      // A route paused for a refused login tries again with the new password.
      engine.pauses.resume('smarthost');
      engine.poke();
      live.check();
      return routeState(engine);
    },
    'route.test': async (input: RouteTestInput) => {
      const password = input.password ?? (await engine.secrets.get('smarthost.password'));
      return testSmarthost(
        { ...input, password },
        { settings: engine.settings, ehloName: engine.settings.get('delivery.ehloName') || defaultEhloName() },
      );
    },
  };
}
