import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

// A receiving SMTP server on loopback for delivery tests: a fake MX host or a fake
// smarthost. It stores what it accepts and answers by script, so tests can make it
// refuse, defer, hang up after the data, or answer slowly.

export interface SinkMessage {
  from: string;
  to: string[];
  data: Buffer;
  tls: boolean;
  user: string | null;
  body: string | undefined;
  /** The client gave SMTPUTF8 on MAIL FROM. */
  smtpUtf8: boolean;
}

export type DataAnswer =
  | 'accept'
  | { code: number; message: string }
  /** Close the connection after the final dot without answering. */
  | 'drop'
  /** Answer (accept) only after this many milliseconds. */
  | { delayMs: number };

export interface SinkOptions {
  /** Require AUTH with this login. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with this key and certificate. */
  tls?: { key: string; cert: string };
  /** More TLS server options (e.g. maxVersion), to make the handshake fail the way a dated server does. */
  tlsOptions?: Record<string, unknown>;
  /** After a STARTTLS handshake: a reply here refuses the TLS session and closes the connection. */
  onSecure?: () => null | { code: number; message: string };
  hide8BitMime?: boolean;
  hideSmtpUtf8?: boolean;
  /** null accepts; an object refuses the recipient with that reply. */
  onRcpt?: (address: string, attempt: number) => null | { code: number; message: string };
  /** Decides the reply to the final dot; `attempt` counts transactions from 1. */
  onData?: (attempt: number, message: SinkMessage) => DataAnswer;
}

export interface Sink {
  port: number;
  messages: SinkMessage[];
  /** Transactions that reached the final dot, whatever the answer. */
  transactions: number;
  connections: number;
  close(): Promise<void>;
}

export async function startSink(opts: SinkOptions = {}): Promise<Sink> {
  const sink: Sink = { port: 0, messages: [], transactions: 0, connections: 0, close: async () => {} };
  const rcptAttempts = new Map<string, number>();
  const server: SMTPServer = new SMTPServer({
    authOptional: !opts.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: opts.tls ? [] : ['STARTTLS'],
    key: opts.tls?.key,
    cert: opts.tls?.cert,
    ...opts.tlsOptions,
    hide8BITMIME: opts.hide8BitMime,
    hideSMTPUTF8: opts.hideSmtpUtf8,
    size: 50 * 1024 * 1024,
    logger: false,
    onConnect(_session, cb) {
      sink.connections++;
      cb();
    },
    onSecure(_socket, _session, cb) {
      const refusal = opts.onSecure?.();
      if (refusal) return cb(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      cb();
    },
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        return cb(null, { user: auth.username });
      }
      cb(Object.assign(new Error('5.7.8 Username and Password not accepted'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const n = (rcptAttempts.get(address.address) ?? 0) + 1;
      rcptAttempts.set(address.address, n);
      const refusal = opts.onRcpt?.(address.address, n);
      if (refusal) return cb(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const message: SinkMessage = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
          tls: Boolean(session.secure),
          user: (session.user as string | undefined) ?? null,
          body: (session.envelope as { bodyType?: string }).bodyType,
          smtpUtf8: Boolean((session.envelope as { smtpUtf8?: boolean }).smtpUtf8),
        };
        const attempt = ++sink.transactions;
        const answer = opts.onData?.(attempt, message) ?? 'accept';
        if (answer === 'drop') {
          const conns = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> })
            .connections;
          for (const c of conns) if (c.id === session.id) c._socket.destroy();
          return;
        }
        if (answer === 'accept') {
          sink.messages.push(message);
          return cb(null, 'Ok: queued');
        }
        if ('delayMs' in answer) {
          setTimeout(() => {
            sink.messages.push(message);
            cb(null, 'Ok: queued after a while');
          }, answer.delayMs);
          return;
        }
        cb(Object.assign(new Error(answer.message), { responseCode: answer.code }));
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = ((server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo).port;
  sink.close = () =>
    new Promise<void>((resolve) => {
      const conns = (server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }).connections;
      for (const c of conns) c._socket.destroy();
      server.close(() => resolve());
    });
  return sink;
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
