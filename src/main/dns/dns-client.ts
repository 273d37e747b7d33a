import { promises as dns } from 'node:dns';
import net from 'node:net';
import { MailroomError } from '../../shared/errors.ts';
import { isUnanswered } from './status.ts';

/**
 * The DNS questions the domain checks ask, with every answer sorted into what it
 * means for a person setting up their domain: found, "no such record" (nodata),
 * "no such name" (nxdomain), or "could not ask" (failed: timeout, SERVFAIL, refused).
 *
 * Built on node:dns (c-ares), which does the UDP → TCP retry on truncated answers
 * and follows CNAMEs inside an answer. The servers are injectable so tests (and
 * `mailroom dns check --dns-server`) can point it at a DNS server of their own.
 */

export type DnsAnswer<T> =
  | { kind: 'found'; value: T }
  | { kind: 'nodata' }
  | { kind: 'nxdomain' }
  | { kind: 'failed'; code: string; text: string };

export interface DnsClient {
  /** Each record as its list of character-strings, unjoined: callers decide how to join. */
  txt(name: string): Promise<DnsAnswer<string[][]>>;
  mx(name: string): Promise<DnsAnswer<{ exchange: string; priority: number }[]>>;
  a(name: string): Promise<DnsAnswer<string[]>>;
  aaaa(name: string): Promise<DnsAnswer<string[]>>;
  ns(name: string): Promise<DnsAnswer<string[]>>;
  /** The CNAME target of the name itself (nodata when the name is not an alias). */
  cname(name: string): Promise<DnsAnswer<string>>;
  /** Reverse DNS (PTR) of an IPv4 or IPv6 address. */
  ptr(ip: string): Promise<DnsAnswer<string[]>>;
}

export interface DnsServerAddress {
  host: string;
  port: number;
}

export interface DnsClientOptions {
  /** DNS servers to ask; empty = the system's resolvers. */
  servers?: DnsServerAddress[];
  /** Per-try timeout in milliseconds (default 3000). */
  timeoutMs?: number;
  /** Tries per server (default 2). */
  tries?: number;
}

/** What went wrong, in words, for a lookup that could not be answered. */
export function failureText(code: string): string {
  switch (code) {
    case 'ETIMEOUT':
      return 'the DNS server did not answer in time';
    case 'ESERVFAIL':
      return 'the DNS server reported a failure (SERVFAIL)';
    case 'EREFUSED':
      return 'the DNS server refused the query';
    case 'ECONNREFUSED':
      return 'the DNS server could not be reached (connection refused)';
    default:
      return `the DNS lookup failed (${code})`;
  }
}

/** "host:port" as dns.Resolver#setServers takes it; refuses anything that is not an IP address. */
export function serverString(s: DnsServerAddress): string {
  const host = s.host.replace(/^\[|\]$/g, '');
  if (!net.isIP(host) || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
    throw new MailroomError(
      'ROUTE_CONFIG',
      `The DNS server "${s.host}:${s.port}" is not an IP address and port; enter one such as 127.0.0.1:53, or leave the list empty to use the system's DNS servers.`,
    );
  }
  return net.isIPv6(host) ? `[${host}]:${s.port}` : `${host}:${s.port}`;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

async function ask<T>(run: () => Promise<T>): Promise<DnsAnswer<T>> {
  try {
    return { kind: 'found', value: await run() };
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENODATA') return { kind: 'nodata' };
    if (code === 'ENOTFOUND') return { kind: 'nxdomain' };
    return { kind: 'failed', code, text: failureText(code) };
  }
}

/** An empty list is "no records" too: c-ares answers some NODATA replies that way. */
function nonEmpty<T>(a: DnsAnswer<T[]>): DnsAnswer<T[]> {
  return a.kind === 'found' && a.value.length === 0 ? { kind: 'nodata' } : a;
}

function lowerNoDot(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** 5.5.0.127.in-addr.arpa for 127.0.5.5; nibbles under ip6.arpa for IPv6 (RFC 3596 §2.5). */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return reverseName(mapped[1] as string);
  // A trailing dotted quad (::1.2.3.4) becomes two hex groups.
  const blocks = ip
    .toLowerCase()
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
      [((+a << 8) | +b).toString(16), ((+c << 8) | +d).toString(16)].join(':'),
    );
  const [head = '', tail = ''] = blocks.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = blocks.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const hex = groups.map((g) => g.padStart(4, '0')).join('');
  return `${[...hex].reverse().join('.')}.ip6.arpa`;
}

