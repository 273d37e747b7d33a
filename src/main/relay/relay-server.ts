import crypto from 'node:crypto';
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
import { admit } from './admission.ts';
import { checkRelayLogin } from './credentials.ts';
import type { HeaderSummary } from './headers.ts';
import { type IntakeResult, MessageIntake } from './intake.ts';
import { clientKey, clientLabel, type LoginGuard, THIS_COMPUTER } from './login-guard.ts';
import { acceptQuotedLocalParts, quotedAddressRefusal } from './quoted-local-part.ts';
import { hostPort, listenPlan, type RelayAddress } from './relay-address.ts';
import { loginAllowed, type RelayConfig, relayConfigFrom } from './relay-config.ts';
import { checkSenderAddress, senderRefusal } from './sender-check.ts';

export type { RelayAddress } from './relay-address.ts';

export interface RelayDeps {
  paths: DataPaths;
  settings: SettingsService;
  domains: DomainsService;
  secrets: SecretStore;
  committer: GroupCommitter;
  log: Logger;
  /** Counts failed logins per client across connections; one per engine, so a port move keeps the counts. */
  guard: LoginGuard;
  /** Name in the greeting and Received fields; defaults to the host name. */
  serverName?: string;
  /** How long a connection may take to log in (LOGIN_TIMEOUT_MS; shorter in tests). */
  loginTimeoutMs?: number;
}

/** Failed logins allowed per connection; the next one is answered 421 and the connection closed. */
const MAX_AUTH_FAILURES = 3;
/** Messages above this stream to a spool file instead of being held in memory. */
const SPILL_BYTES = 1024 * 1024;
const MAX_HEADER_BYTES = 1024 * 1024;
/**
 * RFC 5321 allows 512 octets per command line, and each service extension may add
 * its parameters (SIZE=, BODY=, SMTPUTF8, AUTH= up to 500 octets by RFC 4954): about
 * 1000 covers them all, and 1000 is the longest line RFC 5321 allows at all.
 */
const MAX_COMMAND_LENGTH = 1000;
/** After the session deadline, a client still in a transaction gets this long to finish it. */
const DEADLINE_GRACE_MS = 30_000;
/** A socket we have closed is destroyed this long after, whatever the client does. */
const CLOSE_LINGER_MS = 2000;
/**
 * A connection that has not logged in within this long gets 421 and is closed, whatever
 * it sends meanwhile (NOOP, RSET, EHLO…): otherwise any program on this computer could
 * hold connections without a password until relay.maxSessionSeconds. Mail programs log
 * in within a second of connecting; the pauses after three wrong passwords fit easily.
 */
const LOGIN_TIMEOUT_MS = 30_000;
/** Attempts to find a port free on both 127.0.0.1 and ::1 when relay.port is 0. */
const PORT_PAIR_ATTEMPTS = 5;

type SMTPConnection = SMTPServer['connections'] extends Set<infer C> ? C : never;
type SmtpError = Error & { responseCode: number };
function reply(code: number, text: string): SmtpError {
  return Object.assign(new Error(text), { responseCode: code });
}

const SHUTTING_DOWN = '4.3.2 Mailroom is shutting down; try again in a moment';
const TIME_LIMIT = '4.4.2 Session time limit reached, closing connection; please reconnect';

/** What the relay keeps per connection, dropped when it closes. */
interface SessionState {
  id: string;
  socket: net.Socket;
  /** Who the connection counts as (clientKey): "this computer" for loopback. */
  client: string;
  loggedIn: boolean;
  authFailures: number;
  intake: MessageIntake | null;
  /** The session deadline passed while a transaction was open: close after its reply. */
  expired: boolean;
}

/**
 * The local SMTP intake. Mail programs on this computer log in and hand over
 * messages; each is answered 250 only after it is committed to the queue with fsync.
 */
