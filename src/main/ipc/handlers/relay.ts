import { MailroomError } from '../../../shared/errors.ts';
import type { RelayDetails } from '../../../shared/ipc/contract.ts';
import type { Engine } from '../../engine/engine.ts';
import { ensureRelayCredentials } from '../../relay/credentials.ts';
import { mailProgramHost } from '../../relay/relay-address.ts';
import { sendRelayTest } from '../../relay/send-test.ts';
import type { HandlerContext } from './index.ts';

/** How long a copied password stays on the clipboard. */
const CLIPBOARD_SECONDS = 60;

async function details(engine: Engine): Promise<RelayDetails> {
  const address = engine.relayAddress();
  return {
    // "localhost" only while the relay answers on both 127.0.0.1 and ::1: mail programs on
    // Windows and macOS try ::1 first.
    host: mailProgramHost(address ?? { host: engine.settings.get('relay.host') }),
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

/**
 * A relay running here moves at once. One that did not start (its port was taken)
 * starts on the new port; one run by "mailroom serve" is not ours to move.
 */
async function moveRelay(engine: Engine, port: number, startEngine: (() => Promise<void>) | undefined) {
  if (engine.isRunning()) return engine.setRelayPort(port);
  const other = engine.relayAddress();
  if (other) {
    throw new MailroomError(
      'ENGINE_RUNNING',
      `Another Mailroom process (the "mailroom serve" command) runs the relay on port ${other.port}. Its port is changed where it runs; this window cannot move it.`,
    );
  }
  const previous = engine.settings.get('relay.port');
  await engine.setRelayPort(port);
  if (!startEngine) return;
  try {
    await startEngine();
  } catch (err) {
    engine.settings.set('relay.port', previous);
    throw err;
  }
}

export function relayHandlers({ engine, desktop, live, startEngine }: HandlerContext) {
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
        await moveRelay(engine, port, startEngine);
      } catch (err) {
        // The engine's sentence names a command; the window has a field for it.
        if (err instanceof MailroomError && /already in use/.test(err.message)) {
          throw new MailroomError(
            'RELAY_START',
            `Port ${port} is already used by another program on this computer. Choose another port, for example ${port + 1}.${engine.isRunning() ? ' The relay stays on its current port.' : ''}`,
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
