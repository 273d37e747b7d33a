import type { MessageSource } from '../../shared/domain/delivery.ts';
import type { Db } from '../db/connection.ts';
import { domainOfAddress } from '../domains/domains-service.ts';

export interface NewMessage {
  source: MessageSource;
  queueId: string;
  mailFrom: string;
  recipients: string[];
  /** What the client declared with BODY= and SMTPUTF8, for the next hop. */
  bodyType?: '7bit' | '8bitmime';
  smtpUtf8?: boolean;
  authUser?: string | null;
  clientAddress?: string | null;
  clientHelo?: string | null;
  messageId?: string | null;
  subject?: string | null;
  headerFrom?: string | null;
  size: number;
  body?: Buffer | null;
  /** Relative to the data folder; the file is already fsynced in place. */
  spoolPath?: string | null;
  /** A bounce report: the message it reports on. */
  bounceOf?: number | null;
}

/**
 * Prepared statements for putting messages on the queue. One message and one
 * delivery per recipient (status queued, due now) and a `queued` event each.
 */
export class Enqueuer {
  private readonly db: Db;
  private readonly insertMessage;
  private readonly insertDelivery;
  private readonly insertEvent;

  constructor(db: Db) {
    this.db = db;
    this.insertMessage = db.prepare(
      `INSERT INTO messages (source, queue_id, mail_from, body_type, smtputf8, auth_user, client_address,
         client_helo, message_id, subject, header_from, size, body, spool_path, bounce_of, created_at)
       VALUES (@source, @queueId, @mailFrom, @bodyType, @smtpUtf8, @authUser, @clientAddress,
         @clientHelo, @messageId, @subject, @headerFrom, @size, @body, @spoolPath, @bounceOf, @now)`,
    );
    this.insertDelivery = db.prepare(
      `INSERT INTO deliveries (message_id, recipient, domain, status, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', ?, ?, ?)`,
    );
    this.insertEvent = db.prepare(
      `INSERT INTO delivery_events (delivery_id, at, kind, detail) VALUES (?, ?, 'queued', ?)`,
    );
  }

  /** Inserts one message with its deliveries. Call inside a transaction. */
  insert(m: NewMessage, now = Date.now()): number {
    const messageRow = this.insertMessage.run({
      source: m.source,
      queueId: m.queueId,
      mailFrom: m.mailFrom,
      bodyType: m.bodyType ?? '7bit',
      smtpUtf8: m.smtpUtf8 ? 1 : 0,
      authUser: m.authUser ?? null,
      clientAddress: m.clientAddress ?? null,
      clientHelo: m.clientHelo ?? null,
      messageId: m.messageId ?? null,
      subject: m.subject ?? null,
      headerFrom: m.headerFrom ?? null,
      size: m.size,
      body: m.body ?? null,
      spoolPath: m.spoolPath ?? null,
      bounceOf: m.bounceOf ?? null,
      now,
    });
    const messageId = Number(messageRow.lastInsertRowid);
    const detail = m.clientAddress ? `accepted from ${m.clientAddress}${m.authUser ? ` as ${m.authUser}` : ''}` : null;
    for (const rcpt of m.recipients) {
      // Callers pass only addresses with a domain (the relay refuses others at RCPT).
      const domain = domainOfAddress(rcpt) ?? rcpt.slice(rcpt.lastIndexOf('@') + 1).toLowerCase();
      const d = this.insertDelivery.run(messageId, rcpt, domain, now, now, now);
      this.insertEvent.run(Number(d.lastInsertRowid), now, detail);
    }
    return messageId;
  }

  /** One transaction (one fsync) for all of them; all or none. */
  insertAll(messages: readonly NewMessage[]): number[] {
    return this.db.transaction(() => messages.map((m) => this.insert(m)))();
  }
}
