import net from 'node:net';
import { Readable, type Transform } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { stuffDots } from './smtp-data.ts';

// One SMTP connection to the next hop (an MX host or the smarthost), built on
// nodemailer's SMTPConnection. This module turns its callbacks and error objects
// into plain results the dispatcher can act on, and keeps the one distinction the
// guarantees depend on: whether the final dot had been sent when things went wrong.

export type OpenStage = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'auth';

export interface HopTarget {
  /** Address or name to connect to. */
  host: string;
  port: number;
  /** Name for TLS SNI and certificate checks (the MX or smarthost name). */
  servername?: string;
  /** How it appears in the log, e.g. "mx1.example.com[192.0.2.1]". */
  label: string;
  /**
   * opportunistic: STARTTLS when offered, any certificate, plain text otherwise (direct
   * delivery, like Postfix's "may"). starttls: required and verified. tls: implicit TLS,
   * verified. none: plain text (only allowed to loopback, enforced by settings).
   */
  security: 'opportunistic' | 'starttls' | 'tls' | 'none';
  /**
   * Set on the plain-text retry after opportunistic TLS failed with this host: why this
   * connection is unencrypted, for the log.
   */
  plainTextBecause?: string;
  auth?: { user: string; pass: string };
  ehloName: string;
  /** Longest wait for any one reply. */
  timeoutMs: number;
}

export interface HopCapabilities {
  eightBitMime: boolean;
  smtpUtf8: boolean;
  pipelining: boolean;
  size: number | null;
}

/** Opening the connection failed (no message was sent). */
export class HopOpenError extends Error {
  readonly stage: OpenStage;
  readonly code: number | null;
  readonly response: string | null;
  /** A socket or TLS error code such as ECONNREFUSED, when there was no SMTP reply. */
  readonly errorCode: string | null;
  /**
   * The server accepted STARTTLS and then the session never became usable: the TLS
   * handshake failed, or the server refused or dropped the connection before it
   * answered EHLO over TLS. For opportunistic TLS this is the case where the same host
   * is worth trying again in plain text.
   */
  readonly tlsFailed: boolean;
  constructor(
    stage: OpenStage,
    message: string,
    code: number | null,
    response: string | null,
    errorCode: string | null,
    tlsFailed = false,
  ) {
    super(message);
    this.stage = stage;
    this.code = code;
    this.response = response;
    this.errorCode = errorCode;
    this.tlsFailed = tlsFailed;
  }
}

export interface RcptResult {
  recipient: string;
  accepted: boolean;
  code: number | null;
  response: string | null;
}

export type TransactionResult =
  /** The server answered the final dot (2xx, 4xx or 5xx) for the recipients it accepted. */
  | { kind: 'answered'; code: number; response: string; recipients: RcptResult[] }
  /** Refused before any message data went out: MAIL, every RCPT, or DATA itself. */
  | { kind: 'refused'; stage: 'mail' | 'rcpt' | 'data'; code: number; response: string; recipients: RcptResult[] }
  /** The connection broke before the final dot: nothing was delivered, try again. */
  | { kind: 'interrupted'; reason: string; errorCode: string | null }
  /**
   * The final dot went out and no reply came back (connection lost or timed out). The
   * server may or may not have taken the message: retrying may duplicate it.
   */
  | { kind: 'unknown'; reason: string; recipients: RcptResult[] };

type NodemailerError = Error & {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  rejectedErrors?: (NodemailerError & { recipient?: string })[];
};

export class SmtpHop {
  readonly target: HopTarget;
  private readonly conn: SMTPConnection;
  private closed = false;

  private constructor(target: HopTarget, conn: SMTPConnection) {
    this.target = target;
    this.conn = conn;
    conn.on('end', () => {
      this.closed = true;
    });
    // Errors after opening are reported through the send callback; this keeps an
    // idle connection that the server drops from becoming an uncaught 'error'.
    conn.on('error', () => {
      this.closed = true;
    });
  }

