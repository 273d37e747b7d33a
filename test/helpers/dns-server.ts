import dgram from 'node:dgram';
import net from 'node:net';
import type { Answer, DecodedPacket, Packet, Question, RecordType, SoaData } from 'dns-packet';
import dnsPacket from 'dns-packet';

/**
 * A real, authoritative-only DNS server for tests: UDP and TCP on the same loopback port,
 * answering from an in-memory zone. Node's resolver (c-ares) talks to it exactly as it
 * would talk to a real server, including the UDP → TCP retry on truncated answers.
 */

export interface DnsNode {
  MX?: { exchange: string; priority: number }[];
  A?: string[];
  AAAA?: string[];
  /** One entry = one TXT record: a single string, or several character-strings (each ≤ 255 bytes). */
  TXT?: (string | string[])[];
  CNAME?: string;
  NS?: string[];
  PTR?: string[];
  SOA?: SoaData;
  /** Instead of answering: NXDOMAIN, SERVFAIL, REFUSED, or never answer at all ('timeout'). */
  behaviour?: 'nxdomain' | 'servfail' | 'refused' | 'timeout';
}

/** Names are case-insensitive, with or without the trailing dot. */
export type DnsZone = Record<string, DnsNode>;

export interface DnsQuery {
  /** Lower case, no trailing dot. */
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface DnsServer {
  host: '127.0.0.1';
  port: number;
  /** '127.0.0.1:PORT', the form dns.Resolver#setServers takes. */
  address: string;
  /** Every question received, in order (UDP and TCP). */
  queries: DnsQuery[];
  setZone(zone: DnsZone): void;
  /** Answers wait this long before going out (a network round trip, for benchmarks). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const UDP_LIMIT = 512; // classic DNS limit; larger answers get TC so the client retries over TCP
const MAX_CNAME_HOPS = 8;
const MAX_TCP_BUFFER = 2 + 65535;
const BIND_ATTEMPTS = 5;
// TTL 0: c-ares caches answers per Resolver; tests that call setZone must see the new zone at once.
const TTL = 0;

type Outcome = { rcode: number; answers: Answer[] } | 'silence';

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Names are written by tests; catch mistakes that dns-packet would silently encode wrong. */
function checkName(name: string, where: string): void {
  if (name === '.' || name === '') return;
  const n = name.replace(/\.$/, '');
  if (Buffer.byteLength(n) > 253) throw new Error(`dns-server: name too long at ${where}: ${name}`);
  for (const label of n.split('.')) {
    const len = Buffer.byteLength(label);
    if (len === 0 || len > 63) throw new Error(`dns-server: bad label in ${where}: ${JSON.stringify(name)}`);
  }
}

function compileZone(zone: DnsZone): Map<string, DnsNode> {
  const map = new Map<string, DnsNode>();
  for (const [rawName, node] of Object.entries(zone)) {
    checkName(rawName, 'zone key');
    const name = normalize(rawName);
    if (map.has(name)) throw new Error(`dns-server: ${rawName} appears twice in the zone`);
    for (const a of node.A ?? []) if (!net.isIPv4(a)) throw new Error(`dns-server: ${rawName} A ${a} is not IPv4`);
    for (const a of node.AAAA ?? [])
      if (!net.isIPv6(a)) throw new Error(`dns-server: ${rawName} AAAA ${a} is not IPv6`);
    for (const mx of node.MX ?? []) {
      checkName(mx.exchange, `${rawName} MX`);
      if (!Number.isInteger(mx.priority) || mx.priority < 0 || mx.priority > 65535) {
        throw new Error(`dns-server: ${rawName} MX priority ${mx.priority} is out of range`);
      }
    }
    for (const record of node.TXT ?? []) {
      const strings = Array.isArray(record) ? record : [record];
      if (strings.length === 0) throw new Error(`dns-server: ${rawName} has a TXT record with no strings`);
      for (const s of strings) {
        const len = Buffer.byteLength(s);
        if (len > 255) {
          throw new Error(`dns-server: ${rawName} TXT string is ${len} bytes; split it into strings of ≤ 255 bytes`);
        }
      }
    }
    if (node.CNAME !== undefined) checkName(node.CNAME, `${rawName} CNAME`);
    for (const n of node.NS ?? []) checkName(n, `${rawName} NS`);
    for (const n of node.PTR ?? []) checkName(n, `${rawName} PTR`);
    map.set(name, node);
  }
  return map;
}

function recordsOf(owner: string, node: DnsNode, type: string): Answer[] {
  const base = { name: owner, ttl: TTL, class: 'IN' as const };
  const out: Answer[] = [];
  const want = (t: RecordType) => type === t || type === 'ANY';
  if (want('A')) for (const a of node.A ?? []) out.push({ ...base, type: 'A', data: a });
  if (want('AAAA')) for (const a of node.AAAA ?? []) out.push({ ...base, type: 'AAAA', data: a });
  if (want('MX')) {
    // '.' (RFC 7505 null MX) → dns-packet encodes '' / '.' as the root name.
    for (const mx of node.MX ?? [])
      out.push({ ...base, type: 'MX', data: { preference: mx.priority, exchange: mx.exchange } });
  }
  if (want('TXT')) {
    // Fresh buffers every time: dns-packet rewrites the array it is given.
    for (const r of node.TXT ?? []) {
      out.push({ ...base, type: 'TXT', data: (Array.isArray(r) ? r : [r]).map((s) => Buffer.from(s)) });
    }
  }
  if (want('NS')) for (const n of node.NS ?? []) out.push({ ...base, type: 'NS', data: n });
  if (want('PTR')) for (const n of node.PTR ?? []) out.push({ ...base, type: 'PTR', data: n });
  if (want('SOA') && node.SOA) out.push({ ...base, type: 'SOA', data: { ...node.SOA } });
  if (want('CNAME') && node.CNAME !== undefined) out.push({ ...base, type: 'CNAME', data: node.CNAME });
  return out;
}

function answerFor(zone: Map<string, DnsNode>, q: Question): Outcome {
  const answers: Answer[] = [];
  let owner = q.name; // answer with the name as asked
  const type: string = q.type; // dns-packet also decodes 'ANY', which its types leave out
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const key = normalize(owner);
    const node = zone.get(key);
    if (!node) {
      // An empty non-terminal (b.test when only a.b.test exists) exists, with no records.
      const exists = [...zone.keys()].some((k) => k.endsWith(`.${key}`));
      return { rcode: exists ? RCODE.NOERROR : RCODE.NXDOMAIN, answers };
    }
    switch (node.behaviour) {
      case 'timeout':
        return 'silence';
      case 'nxdomain':
        return { rcode: RCODE.NXDOMAIN, answers };
      case 'servfail':
        return { rcode: RCODE.SERVFAIL, answers: [] };
      case 'refused':
        return { rcode: RCODE.REFUSED, answers: [] };
    }
    if (node.CNAME !== undefined && type !== 'CNAME' && type !== 'ANY') {
      answers.push({ name: owner, ttl: TTL, class: 'IN', type: 'CNAME', data: node.CNAME });
      seen.add(key);
      owner = node.CNAME;
      if (seen.has(normalize(owner))) return { rcode: RCODE.SERVFAIL, answers: [] }; // CNAME loop
      continue;
    }
    answers.push(...recordsOf(owner, node, type));
    return { rcode: RCODE.NOERROR, answers };
  }
  return { rcode: RCODE.SERVFAIL, answers: [] }; // chain too long
}

export async function startDnsServer(zone: DnsZone, options: { port?: number } = {}): Promise<DnsServer> {
  let records = compileZone(zone);
  let delayMs = 0;
  const later = (send: () => void) => (delayMs > 0 ? setTimeout(send, delayMs) : send());
  const queries: DnsQuery[] = [];
  const sockets = new Set<net.Socket>();

  /** The response bytes (without TCP framing), or null to stay silent. */
  function respond(msg: Buffer, transport: 'udp' | 'tcp'): Packet | null {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return null; // not DNS; a real server would also drop it
    }
    if (query.type !== 'query') return null;
    const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
    const reply = (rcode: number, answers: Answer[] = []): Packet => ({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | rd | rcode,
      questions: query.questions,
      answers,
    });
    const q = query.questions?.[0];
    if (!q || query.questions?.length !== 1) return reply(RCODE.FORMERR);
    queries.push({ name: normalize(q.name), type: q.type, transport });
    const outcome = answerFor(records, q);
    if (outcome === 'silence') return null;
    return reply(outcome.rcode, outcome.answers);
  }

