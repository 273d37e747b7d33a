import net from 'node:net';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { stuffDots } from '../../src/main/delivery/smtp-data.ts';
import { SmtpHop } from '../../src/main/delivery/smtp-hop.ts';

// The bytes on the wire after DATA must be exactly what nodemailer's own DataStream
// makes of the message (dot-stuffing, line ends, the final dot), whichever way
// smtp-hop gets there. A raw socket server records them as they arrive.

/** What nodemailer's DataStream sends for `message`, final dot line included. */
function dataStreamBytes(message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = new DataStream();
    const out: Buffer[] = [];
    s.on('data', (c: Buffer) => out.push(c));
    s.on('end', () => resolve(Buffer.concat(out)));
    s.on('error', reject);
    s.end(message);
  });
}

interface Capture {
  port: number;
  /** Raw DATA payloads, final dot line included. */
  data: Buffer[];
  close(): Promise<void>;
}

/** A minimal SMTP server that keeps each DATA payload as it came off the socket. */
function captureServer(): Promise<Capture> {
  const data: Buffer[] = [];
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    let inData = false;
    socket.write('220 capture ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.subarray(0, 3).equals(Buffer.from('.\r\n'));
          if (end < 0 && !atStart) return;
          const cut = atStart ? 3 : end + 5;
          data.push(buf.subarray(0, cut));
          buf = buf.subarray(cut);
          inData = false;
          socket.write('250 2.0.0 kept\r\n');
          continue;
        }
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const line = buf.subarray(0, eol).toString('latin1');
        buf = buf.subarray(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-capture\r\n250-8BITMIME\r\n250 SIZE 10000000\r\n');
        else if (verb === 'RCPT' && /refuse/.test(line)) socket.write('550 5.1.1 no such user\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        data,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');

const MESSAGES: Buffer[] = [
  crlf('Subject: plain\n\nno dots at all\n'),
  crlf('.Subject: a dot first\n\n.\n..\n. x\nmid.dle\n.end'),
  crlf(`Subject: long\n\n${'.line\nword\n'.repeat(2000)}`),
  Buffer.from('Subject: no final line end\r\n\r\nlast line'),
  Buffer.from('Subject: x\r\n\r\nends in CRLF.\r\n'),
  Buffer.from(''),
  Buffer.from('.'),
  Buffer.from('\r\n.\r\n'),
  Buffer.from('Subject: 8-bit\r\n\r\nGr\xfc\xdfe\r\n.\xff\r\n', 'latin1'),
];

describe('DATA bytes', () => {
  it('stuffDots makes what DataStream makes of messages with CRLF line ends, and leaves the rest to it', async () => {
    for (const m of MESSAGES) {
      const stuffed = stuffDots(m);
      expect(stuffed).not.toBeNull();
      // DataStream adds the final dot line after what it passed on.
      const end = stuffed?.at(-1) === 0x0a ? '.\r\n' : '\r\n.\r\n';
      expect(`${stuffed?.toString('latin1')}${end}`).toBe((await dataStreamBytes(m)).toString('latin1'));
    }
    expect(stuffDots(Buffer.from('a\nb'))).toBeNull();
    expect(stuffDots(Buffer.from('a\rb'))).toBeNull();
    expect(stuffDots(Buffer.from('a\r\n\rb'))).toBeNull();
  });
});

let capture: Capture | null = null;
const hops: SmtpHop[] = [];
afterEach(async () => {
  for (const h of hops.splice(0)) h.close();
  await capture?.close();
  capture = null;
});

describe('SmtpHop on the wire', () => {
  it('sends byte for byte what nodemailer DataStream would, also after a transaction refused before DATA', async () => {
    capture = await captureServer();
    const hop = await SmtpHop.open({
      host: '127.0.0.1',
      port: capture.port,
      label: 'capture',
      security: 'none',
      ehloName: 'mailroom.test',
      timeoutMs: 10_000,
    });
    hops.push(hop);
    const bareLf = Buffer.from('Subject: bare\n\n.dot after a bare LF\nand a bare CR\r.here\r\n');
    const sent: Buffer[] = [];
    for (const m of [...MESSAGES.filter((x) => x.length > 0), bareLf]) {
      const r = await hop.send('news@example.com', ['a@example.net'], m, { eightBit: true });
      expect(r.kind).toBe('answered');
      sent.push(m);
      // A refused transaction never reaches DATA; the next message must still be encoded right.
      const refused = await hop.send('news@example.com', ['refuse@example.net'], m, { eightBit: true });
      expect(refused.kind).toBe('refused');
      expect(await hop.reset()).toBe(true);
    }
    expect(capture.data).toHaveLength(sent.length);
    for (const [i, m] of sent.entries()) {
      expect(capture.data[i]?.toString('latin1')).toBe((await dataStreamBytes(m)).toString('latin1'));
    }
  });
});
