import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { MailroomError } from '../../shared/errors.ts';
import type { DomainsService } from '../domains/domains-service.ts';
import { domainOfAddress } from '../domains/domains-service.ts';
import type { Logger } from '../engine/log.ts';
import type { DataPaths } from '../engine/paths.ts';
import type { GroupCommitter } from '../queue/group-commit.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { SettingsService } from '../settings/settings-service.ts';
import { checkRelayLogin } from './credentials.ts';
import type { HeaderSummary } from './headers.ts';
import { MessageIntake } from './intake.ts';
import { loginAllowed, type RelayConfig, relayConfigFrom } from './relay-config.ts';

export interface RelayDeps {
  paths: DataPaths;
  settings: SettingsService;
  domains: DomainsService;
  secrets: SecretStore;
  committer: GroupCommitter;
  log: Logger;
  /** Name in the greeting and Received fields; defaults to the host name. */
  serverName?: string;
  /** First delay after a failed login; it doubles with every further failure. */
  authFailureDelayMs?: number;
}

/** Failed logins allowed per connection; the next one is answered 421 and the connection closed. */
const MAX_AUTH_FAILURES = 3;
/** Messages above this stream to a spool file instead of being held in memory. */
const SPILL_BYTES = 1024 * 1024;
const MAX_HEADER_BYTES = 1024 * 1024;
/**
 * RFC 5321 allows 512 octets per command line, plus room for service extensions
 * (SIZE=, BODY=, SMTPUTF8, AUTH=); 1000 is the longest line RFC 5321 allows at all.
 */
const MAX_COMMAND_LENGTH = 1000;

type SmtpError = Error & { responseCode: number };
function reply(code: number, text: string): SmtpError {
  return Object.assign(new Error(text), { responseCode: code });
}

const SHUTTING_DOWN = '4.3.2 Mailroom is shutting down; try again in a moment';

export interface RelayAddress {
  host: string;
  port: number;
}

/**
 * The local SMTP intake. Mail programs on this computer log in and hand over
 * messages; each is answered 250 only after it is committed to the queue with fsync.
 */
export class RelayServer {
  private readonly deps: RelayDeps;
  private readonly name: string;
  private smtp: SMTPServer | null = null;
  private listener: net.Server | null = null;
  private cfg: RelayConfig | null = null;
  private draining = false;
  private readonly authFailures = new Map<string, number>();
  private readonly intakes = new Map<string, MessageIntake>();
  address: RelayAddress | null = null;

  constructor(deps: RelayDeps) {
    this.deps = deps;
    this.name = deps.serverName ?? os.hostname();
  }

