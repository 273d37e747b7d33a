import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';

// A receiving SMTP server nobody here wrote: Python's aiosmtpd (Debian python3-aiosmtpd),
// on a free loopback port. It reads MAIL FROM and RCPT TO with the standard library's
// RFC 5322 address parser, so it takes quoted local parts ("a b"@example.com) as any
// RFC 5321 server must, which smtp-server (our usual test sink) does not.

const SERVER = `
import asyncio, json
from aiosmtpd.smtp import SMTP

class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({'from': envelope.mail_from, 'to': envelope.rcpt_tos,
                          'data': envelope.content.decode('latin1')}), flush=True)
        return '250 2.0.0 Ok: queued'

async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: SMTP(Handler(), hostname='aiosmtpd.test'), '127.0.0.1', 0)
    print(json.dumps({'port': srv.sockets[0].getsockname()[1]}), flush=True)
    await srv.serve_forever()

asyncio.run(main())
`;

export interface AiosmtpdMessage {
  from: string;
  to: string[];
  data: string;
}

export interface Aiosmtpd {
  port: number;
  messages: AiosmtpdMessage[];
  close(): Promise<void>;
}

export async function startAiosmtpd(): Promise<Aiosmtpd> {
  const child: ChildProcess = spawn('/usr/bin/python3', ['-c', SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const messages: AiosmtpdMessage[] = [];
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aiosmtpd did not start: ${stderr}`)), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`aiosmtpd exited (${code}): ${stderr} (Debian package python3-aiosmtpd installed?)`));
    });
    lines.on('line', (line) => {
      const v = JSON.parse(line) as { port: number } | AiosmtpdMessage;
      if ('port' in v) {
        clearTimeout(timer);
        resolve(v.port);
      } else messages.push(v);
    });
  });
  return {
    port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
