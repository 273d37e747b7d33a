import { MailroomError } from '../../../shared/errors.ts';
import type { RelayDetails } from '../../../shared/ipc/contract.ts';
import type { Engine } from '../../engine/engine.ts';
import { ensureRelayCredentials } from '../../relay/credentials.ts';
import { sendRelayTest } from '../../relay/send-test.ts';
import type { HandlerContext } from './index.ts';

/** How long a copied password stays on the clipboard. */
const CLIPBOARD_SECONDS = 60;

async function details(engine: Engine): Promise<RelayDetails> {
  const address = engine.relayAddress();
  const host = address?.host ?? engine.settings.get('relay.host');
  return {
    // Mail programs resolve "localhost" to ::1 first on some systems; the relay listens on 127.0.0.1.
    host: host === 'localhost' ? '127.0.0.1' : host,
    port: address?.port ?? engine.settings.get('relay.port'),
    running: address !== null,
    username: engine.settings.get('relay.username') || null,
    passwordConfigured: (await engine.secrets.get('relay.password')) !== null,
  };
}

async function relayPassword(engine: Engine): Promise<string> {
  const password = await engine.secrets.get('relay.password');
  if (!password) {
    throw new MailroomError(
      'NOT_FOUND',
      'The relay has no password yet. It is made when the relay first starts; use "Make a new password" to make one now.',
    );
  }
  return password;
}

export function relayHandlers({ engine, desktop, live }: HandlerContext) {
  return {
    'relay.details': () => details(engine),
    'relay.copyPassword': async () => {
      desktop.copySecret(await relayPassword(engine), CLIPBOARD_SECONDS * 1000);
      return { clearsAfterSeconds: CLIPBOARD_SECONDS };
    },
    'relay.showPassword': async () => {
      await desktop.showSecret(
        'Relay password',
        'Type this password into your mail program, where it asks for the outgoing (SMTP) server password.',
        await relayPassword(engine),
      );
      return { shown: true };
    },
    'relay.rotatePassword': async () => {
      await ensureRelayCredentials(engine.settings, engine.secrets, { rotate: true });
      return details(engine);
    },
    'relay.setPort': async ({ port }: { port: number }) => {
      try {
        await engine.setRelayPort(port);
      } catch (err) {
        // The engine's sentence names a command; the window has a field for it.
        if (err instanceof MailroomError && /already in use/.test(err.message)) {
          throw new MailroomError(
            'RELAY_START',
            `Port ${port} is already used by another program on this computer. Choose another port, for example ${port + 1}. The relay stays on its current port.`,
          );
        }
        throw err;
      }
      live.check();
      return details(engine);
    },
    'relay.sendTest': async ({ from, to }: { from: string; to: string }) => {
      const address = engine.relayAddress();
      if (!address) {
        throw new MailroomError(
          'RELAY_START',
          'The relay is not running, so nothing can be sent through it. The dashboard says why it did not start.',
        );
      }
      const result = await sendRelayTest(address, from, to, { settings: engine.settings, secrets: engine.secrets });
      live.check();
      return result;
    },
  };
}
