import fs from 'node:fs';
import net from 'node:net';
import type { Settings } from '../../shared/domain/settings.ts';
import { MailroomError } from '../../shared/errors.ts';

export interface RelayConfig {
  host: string;
  port: number;
  loopbackOnly: boolean;
  tls: { key: Buffer; cert: Buffer } | null;
  maxMessageBytes: number;
  maxRecipients: number;
  maxClients: number;
  maxSessionMs: number;
}

export function isLoopback(address: string): boolean {
  const a = address.replace(/^::ffff:/i, '');
  if (a === 'localhost' || a === '::1') return true;
  return net.isIPv4(a) && a.startsWith('127.');
}

/**
 * smtp-server accepts AUTH without TLS whenever STARTTLS is off; our rule is
 * stricter: a password may travel in clear text only within this computer.
 */
export function loginAllowed(session: { secure: boolean; remoteAddress: string }): boolean {
  return session.secure || isLoopback(session.remoteAddress);
}

/**
 * Turns settings into a relay configuration, refusing unsafe ones with a sentence
 * that says how to fix them. Loopback is the default; anything that other
 * computers can reach needs an explicit opt-in plus a certificate, because the
 * relay's logins must never cross a network in clear text.
 */
export function relayConfigFrom(s: Settings): RelayConfig {
  const host = s['relay.host'];
  const loopbackOnly = isLoopback(host);
  let tls: RelayConfig['tls'] = null;
  if (!loopbackOnly && !s['relay.allowRemote']) {
    throw new MailroomError(
      'RELAY_CONFIG',
      `relay.host is ${host}, which other computers can reach. Mailroom's relay listens only on this computer unless you run "mailroom settings set relay.allowRemote true" and give it a certificate (relay.tlsCert and relay.tlsKey). To go back: mailroom settings set relay.host 127.0.0.1`,
    );
  }
  const certPath = s['relay.tlsCert'];
  const keyPath = s['relay.tlsKey'];
  if (!loopbackOnly && (!certPath || !keyPath)) {
    throw new MailroomError(
      'RELAY_CONFIG',
      `Listening on ${host} needs TLS so that passwords never cross the network in clear text. Set relay.tlsCert and relay.tlsKey to the paths of a PEM certificate and its key.`,
    );
  }
  if (certPath || keyPath) {
    if (!certPath || !keyPath) {
      throw new MailroomError('RELAY_CONFIG', 'Set both relay.tlsCert and relay.tlsKey, or neither.');
    }
    try {
      tls = { cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) };
    } catch (err) {
      throw new MailroomError(
        'RELAY_CONFIG',
        `Could not read the relay's TLS files (${(err as Error).message}). Check relay.tlsCert and relay.tlsKey.`,
      );
    }
  }
  return {
    host,
    port: s['relay.port'],
    loopbackOnly,
    tls,
    maxMessageBytes: s['relay.maxMessageBytes'],
    maxRecipients: s['relay.maxRecipients'],
    maxClients: s['relay.maxClients'],
    maxSessionMs: s['relay.maxSessionSeconds'] * 1000,
  };
}
