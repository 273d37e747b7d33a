import type { DnsAnswer, DnsClient } from '../dns-client.ts';
import { MAX_DEPTH, MAX_MX_NAMES, SPF_MAX_LOOKUPS } from './limits.ts';
import { expandSpfMacros, isValidDomainName, toDnsName, tokenizeMacroString } from './macros.ts';
import { parseSpf, strictSpfRecords } from './record.ts';

// A static count of the DNS lookups a record's whole include tree costs (RFC 7208 §4.6.4),
// with each include's share, void lookups and the includes that cannot be read.

export interface SpfIncludeUsage {
  /** The include: or redirect= term as written. */
  term: string;
  /** The domain it points at (lower case); the term itself when it has macros. */
  domain: string;
  /** Lookups it costs, itself included. */
  lookups: number;
  /** The includes and redirect inside it. */
  includes: SpfIncludeUsage[];
}

export type SpfLookupProblemKind =
  | 'dns-failed'
  | 'no-domain'
  | 'no-record'
  | 'multiple-records'
  | 'syntax'
  | 'loop'
  | 'too-many-mx'
  | 'macro';

export interface SpfLookupProblem {
  kind: SpfLookupProblemKind;
  /** The term that led there. */
  term: string;
  domain: string;
  /** For dns-failed: the DnsClient failure code (ETIMEOUT, ESERVFAIL, …). */
  code: string | null;
  /** A plain-words sentence. */
  message: string;
}

export interface SpfLookupCount {
  /** DNS-querying terms in the whole tree; when `complete` is false, at least this many. */
  lookups: number;
  overLimit: boolean;
  /** False when counting stopped early (over the limit) or an include could not be read. */
  complete: boolean;
  /** Lookups that find nothing, as an IPv4 sender triggers them; more than 2 breaks SPF. */
  voidLookups: number;
  /** The terms whose names do not exist or have no records. */
  voidTerms: string[];
  /** The top-level includes (and redirect), each with what it costs. */
  includes: SpfIncludeUsage[];
  /** Every include/redirect target in the tree, lower case. */
  domains: string[];
  /**
   * The targets whose "pass" makes the whole record pass: reached through includes
   * without a qualifier (or +) placed before the record's "all", or through a redirect
   * that is used. `-include:x`, or `include:x` after `-all`, never lets x's servers send.
   */
  allows: string[];
  problems: SpfLookupProblem[];
  /** A redirect= that receivers ignore because the same record has an "all". */
  ignoredRedirect: string | null;
}

/** DNS queries one count may make, whatever the records say. */
const MAX_COUNT_QUERIES = 60;
/**
 * Counting goes on past the limit up to twice it, so the wizard can say "needs 12" and
 * which includes are biggest instead of just "over 10"; beyond that the verdict and the
 * advice are the same, so no more DNS questions are asked.
 */
const COUNT_UP_TO = SPF_MAX_LOOKUPS * 2;

interface CountState {
  client: DnsClient;
  lookups: number;
  voids: number;
  voidTerms: string[];
  domains: Set<string>;
  allows: Set<string>;
  problems: SpfLookupProblem[];
  complete: boolean;
  queries: number;
  cache: Map<string, Promise<DnsAnswer<unknown>>>;
  /** The checked domain, for %{o} (and %{d} at the top). */
  senderDomain: string;
}

function cached<T>(state: CountState, key: string, run: () => Promise<DnsAnswer<T>>): Promise<DnsAnswer<T>> | null {
  const hit = state.cache.get(key);
  if (hit) return hit as Promise<DnsAnswer<T>>;
  if (state.queries >= MAX_COUNT_QUERIES) {
    state.complete = false;
    return null;
  }
  state.queries++;
  const p = run();
  state.cache.set(key, p as Promise<DnsAnswer<unknown>>);
  return p;
}

/**
 * The name a domain-spec stands for when it can be known without a sender: literal
 * names, and macros that only use the domain (%{d}, %{o}). Null when it depends on the
 * sender or the IP (exists:%{i}._spf.example.com): counted, not followed.
 */
