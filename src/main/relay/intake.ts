import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../engine/durable-fs.ts';
import { type HeaderSummary, summariseHeaders } from './headers.ts';

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const HEADER_END = Buffer.from('\r\n\r\n');
/** A CR not followed by LF, or an LF not preceded by CR. */
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

/**
 * Line-ending policy of the relay: every bare CR and bare LF becomes CRLF, so the
 * stored message has only CRLF line ends. smtp-server ends DATA only on CRLF.CRLF but
 * keeps stray `\n.\n` style sequences in the body; normalised here they are plain
 * content, signed as such and dot-stuffed by the next hop, so they can neither break
 * a DKIM signature nor end a message early on a server that is lax about line ends.
 * A NUL byte is refused outright (RFC 5322 forbids it).
 */
export class LineEndingNormaliser {
  private pendingCR = false;
  sawNul = false;

  push(chunk: Buffer): Buffer {
    // Mail programs send CRLF only: then the chunk is kept as it is, checked by native
    // searches (the byte loop below cost more than anything else in the intake).
    const n = chunk.length;
    if (n > 0 && !this.pendingCR && chunk.indexOf(NUL) === -1) {
      const endsInCR = chunk[n - 1] === CR;
      const text = chunk.toString('latin1', 0, endsInCR ? n - 1 : n);
      if (!BARE_CR_OR_LF.test(text)) {
        this.pendingCR = endsInCR;
        return endsInCR ? chunk.subarray(0, n - 1) : chunk;
      }
    }
    const out = Buffer.allocUnsafe(chunk.length * 2 + 2);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.pendingCR) {
        this.pendingCR = false;
        out[o++] = CR;
        out[o++] = LF;
        if (b === LF) continue;
      }
      if (b === CR) {
        this.pendingCR = true;
      } else if (b === LF) {
        out[o++] = CR;
        out[o++] = LF;
      } else {
        if (b === NUL) this.sawNul = true;
        out[o++] = b;
      }
    }
    return out.subarray(0, o);
  }

  end(): Buffer {
    if (!this.pendingCR) return Buffer.alloc(0);
    this.pendingCR = false;
    return Buffer.from('\r\n');
  }
}

export type IntakeRejection = 'nul' | 'header-too-large';

export interface IntakeOptions {
  /** Folder for files being received (spool/tmp). */
  spoolTmp: string;
  /** Final folder for spooled messages (spool). */
  spool: string;
  queueId: string;
  /** Messages larger than this go to a file instead of into memory. */
  spillBytes: number;
  maxHeaderBytes: number;
  /** Header fields to put in front of the message once its header is known. */
  prefix: (summary: HeaderSummary) => string;
}

export type IntakeResult =
  | { ok: true; summary: HeaderSummary; size: number; body: Buffer; spoolFile: null }
  | { ok: true; summary: HeaderSummary; size: number; body: null; spoolFile: string }
  | { ok: false; reason: IntakeRejection };

/**
 * Receives one message's DATA: normalises line endings, reads the header section,
 * puts our trace fields in front, and keeps the bytes in memory until they pass
 * `spillBytes`, after which they stream to a file in spool/tmp. `finish()` fsyncs
 * that file; `place()` renames it into spool/ once the message is accepted, before
 * the database row that points at it is committed.
 */
export class MessageIntake {
  private readonly opts: IntakeOptions;
  private readonly normaliser = new LineEndingNormaliser();
  private header: Buffer[] = [];
  private headerBytes = 0;
  private summary: HeaderSummary | null = null;
  private parts: Buffer[] = [];
  private size = 0;
  private fd: number | null = null;
  private tmpFile: string | null = null;
  private placedFile: string | null = null;
  private rejected: IntakeRejection | null = null;
  private discarding = false;

  constructor(opts: IntakeOptions) {
    this.opts = opts;
  }

  /** Stop keeping bytes (the message is going to be refused anyway). */
  discard(): void {
    this.discarding = true;
    this.parts = [];
    this.header = [];
    this.cleanup();
  }

  write(raw: Buffer): void {
    if (this.discarding) return;
    const chunk = this.normaliser.push(raw);
    if (this.normaliser.sawNul) {
      this.rejected = 'nul';
      this.discard();
      return;
    }
    this.accept(chunk);
  }

  private accept(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.summary) {
      this.append(chunk);
      return;
    }
    this.header.push(chunk);
    this.headerBytes += chunk.length;
    const joined = this.header.length === 1 ? chunk : Buffer.concat(this.header);
    this.header = [joined];
    // The header ends at the first empty line; a message that starts with one has no header.
    const end = joined.subarray(0, 2).equals(Buffer.from('\r\n'))
      ? 0
      : joined.indexOf(HEADER_END, Math.max(0, this.headerBytes - chunk.length - 3));
    if (end >= 0) {
      const headEnd = end === 0 ? 0 : end + 2;
      this.startBody(joined.subarray(0, headEnd), joined.subarray(headEnd));
    } else if (this.headerBytes > this.opts.maxHeaderBytes) {
      this.rejected = 'header-too-large';
      this.discard();
    }
  }

  private startBody(head: Buffer, rest: Buffer): void {
    this.summary = summariseHeaders(head);
    this.header = [];
    this.append(Buffer.from(this.opts.prefix(this.summary), 'utf8'));
    this.append(head);
    if (rest.length) this.append(rest);
  }

  private append(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.fd !== null) {
      writeAll(this.fd, chunk);
      return;
    }
    this.parts.push(chunk);
    if (this.size > this.opts.spillBytes) {
      this.tmpFile = path.join(this.opts.spoolTmp, `${this.opts.queueId}.tmp`);
      this.fd = fs.openSync(this.tmpFile, 'wx', 0o600);
      for (const p of this.parts) writeAll(this.fd, p);
      this.parts = [];
    }
  }

  /** Completes the message. A spooled one is fsynced in spool/tmp; `place()` moves it into spool/. */
  finish(): IntakeResult {
    if (!this.discarding) this.accept(this.normaliser.end());
    if (this.rejected) return { ok: false, reason: this.rejected };
    if (!this.summary) {
      // No empty line at all: the whole message is header.
      const head = Buffer.concat(this.header);
      this.startBody(head, Buffer.alloc(0));
    }
    const summary = this.summary as HeaderSummary;
    if (this.fd === null) {
      const body = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
      return { ok: true, summary, size: this.size, body, spoolFile: null };
    }
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = null;
    return { ok: true, summary, size: this.size, body: null, spoolFile: `${this.opts.queueId}.eml` };
  }

  /**
   * Moves a finished spooled message into spool/ and fsyncs the folder, so the file
   * is durable under its final name before the row that names it commits. Called
   * only once the message passed every check.
   */
  place(): void {
    if (!this.tmpFile) return;
    const final = path.join(this.opts.spool, `${this.opts.queueId}.eml`);
    fs.renameSync(this.tmpFile, final);
    this.tmpFile = null;
    this.placedFile = final;
    fsyncDir(this.opts.spool);
  }

  /** Removes whatever file this message has on disk; safe to call more than once, never throws. */
  cleanup(): void {
    try {
      if (this.fd !== null) fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
    for (const file of [this.tmpFile, this.placedFile]) {
      try {
        if (file) fs.rmSync(file, { force: true });
      } catch {
        // left for the sweep at the next start
      }
    }
    this.tmpFile = null;
    this.placedFile = null;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}
