import fs from 'node:fs';
import path from 'node:path';
import type { LogDetail } from '../../shared/domain/delivery-log.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { readEvents } from './delivery-log.ts';
import { loadRows } from './log-plan.ts';

// One delivery in full, for the log screen's detail view (deliveryDetail): its row, its
// message with the header fields (parseHeaderFields) read from the stored bytes or the
// start of the spool file, and every event.

/** The most of a message read for its headers (and kept of it once its body is removed). */
export const HEADER_READ_BYTES = 256 * 1024;
const MAX_HEADER_FIELDS = 200;
const MAX_HEADER_VALUE = 2000;

/** One delivery with its message's header fields and every event. */
export function deliveryDetail(db: Db, dataDir: string, id: number): LogDetail {
  const [delivery] = Number.isSafeInteger(id) ? loadRows(db, [id]) : [];
  if (!delivery) {
    throw new MailroomError(
      'NOT_FOUND',
      `There is no delivery ${id} in the log. It may have been removed; refresh the list and pick it again.`,
    );
  }
  const m = db
    .prepare(
      `SELECT id, queue_id AS queueId, source, mail_from AS mailFrom, header_from AS headerFrom, subject,
         message_id AS headerMessageId, size, created_at AS createdAt, body_removed_at AS bodyRemovedAt,
         substr(body, 1, ${HEADER_READ_BYTES}) AS head, spool_path AS spoolPath,
         (SELECT count(*) FROM deliveries WHERE message_id = messages.id) AS recipients
       FROM messages WHERE id = ?`,
    )
    .get(delivery.messageId) as Omit<LogDetail['message'], 'headers'> & {
    head: Buffer | null;
    spoolPath: string | null;
  };
  const { head, spoolPath, ...message } = m;
  return {
    delivery,
    message: { ...message, headers: parseHeaderFields(head ?? readSpoolHead(dataDir, spoolPath)) },
    events: readEvents(db, id),
  };
}

/**
 * The start of a spooled message. The path is relative to the data folder, as
 * MessageLoader reads it; a missing file gives no headers rather than no detail.
 */
function readSpoolHead(dataDir: string, spoolPath: string | null): Buffer {
  if (!spoolPath) return Buffer.alloc(0); // a campaign message: rendered per recipient, no stored bytes
  const file = path.join(dataDir, spoolPath);
  const rel = path.relative(dataDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return Buffer.alloc(0);
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(HEADER_READ_BYTES);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    return buf.subarray(0, n);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * The header section (up to the first empty line) as fields, unfolded (the line
 * breaks before continuation lines removed, RFC 5322 §2.2.3), not decoded. Lines that
 * are not a field are left out; a section cut off by the read limit loses its last,
 * partial line.
 */
export function parseHeaderFields(raw: Buffer): { name: string; value: string }[] {
  let text = raw.toString('utf8');
  const blank = /\r?\n\r?\n/.exec(text);
  if (text.startsWith('\r\n') || text.startsWith('\n')) text = '';
  else if (blank) text = text.slice(0, blank.index);
  else if (raw.length >= HEADER_READ_BYTES) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  const fields: { name: string; value: string }[] = [];
  let current: { name: string; value: string } | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (current && current.value.length <= MAX_HEADER_VALUE) current.value += line;
      continue;
    }
    current = null;
    if (fields.length >= MAX_HEADER_FIELDS) break;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    current = { name, value: line.slice(colon + 1) };
    fields.push(current);
  }
  return fields.map(({ name, value }) => {
    const v = value.replace(/^[ \t]+|[ \t]+$/g, '');
    return { name, value: v.length > MAX_HEADER_VALUE ? `${v.slice(0, MAX_HEADER_VALUE)}…` : v };
  });
}