  function encodeUdp(packet: Packet): Buffer {
    const full = dnsPacket.encode(packet);
    if (full.length <= UDP_LIMIT) return full;
    // Too big for plain UDP: header + question with TC set, and the client retries over TCP.
    return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
  }

  function handleTcp(socket: net.Socket): void {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      // Each iteration consumes one whole frame, so this loop ends with the buffer.
      while (buffer.length >= 2) {
        const len = buffer.readUInt16BE(0);
        if (buffer.length < 2 + len) break;
        const msg = buffer.subarray(2, 2 + len);
        buffer = buffer.subarray(2 + len);
        const packet = respond(msg, 'tcp');
        if (packet) later(() => socket.destroyed || socket.write(dnsPacket.streamEncode(packet)));
      }
      if (buffer.length > MAX_TCP_BUFFER) socket.destroy();
    });
  }

  const wanted = options.port ?? 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      const packet = respond(msg, 'udp');
      if (!packet) return;
      later(() => {
        try {
          udp.send(encodeUdp(packet), rinfo.port, rinfo.address);
        } catch {
          // closed while the answer waited
        }
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(wanted, '127.0.0.1', () => {
          udp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    udp.on('error', () => {});
    const port = udp.address().port;
    const tcp = net.createServer(handleTcp);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      lastError = err;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      // With a fixed port there is nothing else to try.
      if (wanted !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      continue;
    }
    return {
      host: '127.0.0.1',
      port,
      address: `127.0.0.1:${port}`,
      queries,
      setZone(next: DnsZone) {
        records = compileZone(next);
      },
      setDelay(ms: number) {
        delayMs = ms;
      },
      async close() {
        for (const s of sockets) s.destroy();
        await Promise.all([
          new Promise<void>((resolve) => tcp.close(() => resolve())),
          new Promise<void>((resolve) => udp.close(() => resolve())),
        ]);
      },
    };
  }
  throw lastError;
}
