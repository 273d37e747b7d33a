import { MailroomError } from '../../../shared/errors.ts';
import type { DnsAnswer, DnsClient } from '../dns-client.ts';
import { type Ip, inRange, ipText, parseIp, unmapIpv4 } from './ip.ts';
import { MAX_DEPTH, MAX_MX_NAMES, MAX_PTR_NAMES, SPF_MAX_LOOKUPS, SPF_MAX_VOID_LOOKUPS } from './limits.ts';
import { expandSpfMacros, isValidDomainName, toDnsName } from './macros.ts';
import { parseSpf, type SpfMechanism, type SpfModifier, type SpfQualifier, strictSpfRecords } from './record.ts';

// check_host() as a receiving mail server runs it (RFC 7208 §4): evaluates a domain's SPF
// record for one IP and sender, counting DNS lookups and void lookups against the limits.

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfHostResult {
  result: SpfResult;
  /** Why, in a sentence: the term that matched, or what went wrong. */
  reason: string;
  /** DNS-querying terms evaluated and void lookups seen (both §4.6.4). */
  lookups: number;
  voidLookups: number;
}

export interface CheckHostOptions {
  /** The HELO/EHLO name for %{h}; defaults to the domain. */
  helo?: string;
}

const QUALIFIER_RESULT: Record<SpfQualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

/** Ends the whole evaluation with a result (temperror/permerror can arise at any depth). */
class SpfStop extends Error {
  readonly result: SpfResult;
  constructor(result: SpfResult, reason: string) {
    super(reason);
    this.result = result;
  }
}

interface HostContext {
  client: DnsClient;
  ip: Ip;
  ipString: string;
  sender: string;
  helo: string;
  lookups: number;
  voids: number;
  /** %{p}, worked out once when first needed. */
  ptrName: string | null;
}

interface Verdict {
  result: SpfResult;
  reason: string;
}

function countLookup(ctx: HostContext, term: string): void {
  ctx.lookups++;
  if (ctx.lookups > SPF_MAX_LOOKUPS) {
    throw new SpfStop(
      'permerror',
      `the record needs more than ${SPF_MAX_LOOKUPS} DNS lookups (reached at ${term}), so receivers treat it as broken`,
    );
  }
}

/**
 * A lookup that found nothing (NXDOMAIN, or the name exists without such records). More
 * than two per check is a permerror (§4.6.4): it stops records built to make receivers
 * send floods of queries for names that do not exist. Counted per DNS query, as pyspf
 * and libspf2 do, so an mx with three address-less hosts is three void lookups.
 */
function noteVoid(ctx: HostContext, name: string): void {
  ctx.voids++;
  if (ctx.voids > SPF_MAX_VOID_LOOKUPS) {
    throw new SpfStop(
      'permerror',
      `more than ${SPF_MAX_VOID_LOOKUPS} names looked up for the record do not exist or have no records (the last was ${name}), so receivers treat it as broken`,
    );
  }
}

/** The value of a found answer; null for nothing (counted as void); temperror on failure. */
function answerOrStop<T>(ctx: HostContext, answer: DnsAnswer<T>, name: string, what: string): T | null {
  if (answer.kind === 'found') return answer.value;
  if (answer.kind === 'failed')
    throw new SpfStop('temperror', `looking up the ${what} of ${name} failed: ${answer.text}`);
  noteVoid(ctx, name);
  return null;
}

async function addressesOf(ctx: HostContext, name: string): Promise<DnsAnswer<string[]>> {
  return ctx.ip.version === 4 ? ctx.client.a(name) : ctx.client.aaaa(name);
}

function matchesAny(ctx: HostContext, addresses: string[], cidr: number): boolean {
  for (const a of addresses) {
    const parsed = parseIp(a);
    if (parsed && inRange(ctx.ip, unmapIpv4(parsed), cidr)) return true;
  }
  return false;
}

/**
 * The names the sending IP's PTR records give, each confirmed by looking its addresses
 * up again (§5.5): the ptr mechanism and %{p} trust only names that point back. A failed
 * PTR lookup means "no names"; a failed address lookup skips that name (§5.5).
 */