  async start(): Promise<RelayAddress> {
    const cfg = relayConfigFrom(this.deps.settings.all());
    this.cfg = cfg;
    const smtp = new SMTPServer({
      name: this.name,
      banner: 'Mailroom',
      size: cfg.maxMessageBytes,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: false,
      authRequiredMessage:
        '5.7.0 Log in first: Mailroom needs the relay user name and password (shown in Mailroom under Settings, Local relay)',
      // smtp-server allows AUTH without TLS whenever STARTTLS is off; onAuth enforces
      // our rule instead: clear-text logins only from this computer.
      allowInsecureAuth: true,
      hideSTARTTLS: cfg.tls === null,
      ...(cfg.tls ? { key: cfg.tls.key, cert: cfg.tls.cert } : {}),
      disableReverseLookup: true,
      maxClients: cfg.maxClients,
      maxRecipients: cfg.maxRecipients,
      maxCommandLength: MAX_COMMAND_LENGTH,
      socketTimeout: 60_000,
      closeTimeout: 30_000,
      logger: false,
      onAuth: (auth, session, cb) => {
        this.onAuth(auth.method, auth.username ?? '', auth.password ?? '', session).then(
          (user) => cb(null, { user }),
          (err: Error) => cb(err),
        );
      },
      onMailFrom: (address, _session, cb) => {
        // While shutting down, no new transaction starts; those already open finish.
        if (this.draining) return cb(reply(421, SHUTTING_DOWN));
        cb(this.checkSender(address.address, 'MAIL FROM') ?? undefined);
      },
      onRcptTo: (address, _session, cb) => {
        if (!domainOfAddress(address.address)) {
          return cb(reply(553, `5.1.3 <${address.address}> is not a valid address: it needs a domain after the @`));
        }
        cb();
      },
      onData: (stream, session, cb) => this.onData(stream, session, cb),
      onClose: (session) => {
        this.authFailures.delete(session.id);
        this.intakes.get(session.id)?.cleanup();
        this.intakes.delete(session.id);
      },
    });
    smtp.on('error', (err) => this.deps.log.warn('relay connection error', { error: err.message }));
    this.smtp = smtp;

    // Our own listener, so that during shutdown new connections still get a
    // proper 421 instead of a refused connection, and so every socket gets a
    // session deadline (idle timeouts alone do not stop a client that trickles bytes).
    const listener = net.createServer((socket) => this.onSocket(socket));
    this.listener = listener;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, cfg)));
      listener.listen(cfg.port, cfg.host, () => resolve());
    });
    listener.on('error', (err) => this.deps.log.error('relay listener error', { error: err.message }));
    const addr = listener.address() as net.AddressInfo;
    this.address = { host: addr.address, port: addr.port };
    return this.address;
  }

  private onSocket(socket: net.Socket): void {
    socket.on('error', () => {}); // smtp-server reports connection errors; a reset must not crash us
    if (this.draining || !this.smtp) {
      socket.end(`421 ${SHUTTING_DOWN}\r\n`);
      return;
    }
    const maxMs = this.cfg?.maxSessionMs ?? 600_000;
    const deadline = setTimeout(() => {
      this.deps.log.info('relay session time limit reached', { remote: socket.remoteAddress });
      socket.end('421 4.4.2 Session time limit reached, closing connection; please reconnect\r\n');
      setTimeout(() => socket.destroy(), 2000).unref();
    }, maxMs);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    this.smtp.connect(socket, {});
  }

  private async onAuth(
    method: string,
    username: string,
    password: string,
    session: SMTPServerSession,
  ): Promise<string> {
    if (!loginAllowed(session)) {
      throw reply(538, '5.7.11 Encryption required: use STARTTLS before logging in');
    }
    if (method !== 'PLAIN' && method !== 'LOGIN') throw reply(504, '5.5.4 Use AUTH PLAIN or AUTH LOGIN');
    let ok: boolean;
    try {
      ok = await checkRelayLogin(this.deps.settings, this.deps.secrets, username, password);
    } catch (err) {
      this.deps.log.error('relay could not read its credentials', { error: (err as Error).message });
      throw reply(
        454,
        '4.7.0 Mailroom could not check the password right now (its keychain is not reachable); try again later',
      );
    }
    if (ok) {
      this.authFailures.delete(session.id);
      return username;
    }
    const failures = (this.authFailures.get(session.id) ?? 0) + 1;
    this.authFailures.set(session.id, failures);
    this.deps.log.warn('relay login failed', { remote: session.remoteAddress, user: username, failures });
    // A growing pause makes guessing slow; after a few misses the connection goes.
    const delay = (this.deps.authFailureDelayMs ?? 1000) * 2 ** (failures - 1);
    await new Promise((r) => setTimeout(r, delay));
    if (failures >= MAX_AUTH_FAILURES) {
      throw reply(421, '4.7.0 Too many failed logins, closing connection');
    }
    throw reply(
      535,
      '5.7.8 Wrong user name or password. Copy both from Mailroom (Settings, Local relay) into your mail program',
    );
  }

  /** The sender must be at one of the user's own domains: Mailroom relays for them and nobody else. */
  private checkSender(address: string, where: 'MAIL FROM' | 'From:'): SmtpError | null {
    const domains = this.deps.domains.list();
    if (domains.length === 0) {
      return reply(
        553,
        '5.7.1 Mailroom has no sending domain yet, so it accepts no mail. Add your domain in Mailroom (Settings, Sending domains, or: mailroom domains add example.com) and send again',
      );
    }
    const domain = domainOfAddress(address);
    if (domain && domains.includes(domain)) return null;
    const shown = address || '<>';
    return reply(
      553,
      `5.7.1 ${where} ${shown} is not at one of your sending domains (${domains.join(', ')}). Send from one of them, or add ${domain ?? 'the domain'} in Mailroom (Settings, Sending domains, or: mailroom domains add ${domain ?? 'example.com'})`,
    );
  }

  private onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    cb: (err?: Error | null, message?: string) => void,
  ): void {
    const queueId = newQueueId();
    const recipients = session.envelope.rcptTo.map((r) => r.address);
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const { paths } = this.deps;
    const intake = new MessageIntake({
      spoolTmp: paths.spoolTmp,
      spool: paths.spool,
      queueId,
      spillBytes: SPILL_BYTES,
      maxHeaderBytes: MAX_HEADER_BYTES,
      prefix: (summary) => this.tracePrefix(summary, session, queueId, recipients),
    });
    this.intakes.set(session.id, intake);
    let failure: Error | null = null;

    stream.on('data', (chunk: Buffer) => {
      if (failure) return;
      if (stream.sizeExceeded) {
        intake.discard();
        return;
      }
      try {
        intake.write(chunk);
      } catch (err) {
        failure = err as Error;
        intake.discard();
      }
    });

    stream.once('end', () => {
      this.intakes.delete(session.id);
      const done = (err: SmtpError | null, message?: string) => {
        if (err) intake.cleanup();
        cb(err, message);
      };
      if (stream.sizeExceeded) {
        const mb = Math.floor(((this.cfg?.maxMessageBytes ?? 0) / 1024 / 1024) * 10) / 10;
        return done(reply(552, `5.3.4 Message too big: Mailroom accepts messages up to ${mb} MB. Nothing was queued`));
      }
      let result: ReturnType<MessageIntake['finish']>;
      try {
        if (failure) throw failure;
        result = intake.finish();
      } catch (err) {
        this.deps.log.error('relay could not spool a message', { queueId, error: (err as Error).message });
        return done(
          reply(
            451,
            '4.3.0 Mailroom could not save the message, so it was not accepted; your mail program will try again',
          ),
        );
      }
      if (!result.ok) {
        return done(
          result.reason === 'nul'
            ? reply(554, '5.6.0 Message refused: it contains NUL bytes, which email may not carry. Nothing was queued')
            : reply(552, '5.3.4 Message refused: its header section is larger than 1 MB. Nothing was queued'),
        );
      }
      const { summary } = result;
      if (summary.fromAddresses.length === 0) {
        return done(reply(554, '5.6.0 Message refused: it has no From: header with an address. Nothing was queued'));
      }
      for (const from of summary.fromAddresses) {
        const refused = this.checkSender(from, 'From:');
        if (refused) return done(refused);
      }
      const spoolRel = result.spoolFile ? path.join('spool', result.spoolFile) : null;
      this.deps.committer
        .commit({
          source: 'relay',
          queueId,
          mailFrom,
          recipients,
          authUser: typeof session.user === 'string' ? session.user : null,
          clientAddress: session.remoteAddress,
          clientHelo: session.hostNameAppearsAs || null,
          messageId: summary.messageId,
          subject: summary.subject,
          headerFrom: summary.from,
          size: result.size,
          body: result.body,
          spoolPath: spoolRel,
        })
        .then(
          () => done(null, `2.0.0 Ok: queued as ${queueId}`),
          (err: Error) => {
            if (spoolRel) removeQuietly(path.join(paths.dataDir, spoolRel));
            this.deps.log.error('relay could not commit a message', { queueId, error: err.message });
            done(
              reply(
                451,
                '4.3.0 Mailroom could not save the message safely, so it was not accepted; your mail program will try again',
              ),
            );
          },
        );
    });
  }

  private tracePrefix(
    summary: HeaderSummary,
    session: SMTPServerSession,
    queueId: string,
    recipients: string[],
  ): string {
    const helo = session.hostNameAppearsAs || 'unknown';
    const forPart = recipients.length === 1 ? `\r\n\tfor <${recipients[0]}>` : '';
    let out =
      `Received: from ${helo} ([${session.remoteAddress}])\r\n` +
      `\tby ${this.name} (Mailroom) with ${session.transmissionType || 'ESMTP'} id ${queueId}${forPart};\r\n` +
      `\t${rfc5322Date(new Date())}\r\n`;
    if (!summary.hasMessageId) {
      const domain = domainOfAddress(summary.fromAddresses[0] ?? '') ?? this.name;
      const id = `<${queueId}.${crypto.randomBytes(6).toString('hex')}@${domain}>`;
      summary.messageId = id;
      out += `Message-ID: ${id}\r\n`;
    }
    if (!summary.hasDate) out += `Date: ${rfc5322Date(new Date())}\r\n`;
    return out;
  }

  /**
   * Graceful stop: new connections and new transactions get 421, messages already
   * being sent finish (up to `graceMs`), then the listener closes.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.draining = true;
    const smtp = this.smtp;
    const deadline = Date.now() + graceMs;
    if (smtp) {
      while (smtp.connections.size > 0 && Date.now() < deadline) {
        for (const conn of smtp.connections) {
          if (!conn.session.envelope?.mailFrom) {
            conn.send(421, SHUTTING_DOWN);
            conn.close();
          }
        }
        if (smtp.connections.size > 0) await new Promise((r) => setTimeout(r, 20));
      }
      for (const conn of smtp.connections) {
        conn.send(421, SHUTTING_DOWN);
        conn.close();
      }
    }
    const listener = this.listener;
    if (listener) await new Promise<void>((r) => listener.close(() => r()));
    this.listener = null;
    this.smtp = null;
  }
}

function listenError(err: NodeJS.ErrnoException, cfg: RelayConfig): MailroomError {
  if (err.code === 'EADDRINUSE') {
    return new MailroomError(
      'RELAY_START',
      `Port ${cfg.port} on ${cfg.host} is already in use by another program. Stop that program, or give Mailroom another port: mailroom settings set relay.port ${cfg.port + 1}`,
    );
  }
  if (err.code === 'EACCES') {
    return new MailroomError(
      'RELAY_START',
      `Mailroom is not allowed to listen on port ${cfg.port}. Ports below 1024 need administrator rights; use a higher one (the default is 2525).`,
    );
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new MailroomError(
      'RELAY_START',
      `${cfg.host} is not an address of this computer. Set relay.host to 127.0.0.1 or to one of this computer's addresses.`,
    );
  }
  return new MailroomError('RELAY_START', `The relay could not listen on ${cfg.host}:${cfg.port}: ${err.message}`);
}

function newQueueId(): string {
  // randomUUID draws from a cached entropy pool: cheaper per message than randomBytes.
  return crypto.randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
}

/** RFC 5322 date-time in UTC, e.g. "Sun, 22 Nov 2026 11:42:00 +0000". */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // an orphaned spool file is swept at the next start
  }
}
