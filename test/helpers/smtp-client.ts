import net from 'node:net';

export interface Reply {
  code: number;
  text: string;
  lines: string[];
}

/**
 * A deliberately dumb SMTP client for protocol tests: it sends exactly the bytes it
 * is given (bare LFs, NULs, pipelined commands) and reads replies one at a time.
 */
export class RawSmtp {
  private buffer = '';
  private waiters: (() => void)[] = [];
  closed = false;
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.buffer += d.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawSmtp(socket)));
      socket.once('error', reject);
    });
  }

  /** Next complete reply (multi-line replies joined), or null when the server closed. */
  async reply(timeoutMs = 10_000): Promise<Reply | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buffer.split('\r\n');
      const done = lines.findIndex((l) => /^\d{3} /.test(l) || /^\d{3}$/.test(l));
      if (done >= 0 && done < lines.length - 1) {
        const mine = lines.slice(0, done + 1);
        this.buffer = lines.slice(done + 1).join('\r\n');
        return { code: Number(mine[done]?.slice(0, 3)), text: mine.map((l) => l.slice(4)).join('\n'), lines: mine };
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SMTP reply within ${timeoutMs} ms (buffer: ${JSON.stringify(this.buffer)})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async cmd(line: string): Promise<Reply | null> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  async login(username: string, password: string): Promise<void> {
    await this.expect(await this.cmd('EHLO client.test'), 250);
    const token = Buffer.from(`\0${username}\0${password}`).toString('base64');
    await this.expect(await this.cmd(`AUTH PLAIN ${token}`), 235);
  }

  /** MAIL FROM and RCPT TO, each expected to get 250, then DATA expected to get 354. */
  async openData(from: string, to: string[]): Promise<void> {
    await this.expect(await this.cmd(`MAIL FROM:<${from}>`), 250);
    for (const rcpt of to) await this.expect(await this.cmd(`RCPT TO:<${rcpt}>`), 250);
    await this.expect(await this.cmd('DATA'), 354);
  }

  async expect(reply: Reply | null, code: number): Promise<Reply> {
    if (!reply || reply.code !== code)
      throw new Error(`expected ${code}, got ${reply ? reply.lines.join(' / ') : 'connection closed'}`);
    return reply;
  }

  /** Resolves once the server has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A plain message with CRLF line ends. */
export function simpleMessage(
  opts: { from?: string; to?: string; subject?: string; messageId?: string; body?: string } = {},
): string {
  const lines = [
    `From: Shop <${opts.from ?? 'news@example.com'}>`,
    `To: ${opts.to ?? 'friend@example.net'}`,
    `Subject: ${opts.subject ?? 'Hello'}`,
    ...(opts.messageId ? [`Message-ID: ${opts.messageId}`] : []),
    'Date: Sun, 22 Nov 2026 10:00:00 +0000',
    '',
    opts.body ?? 'Hello there.',
  ];
  return `${lines.join('\r\n')}\r\n`;
}