function staticName(spec: string | null, domain: string, state: CountState): string | null {
  if (spec === null) return domain;
  const tokens = tokenizeMacroString(spec, spec);
  if (typeof tokens === 'string') return null;
  if (tokens.some((t) => t.kind === 'macro' && !'do'.includes(t.letter.toLowerCase()))) return null;
  const name = toDnsName(
    expandSpfMacros(spec, { ip: '0.0.0.0', sender: `postmaster@${state.senderDomain}`, domain, helo: domain }),
  );
  return isValidDomainName(name) ? name : null;
}

function problem(
  state: CountState,
  kind: SpfLookupProblemKind,
  term: string,
  domain: string,
  message: string,
  code: string | null = null,
): void {
  state.problems.push({ kind, term, domain, message, code });
}

async function noteVoidIfEmpty(state: CountState, term: string, answer: Promise<DnsAnswer<unknown>> | null) {
  if (!answer) return;
  const a = await answer;
  if (a.kind === 'nodata' || a.kind === 'nxdomain') {
    state.voids++;
    state.voidTerms.push(term);
  }
}

/**
 * Counts one record's terms, following includes and redirect; returns its top-level
 * includes. `passes`: a pass from this record is a pass for the checked domain.
 */
async function countRecord(
  text: string,
  domain: string,
  chain: string[],
  state: CountState,
  via: string,
  passes: boolean,
): Promise<SpfIncludeUsage[]> {
  const parsed = parseSpf(text);
  if (!parsed.ok) {
    problem(state, 'syntax', via, domain, `The SPF record of ${domain} has an error: ${parsed.error}`);
    return [];
  }
  const out: SpfIncludeUsage[] = [];
  const hasAll = parsed.terms.some((t) => t.kind === 'all');
  let seenAll = false; // receivers stop at "all": terms after it are counted here (worst case) but never allow
  for (const term of parsed.terms) {
    const under = state.lookups <= COUNT_UP_TO;
    switch (term.kind) {
      case 'all':
        seenAll = true;
        break;
      case 'ip4':
      case 'ip6':
        break;
      case 'a':
      case 'mx':
      case 'ptr':
      case 'exists': {
        state.lookups++;
        if (!under || term.kind === 'ptr') break;
        const name = staticName(term.domain, domain, state);
        if (!name) break;
        if (term.kind === 'a') {
          await noteVoidIfEmpty(
            state,
            term.raw,
            cached(state, `A ${name}`, () => state.client.a(name)),
          );
        } else if (term.kind === 'exists') {
          await noteVoidIfEmpty(
            state,
            term.raw,
            cached(state, `A ${name}`, () => state.client.a(name)),
          );
        } else {
          const mxq = cached(state, `MX ${name}`, () => state.client.mx(name));
          if (!mxq) break;
          const mx = await mxq;
          if (mx.kind === 'nodata' || mx.kind === 'nxdomain') {
            state.voids++;
            state.voidTerms.push(term.raw);
          } else if (mx.kind === 'found') {
            if (mx.value.length > MAX_MX_NAMES) {
              problem(
                state,
                'too-many-mx',
                term.raw,
                name,
                `${term.raw}: ${name} has ${mx.value.length} mail servers (MX records); SPF allows at most ${MAX_MX_NAMES}, so receivers treat the record as broken when they reach this term.`,
              );
            }
            for (const r of mx.value.slice(0, MAX_MX_NAMES)) {
              if (r.exchange === '' || r.exchange === '.') continue;
              const host = r.exchange;
              await noteVoidIfEmpty(
                state,
                `${term.raw} (mail server ${host})`,
                cached(state, `A ${host}`, () => state.client.a(host)),
              );
            }
          }
        }
        break;
      }
      case 'include':
        out.push(
          await countTarget(term.raw, term.domain, domain, chain, state, passes && !seenAll && term.qualifier === '+'),
        );
        break;
      case 'modifier':
        // §6.1: a redirect in a record with "all" is never used, and costs nothing.
        if (term.name === 'redirect' && !hasAll)
          out.push(await countTarget(term.raw, term.value, domain, chain, state, passes));
        break;
    }
  }
  return out;
}