  static open(target: HopTarget): Promise<SmtpHop> {
    const conn = new SMTPConnection({
      host: target.host,
      port: target.port,
      secure: target.security === 'tls',
      requireTLS: target.security === 'starttls',
      ignoreTLS: target.security === 'none',
      opportunisticTLS: target.security === 'opportunistic',
      name: target.ehloName,
      // SNI carries names only (RFC 6066); an address is checked against the certificate all the same.
      servername: target.servername && !net.isIP(target.servername) ? target.servername : undefined,
      connectionTimeout: Math.min(30_000, target.timeoutMs),
      greetingTimeout: target.timeoutMs,
      socketTimeout: target.timeoutMs,
      socketCloseTimeout: 1000,
      // Receiving MX hosts rarely have a certificate for their own name; Postfix and
      // every other MTA take any certificate for opportunistic TLS. A smarthost is
      // always verified.
      tls: target.security === 'opportunistic' ? { rejectUnauthorized: false } : { rejectUnauthorized: true },
      logger: false,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      let loggingIn = false;
      const fail = (err: NodemailerError) => {
        if (settled) return;
        settled = true;
        // SMTPConnection marks `upgrading` from the server's 220 to STARTTLS until the
        // handshake is done, then `secure`; the session is ready only after EHLO over
        // TLS. A failure in between is a failure of TLS with this server, whatever
        // form it takes (a handshake error, garbage, a close, a refusal of the new EHLO).
        // Implicit TLS (secure from the start) is not an upgrade, and AUTH comes later.
        const state = conn as unknown as { upgrading?: boolean; secure: boolean };
        const tlsFailed =
          target.security !== 'tls' && !loggingIn && (state.upgrading === true || state.secure === true);
        conn.close();
        reject(openError(err, tlsFailed));
      };
      conn.once('error', fail);
      // SMTPConnection reports some failures (a server that closes before its greeting)
      // through this callback rather than the 'error' event.
      (conn.connect as (cb: (err?: Error | null) => void) => void)((err) => {
        if (err) return fail(err as NodemailerError);
        const ready = () => {
          if (settled) return;
          settled = true;
          conn.removeListener('error', fail);
          resolve(new SmtpHop(target, conn));
        };
        if (!target.auth) return ready();
        loggingIn = true;
        conn.login({ user: target.auth.user, pass: target.auth.pass }, (err) => {
          if (err)
            return fail(Object.assign(err as NodemailerError, { command: (err as NodemailerError).command ?? 'AUTH' }));
          ready();
        });
      });
    });
  }

  get tls(): boolean {
    return this.conn.secure;
  }

  get usable(): boolean {
    return !this.closed;
  }

  get capabilities(): HopCapabilities {
    // SMTPConnection parses EHLO into this list but does not declare it in its types.
    const ext = (this.conn as unknown as { _supportedExtensions: string[] })._supportedExtensions ?? [];
    const size = (this.conn as unknown as { _maxAllowedSize?: number })._maxAllowedSize;
    return {
      eightBitMime: ext.includes('8BITMIME'),
      smtpUtf8: ext.includes('SMTPUTF8'),
      pipelining: ext.includes('PIPELINING'),
      size: size || null,
    };
  }

  /** One transaction: MAIL, RCPT for each recipient, DATA, the message, the final dot. */
  send(
    from: string,
    recipients: readonly string[],
    message: Buffer,
    opts: { eightBit: boolean; smtpUtf8?: boolean },
  ): Promise<TransactionResult> {
    if (opts.smtpUtf8 && this.capabilities.smtpUtf8) this.forceSmtpUtf8Once();
    // Dot-stuffed here when the message has CRLF line ends only (ours always do), and
    // then passed through nodemailer's DataStream untouched: the same bytes on the wire.
    const stuffed = stuffDots(message);
    const restore = stuffed ? this.passDataThroughOnce() : () => {};
    // SMTPConnection pipes the message only after the server said 354 to DATA, so
    // the first read marks the point after which a lost connection means "unknown".
    let dataStarted = false;
    const body = new Readable({
      read() {
        dataStarted = true;
        this.push(stuffed ?? message);
        this.push(null);
      },
    });
    return new Promise((resolve) => {
      this.conn.send(
        { from, to: [...recipients], size: message.length, use8BitMime: opts.eightBit } as SMTPConnection.Envelope,
        body,
        (err, info) => {
          restore();
          if (!err) {
            const rejected = new Map(
              ((info.rejectedErrors ?? []) as NodemailerError[]).map((e) => [
                (e as { recipient?: string }).recipient ?? '',
                e,
              ]),
            );
            const reply = info.response ?? '250 OK';
            const code = replyCode(reply) ?? 250;
            return resolve({
              kind: 'answered',
              code,
              response: reply,
              recipients: recipients.map((r) => rcptResult(r, rejected.get(r), code, reply)),
            });
          }
          resolve(this.failure(err as NodemailerError, recipients, dataStarted));
        },
      );
    });
  }

  private failure(err: NodemailerError, recipients: readonly string[], dataStarted: boolean): TransactionResult {
    const rejected = new Map((err.rejectedErrors ?? []).map((e) => [e.recipient ?? '', e]));
    const code = err.responseCode ?? (err.response ? replyCode(err.response) : null);
    if (dataStarted) {
      const perRcpt = recipients.map((r) => rcptResult(r, rejected.get(r), code, err.response ?? null));
      if (code && err.command === 'DATA') {
        return { kind: 'answered', code, response: err.response ?? '', recipients: perRcpt };
      }
      this.closed = true;
      return {
        kind: 'unknown',
        reason: `the connection was lost after the message was sent and before the server confirmed it (${err.message})`,
        // Recipients refused at RCPT keep their own reply; only accepted ones are unknown.
        recipients: perRcpt,
      };
    }
    if (code) {
      const stage = err.command === 'MAIL FROM' ? 'mail' : err.command === 'RCPT TO' ? 'rcpt' : 'data';
      return {
        kind: 'refused',
        stage,
        code,
        response: err.response ?? '',
        recipients: recipients.map((r) => rcptResult(r, rejected.get(r), code, err.response ?? null, stage !== 'rcpt')),
      };
    }
    if (err.code === 'EMESSAGE' && /size/i.test(err.message)) {
      // SMTPConnection refuses locally, before MAIL, when the server's SIZE is smaller.
      return {
        kind: 'refused',
        stage: 'mail',
        code: 552,
        response: `552 5.3.4 The message is larger than ${this.target.label} accepts (${err.message})`,
        recipients: recipients.map((r) => ({ recipient: r, accepted: false, code: 552, response: null })),
      };
    }
    this.closed = true;
    return { kind: 'interrupted', reason: err.message, errorCode: transportCode(err) };
  }

