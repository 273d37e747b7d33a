import { promises as dns } from 'node:dns';
import { domainToASCII } from 'node:url';
import { MailroomError } from '../../shared/errors.ts';
import { failureText, serverString } from '../dns/dns-client.ts';

/**
 * Where to deliver mail for a recipient domain (RFC 5321 §5.1, RFC 7505).
 *
 * bounce = DNS says, for certain, that the domain takes no mail; defer = DNS could not
 * answer right now, try again later. Both reasons are sentences for the user's log.
 */

export interface MxHost {
  name: string;
  priority: number;
  addresses: string[];
}

export type Destination =
  | { kind: 'hosts'; hosts: MxHost[]; implicit: boolean }
  | { kind: 'bounce'; reason: string }
  | { kind: 'defer'; reason: string };

export interface MxResolverOptions {
  /** DNS servers to ask; empty = the system's resolvers. */
  servers: { host: string; port: number }[];
  /** Per-try timeout in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Tries per server (default 2). */
  tries?: number;
  /** Source of randomness for ordering equal-priority hosts; tests pass a fixed one. */
  random?: () => number;
}

export interface MxResolver {
  resolve(domain: string): Promise<Destination>;
}

// Keep results small: a domain can publish hundreds of MX records and a host hundreds of
// addresses. Delivery tries hosts one after another, so a long list only turns one bad
// domain into minutes of connection attempts (and a pile of lookups) without improving
// the odds of delivery. Real domains use a handful of MX hosts with a few addresses each.
const MAX_MX_HOSTS = 10;
// Per family, so IPv6 addresses still make the list when a host has many IPv4 ones.
const MAX_ADDRESSES_PER_FAMILY = 2;

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_TRIES = 2;

/** Answers that say "this name/record does not exist": permanent, not a failure. */
const ABSENT = new Set(['ENODATA', 'ENOTFOUND']);

type Lookup<T> = { ok: true; value: T } | { ok: false; absent: boolean; code: string };

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

async function lookup<T>(run: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const code = codeOf(err);
    return { ok: false, absent: ABSENT.has(code), code };
  }
}

/** ASCII (A-label) form of the domain, or null when it cannot be a domain name. */
function toAsciiDomain(domain: string): string | null {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.startsWith('[')) return null; // address literals are not looked up here
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (ascii === '' || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.some((l) => l.length === 0 || l.length > 63)) return null;
  return ascii;
}

function isRoot(exchange: string): boolean {
  return exchange === '' || exchange === '.';
}

/** Sort by priority; equal priorities in random order (RFC 5321 §5.1) so load spreads. */
function orderByPriority<T extends { priority: number }>(items: T[], random: () => number): T[] {
  const keyed = items.map((item) => ({ item, tie: random() }));
  keyed.sort((a, b) => a.item.priority - b.item.priority || a.tie - b.tie);
  return keyed.map((k) => k.item);
}

export function createMxResolver(opts: MxResolverOptions): MxResolver {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tries = opts.tries ?? DEFAULT_TRIES;
  if (!Number.isInteger(timeout) || timeout < 1 || !Number.isInteger(tries) || tries < 1) {
    throw new MailroomError(
      'ROUTE_CONFIG',
      'The DNS timeout and number of tries must be whole numbers of at least 1; fix the delivery settings.',
    );
  }
  const random = opts.random ?? Math.random;
  const resolver = new dns.Resolver({ timeout, tries });
  if (opts.servers.length > 0) resolver.setServers(opts.servers.map(serverString));

  /** A and AAAA of one name, IPv4 first. `temporary` = a lookup failed and might work later. */
  async function addressesOf(name: string): Promise<{ addresses: string[]; temporary: string | null }> {
    const [v4, v6] = await Promise.all([lookup(() => resolver.resolve4(name)), lookup(() => resolver.resolve6(name))]);
    const addresses: string[] = [];
    let temporary: string | null = null;
    for (const r of [v4, v6]) {
      if (r.ok) addresses.push(...[...new Set(r.value)].slice(0, MAX_ADDRESSES_PER_FAMILY));
      else if (!r.absent) temporary ??= r.code;
    }
    return { addresses, temporary };
  }

  async function resolve(domain: string): Promise<Destination> {
    const ascii = toAsciiDomain(domain);
    if (ascii === null) {
      return { kind: 'bounce', reason: `"${domain}" is not a valid domain name; check the recipient's address.` };
    }
    const shown = ascii === domain.trim().toLowerCase().replace(/\.$/, '') ? ascii : `${domain.trim()} (${ascii})`;

    const mx = await lookup(() => resolver.resolveMx(ascii));
    if (!mx.ok) {
      if (mx.code === 'ENOTFOUND') {
        return { kind: 'bounce', reason: `The domain ${shown} does not exist; check the recipient's address.` };
      }
      if (mx.code !== 'ENODATA') {
        return {
          kind: 'defer',
          reason: `Could not look up the mail servers of ${shown}: ${failureText(mx.code)}. Mailroom will try again later.`,
        };
      }
    }

    const records = mx.ok ? mx.value : [];
    if (records.length === 0) {
      // No MX: the domain itself is the mail server (implicit MX, RFC 5321 §5.1).
      const own = await addressesOf(ascii);
      if (own.addresses.length > 0) {
        return { kind: 'hosts', implicit: true, hosts: [{ name: ascii, priority: 0, addresses: own.addresses }] };
      }
      if (own.temporary) {
        return {
          kind: 'defer',
          reason: `Could not look up the address of ${shown}: ${failureText(own.temporary)}. Mailroom will try again later.`,
        };
      }
      return { kind: 'bounce', reason: `The domain ${shown} has no mail server (no MX or address records).` };
    }

    // Null MX (RFC 7505) is "." alone; a "." next to real hosts is a misconfiguration we skip.
    const real = records.filter((r) => !isRoot(r.exchange));
    if (real.length === 0) {
      return { kind: 'bounce', reason: `The domain ${shown} does not accept mail (null MX).` };
    }

    const ordered = orderByPriority(
      real.map((r) => ({ name: r.exchange.toLowerCase().replace(/\.$/, ''), priority: r.priority })),
      random,
    );
    // The same host listed twice (e.g. at two priorities) is tried once, at its best priority.
    const unique = ordered.filter((h, i) => ordered.findIndex((o) => o.name === h.name) === i).slice(0, MAX_MX_HOSTS);

    const resolved = await Promise.all(unique.map(async (h) => ({ ...h, ...(await addressesOf(h.name)) })));
    const hosts: MxHost[] = resolved
      .filter((h) => h.addresses.length > 0)
      .map((h) => ({ name: h.name, priority: h.priority, addresses: h.addresses }));
    if (hosts.length > 0) return { kind: 'hosts', implicit: false, hosts };

    const temporary = resolved.find((h) => h.temporary !== null)?.temporary;
    if (temporary) {
      return {
        kind: 'defer',
        reason: `Could not look up the addresses of the mail servers of ${shown}: ${failureText(temporary)}. Mailroom will try again later.`,
      };
    }
    const names = unique.map((h) => h.name).join(', ');
    return {
      kind: 'bounce',
      reason: `The mail servers of ${shown} (${names}) have no addresses, so mail to it cannot be delivered.`,
    };
  }

  return { resolve };
}