async function countTarget(
  raw: string,
  spec: string,
  domain: string,
  chain: string[],
  state: CountState,
  passes: boolean,
): Promise<SpfIncludeUsage> {
  const before = state.lookups;
  state.lookups++;
  const name = staticName(spec, domain, state);
  const usage: SpfIncludeUsage = { term: raw, domain: name ?? spec, lookups: 1, includes: [] };
  if (!name) {
    problem(
      state,
      'macro',
      raw,
      spec,
      `${raw} depends on who is sending, so the lookups inside it could not be counted.`,
    );
    return usage;
  }
  state.domains.add(name);
  if (passes) state.allows.add(name);
  if (chain.includes(name)) {
    problem(
      state,
      'loop',
      raw,
      name,
      `${raw} leads back to ${name}, which is already being read: a loop that makes receivers give up on the record.`,
    );
    return usage;
  }
  if (state.lookups > COUNT_UP_TO || chain.length >= MAX_DEPTH) {
    state.complete = false; // far over the limit already: the verdict is known, stop asking DNS
    return usage;
  }
  const q = cached(state, `TXT ${name}`, () => state.client.txt(name));
  if (!q) return usage;
  const txt = await q;
  if (txt.kind === 'failed') {
    state.complete = false;
    problem(state, 'dns-failed', raw, name, `${raw} could not be read: ${txt.text}.`, txt.code);
  } else if (txt.kind === 'nxdomain' || txt.kind === 'nodata') {
    state.voids++;
    state.voidTerms.push(raw);
    problem(
      state,
      txt.kind === 'nxdomain' ? 'no-domain' : 'no-record',
      raw,
      name,
      txt.kind === 'nxdomain'
        ? `${raw} points at ${name}, which does not exist in DNS, so receivers treat your SPF record as broken.`
        : `${raw} points at ${name}, which has no SPF record, so receivers treat your SPF record as broken.`,
    );
  } else {
    const records = strictSpfRecords(txt.value);
    if (records.length === 0) {
      problem(
        state,
        'no-record',
        raw,
        name,
        `${raw} points at ${name}, which has no SPF record, so receivers treat your SPF record as broken.`,
      );
    } else if (records.length > 1) {
      problem(
        state,
        'multiple-records',
        raw,
        name,
        `${raw} points at ${name}, which has ${records.length} SPF records; receivers treat that as broken.`,
      );
    } else {
      usage.includes = await countRecord(records[0] as string, name, [...chain, name], state, raw, passes);
    }
  }
  usage.lookups = state.lookups - before;
  return usage;
}

/**
 * How many DNS lookups a record costs receivers, through its whole include tree: the
 * number RFC 7208 §4.6.4 caps at 10. This is the worst case (an IP that matches nothing
 * makes a receiver go through every term), which is what a record must be built for.
 * Also counts void lookups (names that do not exist; more than 2 is an error) as an
 * IPv4 sender meets them, lists each include's cost, and reports includes that cannot
 * be read. Stops asking DNS once the count is twice the limit; loops are reported.
 */
export async function countSpfLookups(record: string, domain: string, client: DnsClient): Promise<SpfLookupCount> {
  const top = domain.toLowerCase().replace(/\.$/, '');
  const state: CountState = {
    client,
    lookups: 0,
    voids: 0,
    voidTerms: [],
    domains: new Set(),
    allows: new Set(),
    problems: [],
    complete: true,
    queries: 0,
    cache: new Map(),
    senderDomain: top,
  };
  const includes = await countRecord(record, top, [top], state, 'the record', true);
  const parsed = parseSpf(record);
  const hasAll = parsed.ok && parsed.terms.some((t) => t.kind === 'all');
  const redirect = parsed.ok ? parsed.terms.find((t) => t.kind === 'modifier' && t.name === 'redirect') : undefined;
  return {
    lookups: state.lookups,
    overLimit: state.lookups > SPF_MAX_LOOKUPS,
    complete: state.complete,
    voidLookups: state.voids,
    voidTerms: state.voidTerms,
    includes,
    domains: [...state.domains],
    allows: [...state.allows],
    problems: state.problems,
    ignoredRedirect: hasAll && redirect ? redirect.raw : null,
  };
}
