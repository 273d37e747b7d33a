import nodemailer from 'nodemailer';
import { MailroomError } from '../../shared/errors.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { SettingsService } from '../settings/settings-service.ts';
import type { RelayAddress } from './relay-server.ts';

// The Test button on the Local relay page: Mailroom logs in to its own relay exactly
// as Outlook would (same address, same user name and password) and hands over a
// short message. A 250 proves the whole path a mail program uses; the message then
// shows up in the delivery log like any other.

export async function sendRelayTest(
  relay: RelayAddress,
  from: string,
  to: string,
  deps: { settings: SettingsService; secrets: SecretStore },
): Promise<{ reply: string; queueId: string | null }> {
  const user = deps.settings.get('relay.username');
  const pass = await deps.secrets.get('relay.password');
  if (!user || !pass) {
    throw new MailroomError('RELAY_CONFIG', 'The relay has no login yet. It is made when the relay first starts.');
  }
  const host = relay.host === '0.0.0.0' ? '127.0.0.1' : relay.host === '::' ? '::1' : relay.host;
  const transport = nodemailer.createTransport({
    host,
    port: relay.port,
    secure: false,
    // The relay is on this computer; a remote-mode relay with TLS still offers STARTTLS.
    ignoreTLS: false,
    tls: { rejectUnauthorized: false },
    auth: { user, pass },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  try {
    const info = await transport.sendMail({
      from,
      to,
      subject: 'Mailroom test message',
      text: [
        'This is a test message from Mailroom.',
        '',
        'It went through the local relay the same way Outlook, Thunderbird or Apple Mail',
        'would send it, so those programs can send through Mailroom too.',
        '',
        'You can follow it in Mailroom under Delivery log.',
      ].join('\r\n'),
    });
    const reply = info.response ?? '250 OK';
    return { reply, queueId: /queued as (\S+)/.exec(reply)?.[1] ?? null };
  } catch (err) {
    const e = err as { response?: string; code?: string; message: string };
    if (e.code === 'ECONNREFUSED') {
      throw new MailroomError(
        'RELAY_START',
        `Nothing is listening on ${host}:${relay.port}, so the relay is not running. Restart Mailroom; if it says why the relay did not start, fix that first.`,
      );
    }
    const words = e.response ?? e.message;
    throw new MailroomError(
      'VALIDATION',
      `The relay refused the test message: "${words}". ${/5\.7\.1|not one of your|sending domain/i.test(words) ? 'Send it from an address at one of your sending domains.' : 'The reply above says why.'}`,
    );
  } finally {
    transport.close();
  }
}
