import type { Db } from '../db/connection.ts';

// The delivery log as the CLI's `log` command reads it (queryDeliveryLog): deliveries
// with every attempt's event. readEvents also serves the window's detail view.
//
// The window's log screen is in the log-*.ts files beside this one: log-search.ts (a
// page of a search) on log-plan.ts (which index finds it) and log-filter.ts (the filter
// in SQL), log-detail.ts (one delivery), log-actions.ts (cancel and retry),
// log-today.ts (today's counts) and log-csv.ts (the export).

export interface DeliveryEvent {
  at: number;
  kind: string;
  route: string | null;
  remoteHost: string | null;
  tls: boolean | null;
  code: number | null;
  enhanced: string | null;
  response: string | null;
  detail: string | null;
}

export interface DeliveryLogEntry {
  id: number;
  messageId: number;
  queueId: string;
  source: string;
  mailFrom: string;
  subject: string | null;
  headerMessageId: string | null;
  recipient: string;
  status: string;
  attempts: number;
  nextAttemptAt: number | null;
  lastCode: number | null;
  lastEnhanced: string | null;
  lastResponse: string | null;
  category: string | null;
  createdAt: number;
  updatedAt: number;
  events: DeliveryEvent[];
}

/**
 * Reads the delivery log: deliveries with every attempt's event. `message` matches
 * our numeric id, the queue id, or the Message-ID header (with or without <>).
 */
export function queryDeliveryLog(
  db: Db,
  filter: { message?: string; recipient?: string; limit?: number },
): DeliveryLogEntry[] {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: Math.min(Math.max(filter.limit ?? 100, 1), 10_000) };
  if (filter.message !== undefined) {
    const ref = filter.message.trim();
    params.ref = ref;
    params.refId = /^\d+$/.test(ref) ? Number(ref) : -1;
    params.refAngle = ref.startsWith('<') ? ref : `<${ref}>`;
    where.push('(m.id = @refId OR m.queue_id = @ref OR m.message_id = @ref OR m.message_id = @refAngle)');
  }
  if (filter.recipient !== undefined) {
    params.recipient = filter.recipient.trim();
    where.push('d.recipient = @recipient COLLATE NOCASE');
  }
  const rows = db
    .prepare(
      `SELECT d.id, d.message_id AS messageId, m.queue_id AS queueId, m.source, m.mail_from AS mailFrom, m.subject,
         m.message_id AS headerMessageId, d.recipient, d.status, d.attempts,
         CASE WHEN d.status IN ('queued', 'deferred') THEN d.next_attempt_at END AS nextAttemptAt,
         d.last_code AS lastCode, d.last_enhanced AS lastEnhanced, d.last_response AS lastResponse, d.category,
         d.created_at AS createdAt, d.updated_at AS updatedAt
       FROM deliveries d JOIN messages m ON m.id = d.message_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY d.id DESC LIMIT @limit`,
    )
    .all(params) as Omit<DeliveryLogEntry, 'events'>[];
  return rows.map((r) => ({ ...r, events: readEvents(db, r.id) }));
}

/** Every event of one delivery, oldest first. */
export function readEvents(db: Db, deliveryId: number): DeliveryEvent[] {
  const rows = db
    .prepare(
      `SELECT at, kind, route, remote_host AS remoteHost, tls, code, enhanced, response, detail
       FROM delivery_events WHERE delivery_id = ? ORDER BY at, id`,
    )
    .all(deliveryId) as (Omit<DeliveryEvent, 'tls'> & { tls: number | null })[];
  return rows.map((e) => ({ ...e, tls: e.tls === null ? null : e.tls === 1 }));
}