async function validatedNames(ctx: HostContext, countVoids: boolean): Promise<string[]> {
  const ptr = await ctx.client.ptr(ctx.ipString);
  if (ptr.kind === 'failed') return [];
  // Note: node's reverse lookup (c-ares gethostbyaddr) reports SERVFAIL and timeouts as
  // "not found", so such a failure lands here and counts as a void lookup instead of
  // just not matching. The mechanism still does not match, as §5.5 says.

  if (ptr.kind !== 'found') {
    if (countVoids) noteVoid(ctx, `the reverse name of ${ctx.ipString}`);
    return [];
  }
  const names: string[] = [];
  for (const name of ptr.value.slice(0, MAX_PTR_NAMES)) {
    const addrs = await addressesOf(ctx, name);
    if (addrs.kind === 'failed') continue;
    if (addrs.kind !== 'found') {
      if (countVoids) noteVoid(ctx, name);
      continue;
    }
    if (matchesAny(ctx, addrs.value, ctx.ip.version === 4 ? 32 : 128)) names.push(name.toLowerCase());
  }
  return names;
}

function isSameOrSubdomain(name: string, domain: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  return n === d || n.endsWith(`.${d}`);
}

/** Expands a term's domain-spec for the current domain; null for an impossible name. */
async function targetName(ctx: HostContext, spec: string | null, domain: string): Promise<string | null> {
  if (spec === null) return domain;
  if (/%\{p/i.test(spec) && ctx.ptrName === null) {
    // §7.3: the p macro is the domain itself if validated, else a validated subdomain of
    // it, else any validated name, else "unknown". Its lookups are not counted toward the
    // limits (the RFC does not list them; it says not to use %{p} at all).
    const names = await validatedNames(ctx, false);
    ctx.ptrName =
      names.find((n) => n === domain) ?? names.find((n) => isSameOrSubdomain(n, domain)) ?? names[0] ?? 'unknown';
  }
  const name = toDnsName(
    expandSpfMacros(spec, {
      ip: ctx.ipString,
      sender: ctx.sender,
      domain,
      helo: ctx.helo,
      ptrName: ctx.ptrName ?? undefined,
    }),
  );
  return isValidDomainName(name) ? name : null;
}

/** Whether one mechanism matches; throws SpfStop for errors that end the evaluation. */
async function mechanismMatches(m: SpfMechanism, domain: string, ctx: HostContext, depth: number): Promise<boolean> {
  switch (m.kind) {
    case 'all':
      return true;
    case 'ip4':
    case 'ip6': {
      const network = parseIp(m.address) as Ip;
      return inRange(ctx.ip, network, m.prefix);
    }
    case 'a': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      const addrs = answerOrStop(ctx, await addressesOf(ctx, name), name, 'addresses');
      return addrs !== null && matchesAny(ctx, addrs, ctx.ip.version === 4 ? m.cidr4 : m.cidr6);
    }
    case 'mx': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      const mx = answerOrStop(ctx, await ctx.client.mx(name), name, 'MX records');
      if (mx === null) return false;
      // §4.6.4: more than 10 MX names is a permerror for the mechanism.
      if (mx.length > MAX_MX_NAMES) {
        throw new SpfStop('permerror', `${name} has more than ${MAX_MX_NAMES} MX records, too many for ${m.raw}`);
      }
      // Every MX host's addresses are looked up before comparing (§5.4 "performs an
      // address lookup on each MX name"), so void lookups count the same whichever
      // host would have matched. A null MX (".") names no host and is skipped.
      const hosts = mx.map((r) => r.exchange).filter((h) => h !== '' && h !== '.');
      const addresses: string[] = [];
      for (const host of hosts) {
        const addrs = answerOrStop(ctx, await addressesOf(ctx, host), host, 'addresses');
        if (addrs) addresses.push(...addrs);
      }
      return matchesAny(ctx, addresses, ctx.ip.version === 4 ? m.cidr4 : m.cidr6);
    }
    case 'ptr': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      const names = await validatedNames(ctx, true);
      return names.some((n) => isSameOrSubdomain(n, name));
    }
    case 'exists': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      if (name === null) return false;
      // §5.7: always an A query, whatever the sender's IP version.
      const addrs = answerOrStop(ctx, await ctx.client.a(name), name, 'address');
      return addrs !== null;
    }
    case 'include': {
      countLookup(ctx, m.raw);
      const name = await targetName(ctx, m.domain, domain);
      const sub: Verdict = name
        ? await evaluate(name, ctx, depth + 1)
        : { result: 'none', reason: `${m.raw} does not name a valid domain` };
      // §5.2: pass matches; fail, softfail and neutral do not; errors end everything;
      // an included domain without an SPF record is a permerror.
      switch (sub.result) {
        case 'pass':
          return true;
        case 'fail':
        case 'softfail':
        case 'neutral':
          return false;
        case 'none':
          throw new SpfStop('permerror', `${m.raw} points at a domain without an SPF record (${sub.reason})`);
        default:
          throw new SpfStop(sub.result, sub.reason);
      }
    }
  }
}

