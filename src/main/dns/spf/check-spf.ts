import type { DnsCheck, SendingRoute } from '../../../shared/domain/dns.ts';
import { presetById } from '../../../shared/domain/presets.ts';
import type { DnsAnswer, DnsClient } from '../dns-client.ts';
import { failedCheck, isUnanswered } from '../status.ts';
import { checkHost, type SpfHostResult } from './check-host.ts';
import { type Ip, ipText, parseIp, unmapIpv4 } from './ip.ts';
import { SPF_MAX_LOOKUPS, SPF_MAX_VOID_LOOKUPS } from './limits.ts';
import { countSpfLookups, type SpfIncludeUsage, type SpfLookupCount, type SpfLookupProblem } from './lookup-count.ts';
import { mergeSpf, mergeSpfRecords } from './merge.ts';
import { parseSpf, type SpfCandidate, spfCandidates } from './record.ts';

// The wizard's SPF check: one DnsCheck saying whether the domain's record lets the sending
// route send, what is wrong with it (in a fixed order of findings) and the record to publish.

export interface CheckSpfOptions {
  /** The wizard showed the record recently: "not there (yet)" is pending, not an error. */
  pending: boolean;
}

export interface SpfCheckOutcome {
  check: DnsCheck;
  /** The record the person should publish; null when nothing needs to change. */
  wanted: string | null;
}

/** What the sending route needs in the record. */
type RouteNeed =
  | { kind: 'mechanism'; mechanism: string; who: string; includeDomain: string | null; ip: string | null }
  | { kind: 'nothing'; who: string; note: string }
  | { kind: 'unknown'; who: string; why: string };

function routeNeed(route: SendingRoute): RouteNeed {
  if (route.kind === 'direct') {
    if (route.ip === null || !parseIp(route.ip)) {
      return {
        kind: 'unknown',
        who: 'this computer',
        why: "Mailroom could not find out this computer's public IP address, so it cannot tell whether your SPF record allows it to send.",
      };
    }
    const ip = unmapIpv4(parseIp(route.ip) as Ip);
    const text = ipText(ip);
    return {
      kind: 'mechanism',
      mechanism: `${ip.version === 4 ? 'ip4' : 'ip6'}:${text}`,
      who: `this computer (${text})`,
      includeDomain: null,
      ip: text,
    };
  }
  const preset = route.preset ? presetById(route.preset) : undefined;
  if (!preset) {
    return {
      kind: 'unknown',
      who: route.host,
      why: `Mailroom does not know which SPF entry your provider (${route.host}) needs. Its help pages usually give one that starts with "include:"; make sure it is in your SPF record.`,
    };
  }
  if (preset.spfInclude === null) {
    return {
      kind: 'nothing',
      who: preset.name,
      note: preset.spfNote ?? `${preset.name} needs nothing added to your SPF record.`,
    };
  }
  return {
    kind: 'mechanism',
    mechanism: preset.spfInclude,
    who: preset.name,
    includeDomain: preset.spfInclude.slice('include:'.length).toLowerCase(),
    ip: null,
  };
}

const WHAT_SPF_IS = 'SPF is the TXT record that lists which servers may send mail for your domain.';

function addRecordFix(domain: string, record: string): string {
  return `Add a TXT record at ${domain} (in many DNS panels the name is written "@") with this value: ${record}`;
}

