import net from 'node:net';

// A man in the middle of the kind opportunistic TLS has to live with: it passes SMTP
// through to a real server, but answers the client's STARTTLS itself with "220", then
// sends bytes that are not TLS and hangs up. A client that retries without STARTTLS
// gets through to the server behind it.

export interface StarttlsBreaker {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections whose STARTTLS was answered with garbage. */
  broken: number;
  close(): Promise<void>;
}

export interface BreakerOptions {
  /** Listen here (default 127.0.0.1, any free port). */
  host?: string;
  port?: number;
  /** Connections after this many are refused with a 421 greeting, as a server that is down would. */
  refuseAfter?: number;
}

export async function startStarttlsBreaker(
  target: { host: string; port: number },
  opts: BreakerOptions = {},
): Promise<StarttlsBreaker> {
  const sockets = new Set<net.Socket>();
  const breaker: StarttlsBreaker = { port: 0, connections: 0, broken: 0, close: async () => {} };
  const server = net.createServer((client) => {
    breaker.connections++;
    if (opts.refuseAfter !== undefined && breaker.connections > opts.refuseAfter) {
      client.on('error', () => {});
      client.end('421 4.3.2 Service not available, closing transmission channel\r\n');
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    upstream.pipe(client);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    // Commands are read line by line until the first MAIL; after that everything is
    // passed on untouched (the message may contain any text).
    let buffered = '';
    let passing = false;
    client.on('data', (chunk: Buffer) => {
      if (passing) return void upstream.write(chunk);
      buffered += chunk.toString('latin1');
      let end = buffered.indexOf('\r\n');
      while (end >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (/^STARTTLS$/i.test(line)) {
          breaker.broken++;
          upstream.destroy();
          client.end('220 2.0.0 Ready to start TLS\r\nthis is not a TLS handshake\r\n');
          return;
        }
        upstream.write(`${line}\r\n`);
        if (/^MAIL /i.test(line)) {
          passing = true;
          if (buffered) upstream.write(Buffer.from(buffered, 'latin1'));
          buffered = '';
          return;
        }
        end = buffered.indexOf('\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  breaker.port = (server.address() as net.AddressInfo).port;
  breaker.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return breaker;
}