async function evaluate(domain: string, ctx: HostContext, depth: number): Promise<Verdict> {
  if (depth > MAX_DEPTH) throw new SpfStop('permerror', 'includes and redirects are nested too deeply');
  if (!isValidDomainName(domain)) return { result: 'none', reason: `"${domain}" is not a valid domain name` };
  // §4.4: the SPF record is a TXT record at the domain. No record → none; an error or
  // timeout → temperror. (The TXT lookup itself is not counted as a void lookup: a
  // missing record is already "none", or a permerror inside include/redirect.)
  const txt = await ctx.client.txt(domain);
  if (txt.kind === 'failed') {
    throw new SpfStop('temperror', `looking up the SPF record of ${domain} failed: ${txt.text}`);
  }
  if (txt.kind === 'nxdomain') return { result: 'none', reason: `${domain} does not exist in DNS` };
  if (txt.kind === 'nodata') return { result: 'none', reason: `${domain} has no TXT records` };
  const records = strictSpfRecords(txt.value);
  if (records.length === 0) return { result: 'none', reason: `${domain} has no SPF record` };
  if (records.length > 1) {
    throw new SpfStop('permerror', `${domain} has ${records.length} SPF records; more than one is a permanent error`);
  }
  const parsed = parseSpf(records[0] as string);
  if (!parsed.ok) throw new SpfStop('permerror', `the SPF record of ${domain} is invalid: ${parsed.error}`);

  let redirect: SpfModifier | null = null;
  for (const term of parsed.terms) {
    if (term.kind === 'modifier') {
      if (term.name === 'redirect') redirect = term;
      continue;
    }
    if (await mechanismMatches(term, domain, ctx, depth)) {
      const result = QUALIFIER_RESULT[term.qualifier];
      return { result, reason: `${ipText(ctx.ip)} matched ${term.raw} in the SPF record of ${domain}` };
    }
  }
  // §6.1: redirect applies only when nothing matched (an "all" always matches, so a
  // record with "all" never gets here). Its lookup counts; a target without SPF is a
  // permerror.
  if (redirect) {
    countLookup(ctx, redirect.raw);
    const name = await targetName(ctx, redirect.value, domain);
    const sub: Verdict = name
      ? await evaluate(name, ctx, depth + 1)
      : { result: 'none', reason: `${redirect.raw} does not name a valid domain` };
    if (sub.result === 'none') {
      throw new SpfStop('permerror', `${redirect.raw} points at a domain without an SPF record (${sub.reason})`);
    }
    return sub;
  }
  // §4.7: nothing matched and no redirect.
  return { result: 'neutral', reason: `nothing in the SPF record of ${domain} matched ${ipText(ctx.ip)}` };
}

/**
 * check_host(<ip>, <domain>, <sender>) as a receiving mail server runs it (RFC 7208 §4).
 * Mechanisms are evaluated in order and the first match decides; lookups are counted as
 * they happen, so a record that would need 11 lookups still passes an IP matched early.
 *
 * Where RFC 7208 leaves a choice: void lookups are counted per DNS query that found
 * nothing (not for the TXT lookup of a record, which is "none" anyway); MX hosts'
 * addresses are all fetched before comparing; %{p} lookups are not counted.
 */
export async function checkHost(
  ip: string,
  domain: string,
  sender: string,
  client: DnsClient,
  opts: CheckHostOptions = {},
): Promise<SpfHostResult> {
  const parsedIp = parseIp(ip);
  if (!parsedIp)
    throw new MailroomError('VALIDATION', `"${ip}" is not an IP address, so SPF cannot be checked for it.`);
  const target = domain.toLowerCase().replace(/\.$/, '');
  const ctx: HostContext = {
    client,
    ip: unmapIpv4(parsedIp),
    ipString: ipText(unmapIpv4(parsedIp)),
    // §4.3: no local-part → "postmaster". (A sender without "@" is taken as a domain.)
    sender: sender === '' ? `postmaster@${target}` : sender.includes('@') ? sender : `postmaster@${sender}`,
    helo: opts.helo ?? target,
    lookups: 0,
    voids: 0,
    ptrName: null,
  };
  try {
    const v = await evaluate(target, ctx, 0);
    return { ...v, lookups: ctx.lookups, voidLookups: ctx.voids };
  } catch (err) {
    if (err instanceof SpfStop) {
      return { result: err.result, reason: err.message, lookups: ctx.lookups, voidLookups: ctx.voids };
    }
    throw err;
  }
}
