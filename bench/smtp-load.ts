import crypto from 'node:crypto';
import net from 'node:net';

// What bench/relay.ts and bench/delivery.ts share: the generated newsletter messages
// and a raw-socket SMTP client that can pipeline (nodemailer would cost the client
// more CPU than the server it measures on this 2-core machine).

export const SENDER_DOMAIN = 'example.com';
export const RECIPIENT_DOMAIN = 'example.net';
const CONNECT_TIMEOUT_MS = 10_000;

/** A failure the benchmark reports in one sentence, without a stack trace. */
export class BenchError extends Error {}

export function fail(message: string): never {
  throw new BenchError(message);
}

// ---------------------------------------------------------------- messages

const WORDS =
  'the quarterly newsletter brings news from our workshop about orders shipping schedules new products customer stories and a few practical tips for getting more from the tools you already have while we prepare the spring catalogue and plan open days for local businesses'.split(
    ' ',
  );

/** Plain-text body of about `bytes` bytes, CRLF lines of at most 76 characters, dot-stuffed. */
function makeBody(bytes: number): string {
  const lines: string[] = [];
  let total = 0;
  let w = 0;
  while (total < bytes) {
    let line = '';
    while (line.length < 68) {
      line += (line ? ' ' : '') + (WORDS[w % WORDS.length] as string);
      w++;
    }
    if ((lines.length + 1) % 8 === 0) line = ''; // paragraphs
    lines.push(line);
    total += line.length + 2;
  }
  return lines
    .join('\r\n')
    .replace(/^\./gm, '..')
    .slice(0, Math.max(0, bytes - 2));
}

const TERMINATOR = Buffer.from('\r\n.\r\n');

export class MessageFactory {
  private readonly runId = crypto.randomBytes(4).toString('hex');
  private readonly body: Buffer;
  private readonly date = new Date().toUTCString().replace(/GMT$/, '+0000');
  readonly sender = `newsletter@${SENDER_DOMAIN}`;
  readonly approxBytes: number;

  constructor(size: number, count: number) {
    const sampleHeader = this.header(count - 1, count);
    this.body = Buffer.from(makeBody(Math.max(64, size - sampleHeader.length)), 'latin1');
    this.approxBytes = sampleHeader.length + this.body.length + 2;
  }

  recipient(i: number): string {
    return `customer${i}@${RECIPIENT_DOMAIN}`;
  }

  private header(i: number, count: number): string {
    return (
      `From: Example Workshop <${this.sender}>\r\n` +
      `To: Customer ${i} <${this.recipient(i)}>\r\n` +
      `Subject: Our spring newsletter (${i + 1} of ${count})\r\n` +
      `Date: ${this.date}\r\n` +
      `Message-ID: <bench-${this.runId}-${i}@${SENDER_DOMAIN}>\r\n` +
      'MIME-Version: 1.0\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      'Content-Transfer-Encoding: 7bit\r\n' +
      '\r\n'
    );
  }

  /** The DATA payload including the final CRLF.CRLF. */
  data(i: number, count: number): Buffer {
    return Buffer.concat([Buffer.from(this.header(i, count), 'latin1'), this.body, TERMINATOR]);
  }

  /** The message itself (not dot-stuffed; the body has no leading dots), ending in CRLF. */
  message(i: number, count: number): Buffer {
    return Buffer.concat([Buffer.from(this.header(i, count), 'latin1'), this.body, Buffer.from('\r\n')]);
  }
}

// ---------------------------------------------------------------- minimal SMTP client

export interface Reply {
  code: number;
  lines: string[];
}

export function show(r: Reply): string {
  return r.lines.map((l, i) => `${r.code}${i === r.lines.length - 1 ? ' ' : '-'}${l}`).join(' | ');
}

/** A raw-socket SMTP client that reads replies in order, so commands may be pipelined. */
export class SmtpClient {
  readonly name: string;
  private readonly socket: net.Socket;
  private buffer = '';
  private partial: { code: number; lines: string[] } | null = null;
  private readonly ready: Reply[] = [];
  private readonly waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(name: string, socket: net.Socket) {
    this.name = name;
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.onData(text));
    socket.on('error', (err) => this.abort(new BenchError(`${name}: socket error: ${err.message}`)));
    // Fails only a reply still awaited: after QUIT's 221 nothing is.
    socket.on('close', () => this.abort(new BenchError(`${name}: the server closed the connection unexpectedly`)));
  }

  static connect(name: string, host: string, port: number): Promise<SmtpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BenchError(`${name}: no connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS / 1000} s`));
      }, CONNECT_TIMEOUT_MS);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new BenchError(`${name}: cannot connect to ${host}:${port}: ${err.message}`));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new SmtpClient(name, socket));
      });
    });
  }

  abort(err: Error): void {
    if (!this.failure) this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
    this.socket.destroy();
  }

  private onData(text: string): void {
    this.buffer += text;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line);
      nl = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > 4096) this.abort(new BenchError(`${this.name}: reply line longer than 4 KB`));
  }

  private onLine(line: string): void {
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!m) {
      this.abort(new BenchError(`${this.name}: not an SMTP reply line: ${JSON.stringify(line)}`));
      return;
    }
    const code = Number(m[1]);
    if (this.partial && this.partial.code !== code) {
      this.abort(new BenchError(`${this.name}: reply code changed inside a multi-line reply: ${line}`));
      return;
    }
    const partial = this.partial ?? { code, lines: [] };
    partial.lines.push(m[3] as string);
    if (m[2] === '-') {
      this.partial = partial;
      return;
    }
    this.partial = null;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(partial);
    else this.ready.push(partial);
  }

  read(): Promise<Reply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async expect(code: number, what: string): Promise<Reply> {
    const r = await this.read();
    if (r.code !== code) fail(`${this.name}: ${what}: expected ${code}, got "${show(r)}"`);
    return r;
  }

  write(data: string | Buffer): void {
    if (this.failure) throw this.failure;
    this.socket.write(data);
  }

  async quit(): Promise<void> {
    this.write('QUIT\r\n');
    const r = await this.read();
    if (r.code !== 221) fail(`${this.name}: QUIT: expected 221, got "${show(r)}"`);
    this.socket.end();
  }
}