function replaceRecordFix(domain: string, record: string): string {
  return `Change the TXT record at ${domain} that starts with v=spf1 so that its value is exactly: ${record}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function breakdownLines(usages: SpfIncludeUsage[], indent: string): string[] {
  const out: string[] = [];
  for (const u of usages) {
    out.push(`${indent}${u.term} uses ${plural(u.lookups, 'lookup', 'lookups')}`);
    out.push(...breakdownLines(u.includes, `${indent}  `));
  }
  return out;
}

const LOOKUPS_EXPLAINED = `Receivers look up at most ${SPF_MAX_LOOKUPS} names in DNS while reading an SPF record: include, a, mx, ptr, exists and redirect each cost one lookup (plus the lookups inside an include); ip4, ip6 and all cost none.`;

function lookupDetails(count: SpfLookupCount, label: string): string[] {
  const lines = [`${label}: ${count.complete ? '' : 'at least '}${count.lookups} of ${SPF_MAX_LOOKUPS} DNS lookups.`];
  lines.push(...breakdownLines(count.includes, '  '));
  if (count.voidLookups > 0) {
    lines.push(
      `Names in the record that do not exist or have no records: ${count.voidLookups} (${count.voidTerms.join(', ')}); receivers allow at most ${SPF_MAX_VOID_LOOKUPS}.`,
    );
  }
  if (count.ignoredRedirect) {
    lines.push(`${count.ignoredRedirect} is ignored by receivers because the record also has an "all" term.`);
  }
  for (const p of count.problems) if (p.kind === 'macro') lines.push(p.message);
  return lines;
}

/** The three costliest top-level includes (not `keep`, the one the route needs). */
function biggestIncludes(count: SpfLookupCount, keep: string | null = null): string {
  const top = [...count.includes]
    .filter((u) => u.lookups > 1 && u.domain !== keep)
    .sort((a, b) => b.lookups - a.lookups)
    .slice(0, 3);
  return top.map((u) => `${u.term} uses ${u.lookups}`).join(', ');
}

function outcome(
  status: DnsCheck['status'],
  message: string,
  fix: string | null,
  details: string[],
  wanted: string | null,
): SpfCheckOutcome {
  return { check: { record: 'spf', status, message, fix, details }, wanted };
}

/** The TXT lookup of the domain itself failed. */
function dnsFailure(domain: string, answer: Extract<DnsAnswer<unknown>, { kind: 'failed' }>): SpfCheckOutcome {
  // The same wording as every other record's "could not ask".
  const c = failedCheck('spf', `the SPF record of ${domain}`, answer);
  return outcome(c.status, c.message, c.fix, c.details, null);
}

/**
 * The SPF verdict for the wizard: does the domain's SPF record let the sending route send,
 * is it valid and within the limits, and what exactly should be published instead.
 * The first finding in this order decides the status and message (the rest is in details):
 * DNS failure / domain missing → no record → several records → quotes → syntax error →
 * over 10 lookups or over 2 void lookups (counting what the route adds) → broken includes
 * → includes that could not be read → route not allowed → +all / ?all / no all → route
 * unknown → exactly 10 lookups → ok. "Not there" verdicts (no record, route missing) are
 * pending instead of error while opts.pending is set.
 */
export async function checkSpf(
  domain: string,
  route: SendingRoute,
  client: DnsClient,
  opts: CheckSpfOptions,
): Promise<SpfCheckOutcome> {
  const need = routeNeed(route);
  const mechanism = need.kind === 'mechanism' ? need.mechanism : null;
  const txt = await client.txt(domain);
  if (txt.kind === 'failed') return dnsFailure(domain, txt);
  if (txt.kind === 'nxdomain') {
    return outcome(
      'error',
      `The domain ${domain} does not exist in DNS, so nobody can check mail sent from it.`,
      `Check the spelling of ${domain}. If it is right, the domain may have expired or not be set up yet: ask the company you bought it from.`,
      [],
      null,
    );
  }
  const candidates = txt.kind === 'found' ? spfCandidates(txt.value) : [];

  // No SPF record at all.
  if (candidates.length === 0) {
    if (need.kind === 'nothing') {
      return outcome(
        'ok',
        `${domain} has no SPF record, and ${need.who} does not need one. ${need.note}`,
        null,
        [],
        null,
      );
    }
    const status = opts.pending ? 'pending' : 'error';
    const lead = opts.pending
      ? `No SPF record is visible for ${domain} yet. DNS changes can take from a few minutes to a few hours to reach everyone.`
      : `${domain} has no SPF record, so receivers cannot tell that ${need.who} may send mail for ${domain}. ${WHAT_SPF_IS}`;
    if (need.kind === 'unknown') {
      return outcome(
        status,
        `${lead} ${need.why}`,
        `Add a TXT record at ${domain} with the SPF value your provider gives, for example: v=spf1 include:<your provider's domain> ~all`,
        [],
        null,
      );
    }
    const wanted = mergeSpf(null, need.mechanism).record;
    const count = await countSpfLookups(wanted, domain, client);
    return outcome(
      status,
      lead,
      addRecordFix(domain, wanted),
      [...lookupDetails(count, 'The new record'), LOOKUPS_EXPLAINED],
      wanted,
    );
  }

  // Several SPF records (quoted ones included: they still have to go).
  if (candidates.length > 1) {
    const visible = candidates.filter((c) => !c.quoted).length;
    const merged = mergeSpfRecords(
      candidates.map((c) => c.text),
      mechanism,
    );
    const message =
      visible > 1
        ? `${domain} has ${visible} SPF records. Two SPF records is a permanent error: receivers ignore both, as if there were none.`
        : `${domain} has ${candidates.length} TXT records that try to be SPF records (some wrapped in quote marks). There must be exactly one.`;
    if (!merged.ok) {
      return outcome(
        'error',
        message,
        `${merged.reason} Then delete the other records that start with v=spf1.`,
        [],
        null,
      );
    }
    const others =
      candidates.length === 2
        ? 'the other record that starts'
        : `the other ${candidates.length - 1} records that start`;
    const mergedParse = parseSpf(merged.record);
    if (!mergedParse.ok) {
      // A mistake in one of the records survives the merge: do not offer it to publish.
      return outcome(
        'error',
        message,
        `Replace them with a single TXT record at ${domain} and delete ${others} with v=spf1. Merged, they read: ${merged.record} — but ${mergedParse.error} Correct that before publishing it.`,
        merged.notes,
        null,
      );
    }
    const count = await countSpfLookups(merged.record, domain, client);
    return outcome(
      'error',
      message,
      `Replace them with this single TXT record at ${domain}: ${merged.record} — and delete ${others} with v=spf1.`,
      [...merged.notes, ...lookupDetails(count, 'The merged record'), LOOKUPS_EXPLAINED],
      merged.record,
    );
  }

  const current = candidates[0] as SpfCandidate;
  const parsed = parseSpf(current.text);

  // A single record pasted with its quotes: receivers see no SPF record at all.
  if (current.quoted) {
    const lead = `The SPF record of ${domain} was saved with quote marks (") around it, so receivers do not see it as an SPF record at all.`;
    if (!parsed.ok) {
      return outcome(
        'error',
        lead,
        `Edit the TXT record at ${domain}: remove the quote characters at the start and end, and correct this mistake in it: ${parsed.error}`,
        [`Current value: ${current.text}`],
        null,
      );
    }
    const merged = mergeSpf(current.text, mechanism);
    return outcome(
      'error',
      lead,
      `Edit the TXT record at ${domain} and remove the quote characters at the start and end, so the value reads: ${merged.record}`,
      merged.notes,
      merged.record,
    );
  }

  // Syntax error: receivers ignore the whole record (permerror).
  if (!parsed.ok) {
    const without = parsed.term
      ? current.text
          .split(' ')
          .filter((t) => t !== parsed.term)
          .join(' ')
      : null;
    const repaired = without && parseSpf(without).ok ? mergeSpf(without, mechanism).record : null;
    return outcome(
      'error',
      `The SPF record of ${domain} has a mistake, so receivers ignore all of it: ${parsed.error}`,
      repaired
        ? `Correct or remove ${parsed.term}. Without it, the record reads: ${repaired} (if that term was meant to allow a server, correct it instead of removing it).`
        : `Correct the record at ${domain}: ${parsed.error}`,
      [`Current record: ${current.text}`],
      repaired,
    );
  }

  // A valid single record: how far does it go?
  const details: string[] = [];
  const count = await countSpfLookups(current.text, domain, client);
  let routeOk: boolean | null = null; // null: cannot tell
  let hostResult: SpfHostResult | null = null;
  if (need.kind === 'mechanism' && need.ip !== null) {
    hostResult = await checkHost(need.ip, domain, `postmaster@${domain}`, client);
    routeOk = hostResult.result === 'pass';
    details.push(
      `Checked the way receivers do, mail from ${need.ip} gets "${hostResult.result}": ${hostResult.reason}.`,
    );
  } else if (need.kind === 'mechanism' && need.includeDomain !== null) {
    // Listed is not enough: the include must be able to pass (not -include:, not after "all").
    routeOk = count.allows.includes(need.includeDomain);
  }
  const merge = mergeSpf(current.text, routeOk === false ? mechanism : null);
  const wanted = merge.changed ? merge.record : null;
  const wantedCount = wanted && routeOk === false ? await countSpfLookups(wanted, domain, client) : count;
  details.push(...lookupDetails(count, 'Your record'), LOOKUPS_EXPLAINED);
  if (wantedCount.lookups !== count.lookups) details.push(...lookupDetails(wantedCount, `With ${need.who} added`));
  details.push(...merge.notes);

  // Over the lookup limit, now or once the route is added.
  if (wantedCount.overLimit) {
    const already = count.overLimit;
    const n = `${wantedCount.complete ? '' : 'at least '}${wantedCount.lookups}`;
    const biggest = biggestIncludes(wantedCount, need.kind === 'mechanism' ? need.includeDomain : null);
    return outcome(
      'error',
      already
        ? `The SPF record of ${domain} needs ${n} DNS lookups; receivers stop at ${SPF_MAX_LOOKUPS} and then treat the record as broken.`
        : `Adding ${need.who} to the SPF record of ${domain} would need ${n} DNS lookups; receivers stop at ${SPF_MAX_LOOKUPS} and then treat the record as broken.`,
      `Remove the include: entries of services you no longer send with${biggest ? ` (${biggest} lookups)` : ''} until the count is ${SPF_MAX_LOOKUPS} or less, then check again. If you use them all, ask those providers whether they offer a shorter entry.`,
      details,
      null,
    );
  }
  if (wantedCount.voidLookups > SPF_MAX_VOID_LOOKUPS) {
    return outcome(
      'error',
      `The SPF record of ${domain} refers to ${wantedCount.voidLookups} names that do not exist or have no records (${wantedCount.voidTerms.join(', ')}); receivers allow at most ${SPF_MAX_VOID_LOOKUPS} and then treat the record as broken.`,
      `Remove the terms for names that no longer exist (${wantedCount.voidTerms.join(', ')}) from the TXT record at ${domain}.`,
      details,
      null,
    );
  }

  // Includes that cannot be read, loops, too many MX names.
  const broken = wantedCount.problems.filter((p) => p.kind !== 'macro' && p.kind !== 'dns-failed');
  if (broken.length > 0) {
    const first = broken[0] as SpfLookupProblem;
    // When the broken include is written in the person's own record, offer the record
    // without it; one deeper down belongs to a provider and only they can repair it.
    const own = current.text.split(' ').includes(first.term) && first.kind !== 'too-many-mx';
    const without = own
      ? current.text
          .split(' ')
          .filter((t) => t !== first.term)
          .join(' ')
      : null;
    const repaired =
      without && parseSpf(without).ok ? mergeSpf(without, routeOk === false ? mechanism : null).record : null;
    return outcome(
      'error',
      first.message,
      repaired
        ? `Remove ${first.term} from the TXT record at ${domain}, so that its value is: ${repaired} (if it belongs to a provider you still use, ask them for the right entry instead).`
        : `The entry ${first.term} needs to be corrected by whoever runs ${first.domain}; if you no longer use that service, remove the include: that leads to it from the TXT record at ${domain}.`,
      [...details, ...broken.slice(1).map((p) => p.message)],
      repaired,
    );
  }
  const failed = wantedCount.problems.filter((p) => p.kind === 'dns-failed');
  if (failed.length > 0 || hostResult?.result === 'temperror') {
    const first = failed[0];
    const timeout = first ? isUnanswered(first.code ?? '') : /did not answer in time/.test(hostResult?.reason ?? '');
    const what = first ? first.message : `Checking failed: ${hostResult?.reason}.`;
    return outcome(
      timeout ? 'warning' : 'error',
      timeout
        ? `Could not finish checking the SPF record of ${domain}. ${what} Try again in a few minutes.`
        : `Part of the SPF record of ${domain} cannot be read right now. ${what} Receivers get a temporary error too and may delay your mail.`,
      timeout
        ? 'Check again in a few minutes.'
        : `If this lasts more than a few hours, remove or correct ${first?.term ?? 'the failing entry'} or ask whoever runs it.`,
      details,
      null,
    );
  }
  if (hostResult?.result === 'permerror') {
    return outcome(
      'error',
      `Receivers treat the SPF record of ${domain} as broken: ${hostResult.reason}.`,
      'Correct the record, then check again.',
      details,
      null,
    );
  }

  // The route is not allowed by the record.
  if (routeOk === false && wanted) {
    // The usual way a listed entry does not count: it was added after "all", where
    // receivers have stopped reading (the merge moves it in front).
    const allAt = parsed.terms.findIndex((t) => t.kind === 'all');
    const bare = mechanism?.toLowerCase();
    const late =
      allAt >= 0 && parsed.terms.slice(allAt + 1).some((t) => t.raw.toLowerCase().replace(/^[+\-~?]/, '') === bare);
    // Within the window a repaired record may simply not have reached everyone yet.
    const status = opts.pending ? 'pending' : 'error';
    const lead = late
      ? `The SPF record of ${domain} lists ${mechanism} after ${parsed.terms[allAt]?.raw}, where receivers have already stopped reading, so ${need.who} is not allowed to send for ${domain}.${opts.pending ? ' If you have just corrected it, the change can take from a few minutes to a few hours to reach everyone.' : ''}`
      : opts.pending
        ? `The SPF record of ${domain} does not list ${need.who} yet. DNS changes can take from a few minutes to a few hours to reach everyone.`
        : `The SPF record of ${domain} does not let ${need.who} send mail for ${domain}, so receivers may treat that mail as forged.`;
    return outcome(status, lead, replaceRecordFix(domain, wanted), details, wanted);
  }
  if (routeOk === false) {
    return outcome(
      'error',
      `The SPF record of ${domain} does not let ${need.who} send mail for ${domain}.`,
      `Check the terms in front of ${mechanism} in the record at ${domain}: one of them refuses ${need.who} first.`,
      details,
      null,
    );
  }

  // The final "all".
  const all = parsed.terms.find((t) => t.kind === 'all');
  const hasRedirect = parsed.terms.some((t) => t.kind === 'modifier' && t.name === 'redirect');
  if (all && all.qualifier === '+') {
    return outcome(
      'warning',
      `The SPF record of ${domain} ends with ${all.raw}, which lets any server in the world send mail as ${domain}.`,
      wanted ? replaceRecordFix(domain, wanted) : null,
      details,
      wanted,
    );
  }
  if (all && all.qualifier === '?') {
    return outcome(
      'warning',
      `The SPF record of ${domain} ends with ?all, which tells receivers nothing about servers that are not listed, so it does not protect ${domain} from forged mail.`,
      wanted ? replaceRecordFix(domain, wanted) : null,
      details,
      wanted,
    );
  }
  if (!all && !hasRedirect) {
    return outcome(
      'warning',
      `The SPF record of ${domain} has no "all" at the end, so receivers get no advice about mail from servers that are not listed.`,
      wanted ? replaceRecordFix(domain, wanted) : null,
      details,
      wanted,
    );
  }

  const used = `${count.lookups} of ${SPF_MAX_LOOKUPS} DNS lookups used`;
  if (need.kind === 'unknown') {
    return outcome('warning', `The SPF record of ${domain} is valid (${used}), but ${need.why}`, null, details, null);
  }
  if (count.lookups === SPF_MAX_LOOKUPS) {
    // Exactly at the limit works today, but nothing can be added, and a provider adding
    // one lookup to its own include (they do, without notice) breaks SPF. At 9 there is
    // still one to spare, so that stays ok with the count in the details.
    return outcome(
      'warning',
      `SPF is set up for ${need.who}, but the record uses all ${SPF_MAX_LOOKUPS} DNS lookups receivers allow: if one of your providers adds a lookup to its own entry, your SPF record breaks.`,
      `Remove include: entries for services you no longer send with${biggestIncludes(count) ? ` (${biggestIncludes(count)} lookups)` : ''} to leave some room.`,
      details,
      null,
    );
  }
  if (need.kind === 'nothing') {
    return outcome('ok', `The SPF record of ${domain} is valid (${used}). ${need.note}`, null, details, null);
  }
  return outcome('ok', `SPF is set up: it lets ${need.who} send for ${domain} (${used}).`, null, details, null);
}