  /**
   * RFC 6531 wants the SMTPUTF8 parameter whenever the message needs it, including
   * UTF-8 header fields with ASCII addresses; SMTPConnection adds it only for non-ASCII
   * addresses and has no option, so the next MAIL command gets it here.
   */
  private forceSmtpUtf8Once(): void {
    const conn = this.conn as unknown as { _sendCommand(str: string, log?: string): void };
    const original = conn._sendCommand;
    conn._sendCommand = function (this: unknown, str: string, log?: string) {
      if (str.startsWith('MAIL FROM:')) {
        conn._sendCommand = original;
        if (!/ SMTPUTF8\b/.test(str)) str = `${str} SMTPUTF8`;
      }
      return original.call(this, str, log);
    };
  }

  /**
   * SMTPConnection sends the message through a DataStream that dot-stuffs it byte by
   * byte; for the next message (already stuffed by stuffDots) that stream passes the
   * bytes on as they are, keeping its counters and the last byte, from which it writes
   * the final dot line. Returns the undo, for a transaction refused before DATA.
   */
  private passDataThroughOnce(): () => void {
    type DataStream = Transform & { inByteCount: number; outByteCount: number; lastByte: number | false };
    const conn = this.conn as unknown as { _createSendStream(callback: unknown): DataStream };
    const original = conn._createSendStream;
    conn._createSendStream = function (this: unknown, callback: unknown) {
      conn._createSendStream = original;
      const stream = original.call(this, callback);
      stream._transform = (chunk: Buffer, _encoding, done) => {
        if (chunk.length) {
          stream.inByteCount += chunk.length;
          stream.outByteCount += chunk.length;
          stream.lastByte = chunk[chunk.length - 1] as number;
          stream.push(chunk);
        }
        done();
      };
      return stream;
    };
    return () => {
      conn._createSendStream = original;
    };
  }

  /** RSET after a refused transaction, so the connection can carry the next one. */
  reset(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      // SMTPConnection drops pending callbacks when the connection dies, so the end of
      // the connection and a timeout also finish the RSET.
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.conn.removeListener('end', onEnd);
        if (!ok) this.closed = true;
        resolve(ok);
      };
      const onEnd = () => finish(false);
      const timer = setTimeout(() => {
        this.conn.close();
        finish(false);
      }, this.target.timeoutMs);
      this.conn.once('end', onEnd);
      this.conn.reset((err) => finish(!err));
    });
  }

  close(): void {
    this.closed = true;
    this.conn.quit();
    // quit() waits for the 221; close() makes sure the socket goes even when it does not come.
    setTimeout(() => this.conn.close(), 1000).unref();
  }
}

function rcptResult(
  recipient: string,
  rejection: NodemailerError | undefined,
  code: number | null,
  response: string | null,
  allFailed = false,
): RcptResult {
  if (rejection) {
    return {
      recipient,
      accepted: false,
      code: rejection.responseCode ?? replyCode(rejection.response ?? '') ?? null,
      response: rejection.response ?? rejection.message,
    };
  }
  return { recipient, accepted: !allFailed, code, response };
}

function replyCode(text: string): number | null {
  const m = /^(\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

function transportCode(err: NodemailerError): string | null {
  const original = (err as { originalCode?: string }).originalCode;
  return original ?? err.code ?? null;
}

function openError(err: NodemailerError, tlsFailed: boolean): HopOpenError {
  const code = err.responseCode ?? (err.response ? replyCode(err.response) : null);
  const command = (err.command ?? '').toUpperCase();
  let stage: OpenStage = 'connect';
  if (command.startsWith('AUTH') || err.code === 'EAUTH' || command === 'API') stage = 'auth';
  else if (
    tlsFailed ||
    command.includes('STARTTLS') ||
    /TLS|certificate|self.signed|CERT_/i.test(`${err.code} ${err.message}`)
  )
    stage = 'starttls';
  else if (command === 'EHLO' || command === 'HELO' || command === 'LHLO') stage = 'ehlo';
  else if (code) stage = 'greeting';
  if (err.code === 'EAUTH' && /not supported|no authentication/i.test(err.message)) stage = 'auth';
  return new HopOpenError(stage, err.message, code, err.response ?? null, code ? null : transportCode(err), tlsFailed);
}