export class RelayServer {
  private readonly deps: RelayDeps;
  private readonly name: string;
  private smtp: SMTPServer | null = null;
  private listeners: net.Server[] = [];
  private cfg: RelayConfig | null = null;
  private draining = false;
  private readonly sessions = new Map<string, SessionState>();
  private readonly sockets = new Set<net.Socket>();
  private quotedWarned = false;
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
      // Without our own certificate STARTTLS stays off entirely: smtp-server's
      // built-in certificate has a published private key.
      ...(cfg.tls ? { key: cfg.tls.key, cert: cfg.tls.cert } : { hideSTARTTLS: true, disabledCommands: ['STARTTLS'] }),
      disableReverseLookup: true,
      maxClients: cfg.maxClients,
      maxRecipients: cfg.maxRecipients,
      maxCommandLength: MAX_COMMAND_LENGTH,
      socketTimeout: 60_000,
      logger: false,
      onAuth: (auth, session, cb) => {
        this.onAuth(auth.username ?? '', auth.password ?? '', session).then(
          (user) => cb(null, { user }),
          (err: Error) => cb(err),
        );
      },
      onMailFrom: (address, session, cb) => {
        // While shutting down, no new transaction starts; those already open finish.
        if (this.draining) return cb(reply(421, SHUTTING_DOWN));
        if (this.sessions.get(session.id)?.expired) return cb(reply(421, TIME_LIMIT));
        const bad = quotedAddressRefusal(address);
        if (bad) return cb(reply(501, `5.1.7 <${address.address}> is not a valid address: ${bad}`));
        cb(this.checkSender(address.address, 'MAIL FROM') ?? undefined);
      },
      onRcptTo: (address, session, cb) => {
        if (this.sessions.get(session.id)?.expired) return cb(reply(421, TIME_LIMIT));
        const bad = quotedAddressRefusal(address);
        if (bad) return cb(reply(501, `5.1.3 <${address.address}> is not a valid address: ${bad}`));
        if (!domainOfAddress(address.address)) {
          return cb(reply(553, `5.1.3 <${address.address}> is not a valid address: it needs a domain after the @`));
        }
        cb();
      },
      onData: (stream, session, cb) => this.onData(stream, session, cb),
      onClose: (session) => {
        const state = this.sessions.get(session.id);
        this.sessions.delete(session.id);
        state?.intake?.cleanup();
      },
    });
    smtp.on('error', (err) => this.deps.log.warn('relay connection error', { error: err.message }));
    this.smtp = smtp;

    this.address = await this.listenAll(cfg);
    return this.address;
  }

  /**
   * Our own listeners, so that during shutdown new connections still get a proper
   * 421 instead of a refused connection, and so every socket gets a login deadline
   * and a session deadline (idle timeouts alone do not stop a client that trickles
   * bytes). For this computer that is 127.0.0.1 and ::1 on the same port: IPv4 first
   * (relay.port 0 picks the port there), then ::1 on that port. A computer without an
   * IPv6 loopback runs on 127.0.0.1 alone, and mail programs are told 127.0.0.1.
   */
  private async listenAll(cfg: RelayConfig): Promise<RelayAddress> {
    const plan = listenPlan(cfg.host);
    for (let attempt = 1; ; attempt++) {
      const first = await this.listenOn(plan.first, cfg.port).catch((err: NodeJS.ErrnoException) => {
        throw listenError(err, cfg);
      });
      const port = (first.address() as net.AddressInfo).port;
      const listening = [plan.first];
      if (plan.ipv6Loopback) {
        try {
          this.listeners.push(await this.listenOn('::1', port));
          listening.push('::1');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE' && cfg.port === 0 && attempt < PORT_PAIR_ATTEMPTS) {
            // Another program took this port on ::1 between our two binds: pick again.
            await new Promise<void>((r) => first.close(() => r()));
            continue;
          }
          this.deps.log.warn(
            code === 'EADDRINUSE'
              ? 'relay listens on 127.0.0.1 only: another program uses this port on ::1, so mail programs are told 127.0.0.1 rather than localhost'
              : 'relay listens on 127.0.0.1 only: this computer has no IPv6 loopback (::1), so mail programs are told 127.0.0.1 rather than localhost',
            { port, error: code ?? (err as Error).message },
          );
        }
      }
      this.listeners.unshift(first);
      return { host: plan.first, port, listening };
    }
  }

  private listenOn(host: string, port: number): Promise<net.Server> {
    const listener = net.createServer((socket) => this.onSocket(socket));
    return new Promise<net.Server>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ port, host, ipv6Only: host.includes(':') }, () => {
        listener.off('error', reject);
        listener.on('error', (err) =>
          this.deps.log.error('relay listener error', { address: hostPort(host, port), error: err.message }),
        );
        resolve(listener);
      });
    });
  }

  private onSocket(socket: net.Socket): void {
    socket.on('error', () => {}); // smtp-server reports connection errors; a reset must not crash us
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const smtp = this.smtp;
    const remote = socket.remoteAddress ?? '';
    const client = clientKey(remote);
    const blockedUntil = this.deps.guard.blockedUntil(remote);
    const refusal =
      this.draining || !smtp ? SHUTTING_DOWN : blockedUntil ? blockedText(client, blockedUntil) : this.makeRoom(client);
    if (refusal || !smtp) {
      refuse(socket, refusal ?? SHUTTING_DOWN);
      return;
    }
    const id = crypto.randomUUID();
    this.sessions.set(id, { id, socket, client, loggedIn: false, authFailures: 0, intake: null, expired: false });
    const deadline = setTimeout(() => this.onDeadline(id), this.cfg?.maxSessionMs ?? 600_000);
    deadline.unref();
    const loginMs = this.deps.loginTimeoutMs ?? LOGIN_TIMEOUT_MS;
    const loginDeadline = setTimeout(() => this.onLoginTimeout(id, loginMs), loginMs);
    loginDeadline.unref();
    socket.once('close', () => {
      clearTimeout(deadline);
      clearTimeout(loginDeadline);
    });
    smtp.connect(socket, { id });
    const conn = this.connection(id);
    // Quoted local parts ("a b"@example.com) are valid RFC 5321 addresses smtp-server cannot read.
    if (conn && !acceptQuotedLocalParts(conn) && !this.quotedWarned) {
      this.quotedWarned = true;
      this.deps.log.warn('this smtp-server version cannot be taught quoted addresses; they get 501');
    }
  }

  /** Makes a place for a new connection from `client` (see admit()), or says why there is none. */
  private makeRoom(client: string): string | null {
    const open: SessionState[] = [];
    for (const conn of this.smtp?.connections ?? []) {
      const state = this.sessions.get(conn.id);
      if (state) open.push(state);
    }
    const { evict, refuse } = admit(open, client, this.cfg?.maxClients ?? Number.POSITIVE_INFINITY);
    for (const state of evict) this.evict(state);
    return refuse;
  }

  private evict(state: SessionState): void {
    this.connection(state.id)?.send(
      421,
      '4.7.0 Closing this connection: it has not logged in, and a new connection needs its place',
    );
  }

  private onLoginTimeout(id: string, ms: number): void {
    const state = this.sessions.get(id);
    if (!state || state.loggedIn) return;
    const conn = this.connection(id);
    if (!conn) return;
    conn.send(
      421,
      `4.7.0 No login within ${Math.round(ms / 1000)} seconds, closing connection; mail programs log in right after connecting`,
    );
  }

  private connection(id: string): SMTPConnection | undefined {
    for (const conn of this.smtp?.connections ?? []) if (conn.id === id) return conn;
    return undefined;
  }

  /**
   * The session has lasted too long. Between transactions it is closed at once
   * (smtp-server stops reading once it sends 421); a transaction in progress may
   * finish and is closed right after its reply, and a client that still dawdles
   * is cut off after a grace period, before its message could be stored.
   */
  private onDeadline(id: string): void {
    const state = this.sessions.get(id);
    const conn = this.connection(id);
    if (!state || !conn) return;
    this.deps.log.info('relay session time limit reached', { remote: conn.remoteAddress });
    if (!conn.session.envelope?.mailFrom) {
      conn.send(421, TIME_LIMIT);
      return;
    }
    state.expired = true;
    setTimeout(() => state.socket.destroy(), DEADLINE_GRACE_MS).unref();
  }

  private async onAuth(username: string, password: string, session: SMTPServerSession): Promise<string> {
    if (!loginAllowed(session)) {
      throw reply(538, '5.7.11 Encryption required: use STARTTLS before logging in');
    }
    // While the client is blocked not even the right password is checked: a guess made
    // now would tell the guesser nothing, and the block ends by itself.
    const blockedUntil = this.deps.guard.blockedUntil(session.remoteAddress);
    if (blockedUntil) throw reply(421, blockedText(clientKey(session.remoteAddress), blockedUntil));
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
    const state = this.sessions.get(session.id);
    const remote = session.remoteAddress;
    if (ok) {
      // A block that started while the password was being checked holds for this login too.
      const until = this.deps.guard.blockedUntil(remote);
      if (until) throw reply(421, blockedText(clientKey(remote), until));
      if (state) {
        state.authFailures = 0;
        state.loggedIn = true;
      }
      return username;
    }
    const connectionFailures = (state?.authFailures ?? 0) + 1;
    if (state) state.authFailures = connectionFailures;
    const counted = this.deps.guard.failed(remote);
    // The typed user name is not logged: people paste passwords into the wrong field.
    // `failures` is the client's running count over all its connections.
    this.deps.log.warn('relay login failed', {
      remote,
      client: clientLabel(clientKey(remote)),
      failures: counted.failures,
      recent: counted.recent,
      onThisConnection: connectionFailures,
      pauseMs: counted.pauseMs,
    });
    // A pause that grows with the client's recent failures, on any connection, makes
    // guessing slow; after a few misses the connection goes, after more the client.
    await new Promise((r) => setTimeout(r, counted.pauseMs));
    if (counted.blockedUntil) throw reply(421, blockedText(clientKey(remote), counted.blockedUntil));
    if (connectionFailures >= MAX_AUTH_FAILURES) {
      throw reply(421, '4.7.0 Too many failed logins, closing connection');
    }
    throw reply(
      535,
      '5.7.8 Wrong user name or password. Copy both from Mailroom (Settings, Local relay) into your mail program',
    );
  }

  /** The sender must be at one of the user's own domains: Mailroom relays for them and nobody else. */
  private checkSender(address: string, where: 'MAIL FROM'): SmtpError | null {
    const refused = checkSenderAddress(address, where, this.deps.domains.list());
    return refused ? reply(refused.code, refused.text) : null;
  }

  private onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    cb: (err?: Error | null, message?: string) => void,
  ): void {
    const queueId = newQueueId();
    const recipients = session.envelope.rcptTo.map((r) => r.address);
    const { paths } = this.deps;
    const intake = new MessageIntake({
      spoolTmp: paths.spoolTmp,
      spool: paths.spool,
      queueId,
      spillBytes: SPILL_BYTES,
      maxHeaderBytes: MAX_HEADER_BYTES,
      prefix: (summary) => this.tracePrefix(summary, session, queueId, recipients),
    });
    const state = this.sessions.get(session.id);
    if (state) state.intake = intake;
    let failure: Error | null = null;

    stream.on('data', (chunk: Buffer) => {
      if (failure) return;
      try {
        if (stream.sizeExceeded) intake.discard();
        else intake.write(chunk);
      } catch (err) {
        failure = err as Error;
        intake.cleanup();
      }
    });

    stream.once('end', () => {
      if (state) state.intake = null;
      let answered = false;
      const done = (err: SmtpError | null, message?: string) => {
        if (answered) return;
        answered = true;
        if (err) intake.cleanup();
        cb(err, message);
        // A session past its deadline ends right after the reply to its last message.
        if (state?.expired) setImmediate(() => this.connection(session.id)?.send(421, TIME_LIMIT));
      };
      try {
        this.finishMessage(stream, session, intake, queueId, recipients, failure, done);
      } catch (err) {
        // Nothing in here may take the process down; the client gets a temporary failure.
        this.deps.log.error('relay failed while finishing a message', { queueId, error: (err as Error).message });
        done(
          reply(
            451,
            '4.3.0 Mailroom could not save the message, so it was not accepted; your mail program will try again',
          ),
        );
      }
    });
  }

  /** Why a fully received message cannot be accepted, or null when it can. */
  private refusal(stream: SMTPServerDataStream, result: IntakeResult | null): SmtpError | null {
    if (stream.sizeExceeded || !result) {
      const mb = Math.floor(((this.cfg?.maxMessageBytes ?? 0) / 1024 / 1024) * 10) / 10;
      return reply(552, `5.3.4 Message too big: Mailroom accepts messages up to ${mb} MB. Nothing was queued`);
    }
    if (!result.ok) {
      return result.reason === 'nul'
        ? reply(554, '5.6.0 Message refused: it contains NUL bytes, which email may not carry. Nothing was queued')
        : reply(552, '5.3.4 Message refused: its header section is larger than 1 MB. Nothing was queued');
    }
    const refused = senderRefusal(result.summary, this.deps.domains.list());
    return refused ? reply(refused.code, refused.text) : null;
  }

  private finishMessage(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    intake: MessageIntake,
    queueId: string,
    recipients: string[],
    failure: Error | null,
    done: (err: SmtpError | null, message?: string) => void,
  ): void {
    if (failure) throw failure;
    const result = stream.sizeExceeded ? null : intake.finish();
    const refused = this.refusal(stream, result);
    if (refused || !result?.ok) {
      done(refused);
      return;
    }
    const { summary } = result;
    intake.place();
    const envelope = session.envelope;
    this.deps.committer
      .commit({
        source: 'relay',
        queueId,
        mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
        recipients,
        authUser: typeof session.user === 'string' ? session.user : null,
        clientAddress: session.remoteAddress,
        clientHelo: session.hostNameAppearsAs || null,
        messageId: summary.messageId,
        subject: summary.subject,
        headerFrom: summary.from,
        size: result.size,
        body: result.body,
        spoolPath: result.spoolFile ? path.join('spool', result.spoolFile) : null,
        bodyType: envelope.bodyType === '8bitmime' ? '8bitmime' : '7bit',
        smtpUtf8: Boolean(envelope.smtpUtf8),
      })
      .then(
        () => done(null, `2.0.0 Ok: queued as ${queueId}`),
        (err: Error) => {
          this.deps.log.error('relay could not commit a message', { queueId, error: err.message });
          done(
            reply(
              451,
              '4.3.0 Mailroom could not save the message safely, so it was not accepted; your mail program will try again',
            ),
          );
        },
      );
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
   * being sent finish (up to `graceMs`), then every remaining socket is closed.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.draining = true;
    const smtp = this.smtp;
    const deadline = Date.now() + graceMs;
    if (smtp) {
      while (smtp.connections.size > 0 && Date.now() < deadline) {
        for (const conn of smtp.connections) {
          if (!conn.session.envelope?.mailFrom) conn.send(421, SHUTTING_DOWN);
        }
        if (smtp.connections.size > 0) await new Promise((r) => setTimeout(r, 20));
      }
      for (const conn of smtp.connections) conn.send(421, SHUTTING_DOWN);
    }
    const listeners = this.listeners;
    if (listeners.length > 0) {
      const closed = Promise.all(listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
      // Clients that do not hang up after our 421 must not hold the shutdown.
      const linger = setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, CLOSE_LINGER_MS);
      await closed;
      clearTimeout(linger);
    }
    this.listeners = [];
    this.smtp = null;
  }
}

/** Answers 421 at once and closes: the socket never reaches smtp-server. */
function refuse(socket: net.Socket, text: string): void {
  socket.end(`421 ${text}\r\n`);
  setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
}

/** The 421 for a blocked client: what is happening, for how long, and what to check. */
function blockedText(client: string, until: number): string {
  const minutes = Math.max(1, Math.ceil((until - Date.now()) / 60_000));
  const who = client === THIS_COMPUTER ? 'this computer' : 'your address';
  return `4.7.0 Too many wrong passwords from ${who}: Mailroom refuses relay logins from it for ${minutes} more minute${minutes === 1 ? '' : 's'}. Then check the password in your mail program (Mailroom, Settings, Local relay)`;
}

function listenError(err: NodeJS.ErrnoException, cfg: RelayConfig): MailroomError {
  if (err.code === 'EADDRINUSE') {
    return new MailroomError(
      'RELAY_START',
      `Port ${cfg.port} on ${cfg.host} is already in use by another program. Stop that program, or give Mailroom another port, such as ${cfg.port + 1}: in the app under Settings, Local relay; on the command line with "mailroom settings set relay.port ${cfg.port + 1}".`,
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