export function createDnsClient(opts: DnsClientOptions = {}): DnsClient {
  const timeout = opts.timeoutMs ?? 3000;
  const tries = opts.tries ?? 2;
  const resolver = new dns.Resolver({ timeout, tries });
  if (opts.servers && opts.servers.length > 0) resolver.setServers(opts.servers.map(serverString));

  return {
    txt: async (name) => nonEmpty(await ask(() => resolver.resolveTxt(name))),
    mx: async (name) =>
      nonEmpty(
        await ask(async () =>
          (await resolver.resolveMx(name)).map((r) => ({ exchange: lowerNoDot(r.exchange), priority: r.priority })),
        ),
      ),
    a: async (name) => nonEmpty(await ask(() => resolver.resolve4(name))),
    aaaa: async (name) => nonEmpty(await ask(() => resolver.resolve6(name))),
    ns: async (name) => nonEmpty(await ask(async () => (await resolver.resolveNs(name)).map(lowerNoDot))),
    cname: async (name) => {
      const r = nonEmpty(await ask(() => resolver.resolveCname(name)));
      return r.kind === 'found' ? { kind: 'found', value: lowerNoDot(r.value[0] as string) } : r;
    },
    ptr: async (ip) => {
      if (!net.isIP(ip)) {
        throw new MailroomError('VALIDATION', `"${ip}" is not an IP address, so its reverse DNS cannot be looked up.`);
      }
      // resolvePtr on the reverse name, not reverse(): reverse() reports SERVFAIL and timeouts as "not found".
      return nonEmpty(await ask(async () => (await resolver.resolvePtr(reverseName(ip))).map(lowerNoDot)));
    },
  };
}

/** The same client with every answer passed through `f` (which sees the name asked). */
function mapAnswers(client: DnsClient, f: <T>(name: string, answer: DnsAnswer<T>) => DnsAnswer<T>): DnsClient {
  return {
    txt: async (name) => f(name, await client.txt(name)),
    mx: async (name) => f(name, await client.mx(name)),
    a: async (name) => f(name, await client.a(name)),
    aaaa: async (name) => f(name, await client.aaaa(name)),
    ns: async (name) => f(name, await client.ns(name)),
    cname: async (name) => f(name, await client.cname(name)),
    ptr: async (ip) => f(ip, await client.ptr(ip)),
  };
}

/**
 * The same client asking each question once: one check, or one records page, asks
 * several parts the same thing (the domain's TXT records for the probe, SPF and the
 * page; _dmarc and the DKIM names for the check and the page). For one run only: a
 * later run must see what is published then.
 */
export function askOnce(client: DnsClient): DnsClient {
  const asked = new Map<string, Promise<DnsAnswer<unknown>>>();
  const once =
    <T>(type: string, ask: (name: string) => Promise<DnsAnswer<T>>) =>
    (name: string): Promise<DnsAnswer<T>> => {
      const key = `${type} ${name.toLowerCase()}`;
      let answer = asked.get(key);
      if (!answer) {
        answer = ask(name);
        asked.set(key, answer);
      }
      return answer as Promise<DnsAnswer<T>>;
    };
  return {
    txt: once('txt', (n) => client.txt(n)),
    mx: once('mx', (n) => client.mx(n)),
    a: once('a', (n) => client.a(n)),
    aaaa: once('aaaa', (n) => client.aaaa(n)),
    ns: once('ns', (n) => client.ns(n)),
    cname: once('cname', (n) => client.cname(n)),
    ptr: once('ptr', (ip) => client.ptr(ip)),
  };
}

/**
 * Counts the questions that got no answer at all (a timeout, an unreachable server).
 * Verdicts built on them are guesses, so they must not replace a domain's known state.
 */
export function watchUnanswered(client: DnsClient): { client: DnsClient; unanswered: () => number } {
  let count = 0;
  const watched = mapAnswers(client, (_name, answer) => {
    if (answer.kind === 'failed' && isUnanswered(answer.code)) count++;
    return answer;
  });
  return { client: watched, unanswered: () => count };
}

/**
 * NXDOMAIN for `name` itself read as "no records": a new subdomain (news.shop.example)
 * inside an existing zone has no records yet, which DNS reports as "no such name".
 */
export function emptyName(client: DnsClient, name: string): DnsClient {
  const lower = name.toLowerCase();
  return mapAnswers(client, (asked, answer) =>
    answer.kind === 'nxdomain' && asked.toLowerCase() === lower ? { kind: 'nodata' } : answer,
  );
}
