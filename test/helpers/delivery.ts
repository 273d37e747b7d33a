import nodemailer from 'nodemailer';
import type { DeliveryLogEntry } from '../../src/main/queue/delivery-log.ts';
import { queryDeliveryLog } from '../../src/main/queue/delivery-log.ts';
import { type RunningRelay, startRelay } from './engine.ts';
import { waitFor } from './smtp-sink.ts';

/**
 * An engine whose dispatcher sends through a loopback smarthost (security none is
 * allowed only to loopback). Retries are fast so tests see the second attempt.
 */
export async function startSmarthostEngine(
  sinkPort: number,
  opts: { username?: string; password?: string; settings?: Record<string, string>; domains?: string[] } = {},
): Promise<RunningRelay> {
  const relay = await startRelay({
    domains: opts.domains ?? ['example.com'],
    settings: {
      'delivery.route': 'smarthost',
      'smarthost.host': '127.0.0.1',
      'smarthost.port': String(sinkPort),
      'smarthost.security': 'none',
      'smarthost.username': opts.username ?? '',
      'retry.schedule': '1s',
      'delivery.leaseSeconds': '5',
      'delivery.replyTimeoutSeconds': '3',
      ...opts.settings,
    },
  });
  if (opts.password) await relay.engine.secrets.set('smarthost.password', opts.password);
  // Settings were written before start; turning sending on last means nothing left early.
  relay.engine.settings.set('delivery.paused', opts.settings?.['delivery.paused'] === 'true');
  relay.engine.poke();
  return relay;
}

/** Sends a raw message into the relay the way a mail program would. */
export async function sendRaw(relay: RunningRelay, from: string, to: string[], raw: string | Buffer): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: relay.port,
    secure: false,
    ignoreTLS: true,
    auth: { user: relay.username, pass: relay.password },
  });
  try {
    await transport.sendMail({ envelope: { from, to }, raw });
  } finally {
    transport.close();
  }
}

export function logFor(relay: RunningRelay, recipient?: string): DeliveryLogEntry[] {
  return queryDeliveryLog(relay.engine.db, { recipient, limit: 1000 });
}

/** Waits until every delivery has one of the given statuses. */
export function settled(relay: RunningRelay, statuses = ['delivered', 'bounced'], timeoutMs = 20_000) {
  return waitFor(
    () => {
      const log = logFor(relay);
      return log.length > 0 && log.every((d) => statuses.includes(d.status)) ? log : undefined;
    },
    timeoutMs,
    `deliveries to reach ${statuses.join('/')}`,
  );
}

export function message(
  opts: { from?: string; to?: string; subject?: string; body?: string; extraHeaders?: string } = {},
): string {
  return [
    `From: Shop <${opts.from ?? 'news@example.com'}>`,
    `To: ${opts.to ?? 'someone@example.net'}`,
    `Subject: ${opts.subject ?? 'Hello'}`,
    'Date: Sun, 22 Nov 2026 10:00:00 +0000',
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(opts.extraHeaders ? [opts.extraHeaders] : []),
    '',
    opts.body ?? 'Hello there.',
    '',
  ].join('\r\n');
}
