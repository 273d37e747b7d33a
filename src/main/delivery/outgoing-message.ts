import fs from 'node:fs';
import path from 'node:path';
import type { MessageSource } from '../../shared/domain/delivery.ts';
import type { Db } from '../db/connection.ts';
import type { DkimService } from '../dkim/dkim-service.ts';
import type { DkimSigner } from '../dkim/sign.ts';
import { domainOfAddress } from '../domains/domains-service.ts';
import { summariseHeaders } from '../relay/headers.ts';
import { inspectMessage, type MessageInfo, prepareForHop, readMessage } from './prepare-message.ts';
import type { HopCapabilities } from './smtp-hop.ts';

export interface MessageRow {
  id: number;
  source: MessageSource;
  queueId: string;
  mailFrom: string;
  smtpUtf8: number;
  headerFrom: string | null;
  messageId: string | null;
  subject: string | null;
  body: Buffer | null;
  spoolPath: string | null;
  createdAt: number;
  bodyRemovedAt: number | null;
}

export type PreparedVariant =
  | { ok: true; bytes: Buffer; eightBit: boolean; signedBy: string | null }
  | { ok: false; reason: string };

/**
 * One queued message as it leaves: its bytes prepared for what the next hop
 * supports (8BITMIME or not), then DKIM-signed. Each variant is prepared and signed
 * once and shared by every transaction that carries the message.
 */
export class OutgoingMessage {
  readonly row: MessageRow;
  readonly raw: Buffer;
  /** The From domain the signature is for, and whether we hold a key for it. */
  readonly signingDomain: string | null;
  private readonly signer: DkimSigner | null;
  private readonly variants = new Map<string, Promise<PreparedVariant>>();
  /** What inspectMessage says about `raw`, worked out once for every variant. */
  private readonly info: MessageInfo;
  /** UTF-8 header fields or addresses (RFC 6531/6532): MAIL FROM carries SMTPUTF8. */
  readonly needsSmtpUtf8: boolean;

  constructor(row: MessageRow, raw: Buffer, signer: DkimSigner | null, signingDomain: string | null) {
    this.row = row;
    const { bytes, info } = readMessage(raw);
    this.raw = bytes;
    this.signer = signer;
    this.signingDomain = signingDomain;
    this.info = info;
    this.needsSmtpUtf8 = info.eightBitHeaders || row.smtpUtf8 === 1 || /[^\x00-\x7f]/.test(row.mailFrom);
  }

  get signed(): boolean {
    return this.signer !== null;
  }

  /** Prepared and signed once per kind of hop, and shared by every transaction that needs it. */
  forHop(caps: HopCapabilities): Promise<PreparedVariant> {
    const key = `${caps.eightBitMime ? '8' : '7'}${caps.smtpUtf8 ? 'u' : ''}`;
    let v = this.variants.get(key);
    if (!v) {
      v = this.prepare(caps);
      this.variants.set(key, v);
    }
    return v;
  }

  private async prepare(caps: HopCapabilities): Promise<PreparedVariant> {
    const prepared = prepareForHop(this.raw, { eightBitMime: caps.eightBitMime, smtpUtf8: caps.smtpUtf8 }, this.info);
    if (!prepared.ok) return { ok: false, reason: prepared.reason };
    const bytes = this.signer ? await this.signer.signAsync(prepared.message) : prepared.message;
    return {
      ok: true,
      bytes,
      // Conversion may fix only long lines or folding and leave 8-bit text in place.
      eightBit: prepared.converted ? inspectMessage(prepared.message).eightBit : this.info.eightBit,
      signedBy: this.signer ? this.signer.description : null,
    };
  }

  /** The header section (for bounce reports), without the blank line. */
  headerSection(): Buffer {
    const end = this.raw.indexOf('\r\n\r\n');
    return end < 0 ? this.raw : this.raw.subarray(0, end + 2);
  }
}

/**
 * Loads messages for the dispatcher and keeps each one in memory only while a
 * transaction that carries it is waiting or running.
 */
export class MessageLoader {
  private readonly dataDir: string;
  private readonly dkim: DkimService;
  private readonly cache = new Map<number, { message: Promise<OutgoingMessage>; users: number }>();
  private readonly select;

  constructor(db: Db, dataDir: string, dkim: DkimService) {
    this.dataDir = dataDir;
    this.dkim = dkim;
    this.select = db.prepare(
      `SELECT id, source, queue_id AS queueId, mail_from AS mailFrom, smtputf8 AS smtpUtf8, header_from AS headerFrom,
         message_id AS messageId, subject, body, spool_path AS spoolPath, created_at AS createdAt,
         body_removed_at AS bodyRemovedAt
       FROM messages WHERE id = ?`,
    );
  }

  /** Registers one more transaction that will need the message. */
  retain(id: number): void {
    const entry = this.cache.get(id);
    if (entry) {
      entry.users++;
      return;
    }
    const message = this.load(id);
    // The failure is reported to whoever calls get(); until then it must not count
    // as an unhandled rejection (which would end the process).
    message.catch(() => {});
    this.cache.set(id, { message, users: 1 });
  }

  get(id: number): Promise<OutgoingMessage> {
    const entry = this.cache.get(id);
    if (!entry) throw new Error(`message ${id} was not retained`);
    return entry.message;
  }

  release(id: number): void {
    const entry = this.cache.get(id);
    if (entry && --entry.users <= 0) this.cache.delete(id);
  }

  private async load(id: number): Promise<OutgoingMessage> {
    const row = this.select.get(id) as MessageRow | undefined;
    if (!row) throw new Error(`message ${id} is not in the database`);
    // Retention removes bodies only once every delivery finished; never send what is left.
    if (row.bodyRemovedAt !== null) throw new Error(`message ${id} has had its body removed (retention.messageBodies)`);
    const raw = row.body ?? (await fs.promises.readFile(path.join(this.dataDir, row.spoolPath as string)));
    // Sign with the key of the domain in From: (what DMARC aligns with), read from the
    // bytes that leave: the stored header_from is the decoded text the log shows
    // ("Shop <news@shop.example>"), not an address. A message with no usable From falls
    // back to the envelope sender's domain.
    const domain = domainOfAddress(firstFromAddress(raw) ?? '') ?? domainOfAddress(row.mailFrom);
    const signer = domain ? await this.dkim.signerFor(domain) : null;
    return new OutgoingMessage(row, raw, signer, domain);
  }
}

/** The first address in the message's From: field, read with the relay's strict reader, or null. */
export function firstFromAddress(raw: Buffer): string | null {
  const end = raw.indexOf('\r\n\r\n');
  return summariseHeaders(end < 0 ? raw : raw.subarray(0, end + 2)).fromAddresses[0] ?? null;
}
