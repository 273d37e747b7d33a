import { MailroomError } from '../../../shared/errors.ts';
import type { RouteTestInput } from '../../../shared/ipc/contract.ts';
import { defaultEhloName } from '../../delivery/dispatcher.ts';
import { testSmarthost } from '../../delivery/route-test.ts';
import type { Engine } from '../../engine/engine.ts';
import type { HandlerContext } from './index.ts';

/**
 * Keys the window may change. Not the relay's own address or TLS files (the relay
 * stays on this computer unless someone changes that on purpose from the command
 * line; its port has its own request, which moves the relay), and not the settings
 * that exist for tests (DNS servers, the MX port) or for tuning.
 */
const WINDOW_SETTINGS: ReadonlySet<string> = new Set([
  'delivery.route',
  'delivery.paused',
  'delivery.ehloName',
  'direct.ratePerMinute',
  'direct.dailyCap',
  'smarthost.preset',
  'smarthost.host',
  'smarthost.port',
  'smarthost.security',
  'smarthost.username',
  'smarthost.ratePerMinute',
  'smarthost.dailyCap',
  'retention.messageBodies',
  'retention.logRows',
]);

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
    'settings.update': async ({ values }: { values: Record<string, unknown> }) => {
      const refused = Object.keys(values).filter((k) => !WINDOW_SETTINGS.has(k));
      if (refused.length) {
        throw new MailroomError(
          'INVALID_SETTING',
          `${refused.join(', ')} cannot be changed from the window${refused.some((k) => k.startsWith('relay.')) ? '; the relay port is changed on the Local relay page' : ''}. Nothing was changed.`,
        );
      }
      const before = engine.settings.all();
      const after = { ...before, ...engine.settings.validate(values) };
      // The saved password belongs to the server it was saved for: it is never sent to
      // another one. A new server (or user name) needs its password typed again. It is
      // forgotten before the new server is stored, so the dispatcher never sees the pair;
      // a refused value has already stopped us above, so nothing is lost for nothing.
      if (
        before['smarthost.host'] &&
        (after['smarthost.host'] !== before['smarthost.host'] ||
          after['smarthost.username'] !== before['smarthost.username'])
      ) {
        await engine.secrets.delete('smarthost.password');
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
      // The saved password only ever goes to the server and user it was saved for.
      const saved = engine.settings.all();
      const sameAccount = input.host === saved['smarthost.host'] && input.username === saved['smarthost.username'];
      const password = input.password ?? (sameAccount ? await engine.secrets.get('smarthost.password') : null);
      return testSmarthost(
        { ...input, password },
        { settings: engine.settings, ehloName: engine.settings.get('delivery.ehloName') || defaultEhloName() },
      );
    },
  };
}
