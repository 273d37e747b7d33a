import { domainToASCII } from 'node:url';
import type { DnsCheck } from '../../shared/domain/dns.ts';
import type { DnsClient } from './dns-client.ts';
import { failedCheck } from './status.ts';
import { clip, readTxt, type TxtValue } from './txt.ts';
import { organisationalDomain } from './zone.ts';

// DMARC (RFC 7489): the record at _dmarc.<domain> that tells receivers what to do with
// mail that claims to be from the domain but fails both SPF and DKIM alignment.
//
// Receivers are forgiving in a specific way (§6.3, §6.6.3): a record whose v= is not
// first or not exactly DMARC1 is ignored whole; a missing or invalid p= (or an invalid
// sp=) makes them treat the record as p=none when rua= has a usable address, and ignore
// it otherwise; any other bad tag is dropped and its default used. The check and the
// records page follow the same rules, so a typo in pct= never costs anyone their p=reject.

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcRecord {
  p: DmarcPolicy;
  sp: DmarcPolicy | null;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  pct: number;
  rua: string[];
  ruf: string[];
}

/** One tag receivers ignore (or read differently than meant), in plain words. */
export interface DmarcProblem {
  /** The tag's name in lower case ('pct', 'rua', …), or the part as written when it has no name. */
  tag: string;
  message: string;
}

/**
 * ok: receivers use the record; `record` is what they actually do (ignored tags at their
 * defaults) and `problems` the tags they ignore. Not ok: receivers ignore the whole record.
 */
export type DmarcParse =
  | { ok: true; record: DmarcRecord; problems: DmarcProblem[] }
  | { ok: false; error: string; problems: DmarcProblem[] };

/**
 * A TXT value at _dmarc that is meant as a DMARC record: it starts with v=DMARC (even a
 * wrong version) or has v=DMARC1 somewhere, for example after p=. Such a record is the
 * person's to correct; treating it as absent would make them add a second one.
 */
export const DMARC_RECORD = /^\s*v\s*=\s*DMARC|(?:^|[\s;])v\s*=\s*DMARC1\b/i;

const POLICIES = new Set(['none', 'quarantine', 'reject']);

// The tags DMARC defines (RFC 7489 §6.3, plus np, psd and t from its successor draft).
// Used only to spot a missing semicolon: "v=DMARC1 p=reject" is one tag to a receiver.
const TAG_NAMES = ['v', 'p', 'sp', 'rua', 'ruf', 'adkim', 'aspf', 'pct', 'fo', 'rf', 'ri', 'np', 'psd', 't'];
const RUN_ON = new RegExp(`(?:\\s*,\\s*|\\s+)(?=(?:${TAG_NAMES.join('|')})\\s*=)`, 'i');

// mailto:address, optionally followed by !size (RFC 7489 §6.2). Receivers send reports by email only.
const MAILTO = /^mailto:[^@\s,;!:]+@[^@\s,;!]+\.[^@\s,;!]+(![0-9]+[kmgt]?)?$/i;
const BARE_ADDRESS = /^[^@\s,;!:]+@[^@\s,;!]+\.[^@\s,;!]+(![0-9]+[kmgt]?)?$/i;

// ---------------------------------------------------------------------------------------
// Reading the tag list. Deliberately more lenient than the DKIM tag list in txt.ts: an
// empty part (";;") or a nameless one is one ignored piece here, not a broken record.

interface Part {
  /** As written (trimmed), for messages and for keeping the person's own spelling. */
  text: string;
  /** Tag name in lower case; null when the part is not written as name=value. */
  key: string | null;
  value: string;
}

function readPart(text: string): Part {
  const m = /^([A-Za-z][A-Za-z0-9_]*)\s*=(.*)$/s.exec(text);
  return m
    ? { text, key: (m[1] as string).toLowerCase(), value: (m[2] as string).trim() }
    : { text, key: null, value: '' };
}

function readParts(text: string): Part[] {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(readPart);
}

/** The tags a part holds when semicolons were left out ("v=DMARC1 p=reject" → two). */
function splitRunOn(part: Part): Part[] {
  const pieces = part.text.split(RUN_ON);
  return pieces.length > 1 ? pieces.map((s) => readPart(s.trim())) : [part];
}

// ---------------------------------------------------------------------------------------
// One rule per tag: null when receivers accept the value, else what is wrong and the
// tag to write instead (null: leave it out, so receivers use the default they use now).

interface Issue {
  message: string;
  fixed: string | null;
}
type Rule = (value: string) => Issue | null;

const shown = (name: string, value: string): string =>
  value === '' ? `an empty ${name}=` : `${name}=${clip(value, 30)}`;

const policyRule =
  (name: 'p' | 'sp'): Rule =>
  (value) =>
    POLICIES.has(value.toLowerCase())
      ? null
      : {
          message: `${shown(name, value)} is not a policy (none, quarantine or reject)`,
          // An unreadable p= already works as p=none at best; Mailroom cannot guess what was
          // meant, so it writes the starting policy. An unreadable sp= is left out, so
          // subdomains follow p= and no policy is lowered.
          fixed: name === 'p' ? 'p=none' : null,
        };

const alignmentRule =
  (name: 'adkim' | 'aspf'): Rule =>
  (value) => {
    if (/^[rs]$/i.test(value)) return null;
    const meant = /^strict$/i.test(value) ? 's' : /^relaxed$/i.test(value) ? 'r' : null;
    return {
      message: `${shown(name, value)} is not r (relaxed) or s (strict), so receivers ignore it and use r`,
      fixed: meant && `${name}=${meant}`,
    };
  };

const pctRule: Rule = (value) => {
  if (/^\d{1,3}$/.test(value) && Number(value) <= 100) return null;
  const percent = /^(\d{1,3})\s*%$/.exec(value);
  if (percent && Number(percent[1]) <= 100) {
    return {
      message: `${shown('pct', value)} must be written without the % sign, so receivers ignore it and use 100`,
      fixed: `pct=${Number(percent[1])}`,
    };
  }
  return { message: `${shown('pct', value)} is not a percentage, so receivers ignore it and use 100`, fixed: null };
};

const uriRule =
  (name: 'rua' | 'ruf'): Rule =>
  (value) => {
    if (value === '') return null;
    const uris = value.split(',').map((u) => u.trim());
    const bad = uris.filter((u) => !MAILTO.test(u));
    if (bad.length === 0) return null;
    // An address written without mailto: is obviously meant; anything else cannot be repaired.
    const kept = uris.flatMap((u) => (MAILTO.test(u) ? [u] : BARE_ADDRESS.test(u) ? [`mailto:${u}`] : []));
    return {
      message: bad.map((u) => uriWords(name, u)).join('; '),
      fixed: kept.length > 0 ? `${name}=${kept.join(',')}` : null,
    };
  };

function uriWords(name: string, uri: string): string {
  if (BARE_ADDRESS.test(uri)) {
    return `${name}=${clip(uri, 40)} needs mailto: in front of the address (mailto:${clip(uri, 40)}); without it receivers send no reports there`;
  }
  return `${name}= lists “${clip(uri, 40)}”, which is not an email address written as mailto:name@domain, so receivers send no reports there`;
}

const RULES: Record<string, Rule> = {
  p: policyRule('p'),
  sp: policyRule('sp'),
  adkim: alignmentRule('adkim'),
  aspf: alignmentRule('aspf'),
  pct: pctRule,
  rua: uriRule('rua'),
  ruf: uriRule('ruf'),
  fo: (v) =>
    /^[01ds](\s*:\s*[01ds])*$/i.test(v)
      ? null
      : { message: `${shown('fo', v)} is not 0, 1, d or s, so receivers ignore it and use 0`, fixed: null },
  ri: (v) =>
    /^\d+$/.test(v)
      ? null
      : {
          message: `${shown('ri', v)} is not a number of seconds, so receivers ignore it and report daily`,
          fixed: null,
        },
};

/** What is wrong with one part as receivers read it (tags they do not know are fine: they skip them). */
function partIssue(part: Part): Issue | null {
  if (part.key === null) {
    return { message: `“${clip(part.text, 40)}” is not written as name=value, so receivers ignore it`, fixed: null };
  }
  const pieces = splitRunOn(part);
  if (pieces.length > 1) {
    return {
      message: `the tags must be separated by semicolons: “${clip(part.text, 60)}” should read “${clip(pieces.map((p) => p.text).join('; '), 70)}”`,
      fixed: null,
    };
  }
  return RULES[part.key]?.(part.value) ?? null;
}

/** Receivers ignore the whole record unless it starts with exactly v=DMARC1. */
function versionError(parts: Part[]): string | null {
  const first = parts[0];
  if (first?.key === 'v') {
    if (first.value === 'DMARC1') return null;
    const issue = partIssue(first);
    if (issue) return issue.message;
    if (/^DMARC1$/i.test(first.value)) return 'it must start with v=DMARC1 written exactly like that, in capitals';
    return `${shown('v', first.value)} is not a DMARC version; it must start with v=DMARC1`;
  }
  if (parts.some((p) => p.key === 'v')) return 'v=DMARC1 must come first in the record';
  return 'it must start with v=DMARC1';
}

/** Reads a DMARC record the way receivers do (see the top of this file). */
export function parseDmarc(text: string): DmarcParse {
  const parts = readParts(text);
  const first = new Map<string, string>();
  const usable = new Set<string>();
  // p= and sp= problems decide about the whole record; the others only about their tag.
  const policy: DmarcProblem[] = [];
  const problems: DmarcProblem[] = [];
  for (const part of parts) {
    if (part.key === 'v') continue; // judged by versionError
    if (part.key !== null && first.has(part.key)) {
      const both = `${part.key}=${clip(first.get(part.key) as string, 20)} and ${clip(part.text, 30)}`;
      problems.push({
        tag: part.key,
        message: `${part.key}= appears twice (${both}), so receivers may read either one`,
      });
      continue;
    }
    if (part.key !== null) first.set(part.key, part.value);
    const issue = partIssue(part);
    if (!issue) {
      usable.add(part.key as string);
      continue;
    }
    const list = part.key === 'p' || part.key === 'sp' ? policy : problems;
    list.push({ tag: part.key ?? part.text, message: issue.message });
  }
  const version = versionError(parts);
  const missing = missingPolicy(parts, first);
  // A p= swallowed by a tag without its semicolon is already explained by that tag's problem.
  if (missing && !(version && missing.hidden)) policy.push({ tag: 'p', message: missing.message });

  if (version) return { ok: false, error: version, problems: [...policy, ...problems] };
  const record = receiverView(first, usable);
  if (policy.length === 0) return { ok: true, record, problems };
  if (record.rua.length === 0) return { ok: false, error: policy.map((p) => p.message).join('; '), problems };
  // §6.6.3: with a usable report address, receivers act as if the record said p=none.
  const fallback = policy.map((p) => ({
    tag: p.tag,
    message: `${p.message}, so receivers treat the whole record as p=none and only send reports`,
  }));
  return { ok: true, record: { ...record, p: 'none', sp: null }, problems: [...fallback, ...problems] };
}

/** No p= for receivers: left out, or written after another tag without a semicolon (hidden). */
function missingPolicy(parts: Part[], first: Map<string, string>): { message: string; hidden: boolean } | null {
  if (first.has('p')) return null;
  if (parts.flatMap(splitRunOn).some((p) => p.key === 'p')) {
    return { message: 'its policy (p=) is not read, because the semicolon before it is missing', hidden: true };
  }
  return { message: 'it has no policy (p=none, p=quarantine or p=reject)', hidden: false };
}

/** The record as receivers apply it: every tag they ignore at its default. */
function receiverView(first: Map<string, string>, usable: Set<string>): DmarcRecord {
  const use = (key: string, fallback: string): string =>
    (usable.has(key) ? (first.get(key) as string) : fallback).toLowerCase();
  // Report addresses: the good ones in the tag are used even when others next to them are not.
  const addresses = (key: string): string[] =>
    (first.get(key) ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter((u) => MAILTO.test(u))
      .map((u) => u.replace(/!.*$/, '').slice('mailto:'.length));
  const sp = use('sp', '');
  return {
    p: use('p', 'none') as DmarcPolicy,
    sp: sp === '' ? null : (sp as DmarcPolicy),
    adkim: use('adkim', 'r') as 'r' | 's',
    aspf: use('aspf', 'r') as 'r' | 's',
    pct: Number(use('pct', '100')),
    rua: addresses('rua'),
    ruf: addresses('ruf'),
  };
}

// ---------------------------------------------------------------------------------------
// The record to publish: the person's own, with only the broken parts corrected.

/** The record to start with: monitor only, reports to the given address. */
export function defaultDmarc(reportAddress: string): string {
  return `v=DMARC1; p=none; rua=mailto:${reportAddress}`;
}

interface Correction {
  text: string;
  /** p= was missing (added) or unreadable (replaced), so the correction sets p=none. */
  policy: 'added' | 'replaced' | null;
}

/**
 * The person's record with v=DMARC1 first, semicolons where they were missing, every
 * broken tag corrected or left out, the first of a repeated tag kept, and nothing else
 * touched: their p=, sp= and report addresses stay as they are.
 */
function correctDmarc(text: string, reportAddress: string): Correction {
  const seen = new Set(['v']);
  const tags: string[] = [];
  let policy: Correction['policy'] = 'added';
  for (const part of readParts(text).flatMap(splitRunOn)) {
    if (part.key === null || seen.has(part.key)) continue;
    seen.add(part.key);
    const issue = RULES[part.key]?.(part.value) ?? null;
    if (part.key === 'p') policy = issue ? 'replaced' : null;
    const tag = issue ? issue.fixed : part.text;
    if (tag !== null) tags.push(tag);
  }
  if (policy === 'added') tags.unshift('p=none');
  // p=none is only worth having with reports; add the wizard's address if none is left.
  if (policy !== null && !tags.some((t) => /^rua\s*=\s*\S/i.test(t))) tags.push(`rua=mailto:${reportAddress}`);
  return { text: ['v=DMARC1', ...tags].join('; '), policy };
}

/** What to publish at _dmarc, and whether the correction chose the policy (the check explains that). */
function publishPlan(found: TxtValue[], reportAddress: string): Correction | null {
  const records = found.filter((t) => DMARC_RECORD.test(t.text));
  if (records.length === 0) return { text: defaultDmarc(reportAddress), policy: 'added' };
  const only = records[0] as TxtValue;
  if (records.length === 1 && !only.quoted) {
    const parsed = parseDmarc(only.text);
    if (parsed.ok && parsed.problems.length === 0) return null;
  }
  if (records.length === 1) return correctDmarc(only.text, reportAddress);
  // Several records (receivers ignore them all): keep one, the same whatever order DNS
  // returns them in. The strictest policy a receiver could use on its own wins, since
  // the person asked for at least that; every report address named stays, so no
  // reports stop arriving.
  const usable = records
    .map((t) => ({ t, parsed: parseDmarc(t.text) }))
    .filter((x): x is { t: TxtValue; parsed: Extract<DmarcParse, { ok: true }> } => x.parsed.ok);
  const byText = (a: TxtValue, b: TxtValue) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
  const keep =
    usable.sort((a, b) => strength(b.parsed.record) - strength(a.parsed.record) || byText(a.t, b.t))[0] ?? null;
  if (!keep) return correctDmarc([...records].sort(byText)[0]?.text ?? only.text, reportAddress);
  const corrected = correctDmarc(keep.t.text, reportAddress);
  const has = new Set(keep.parsed.record.rua.map((a) => a.toLowerCase()));
  const extra: string[] = [];
  for (const a of usable.flatMap((u) => u.parsed.record.rua)) {
    if (has.has(a.toLowerCase())) continue;
    has.add(a.toLowerCase());
    extra.push(a);
  }
  if (extra.length === 0) return corrected;
  const tags = corrected.text.split('; ');
  const at = tags.findIndex((t) => /^rua\s*=/i.test(t));
  const more = extra.map((a) => `mailto:${a}`).join(',');
  if (at === -1) tags.push(`rua=${more}`);
  else tags[at] = `${tags[at]},${more}`;
  return { ...corrected, text: tags.join('; ') };
}

const STRICTNESS: Record<DmarcPolicy, number> = { none: 0, quarantine: 1, reject: 2 };

/**
 * How much a record protects: its policy first, then the policy for subdomains. Mail
 * that pct= leaves out gets the next milder policy (RFC 7489 §6.6.4), so p=reject with
 * pct=0 counts as p=quarantine, and any pct below 100 as halfway.
 */
function strength(r: DmarcRecord): number {
  const effective = (p: DmarcPolicy) => Math.max(0, STRICTNESS[p] * 2 - (r.pct <= 0 ? 2 : r.pct < 100 ? 1 : 0));
  return effective(r.p) * 5 + effective(r.sp ?? r.p);
}

/**
 * The one DMARC record to publish at _dmarc.<domain>, given the TXT records there now
 * (as readTxt reads them, so pasted quotes are known): null when what is there is right.
 * The check's fix and the records page both use this, so they never disagree.
 */
export function dmarcToPublish(found: TxtValue[], reportAddress: string): string | null {
  return publishPlan(found, reportAddress)?.text ?? null;
}

// ---------------------------------------------------------------------------------------
// Plain words.

const POLICY_WORDS: Record<DmarcPolicy, string> = {
  none: 'receivers deliver mail that fails the checks as usual and only report it to you',
  quarantine: 'receivers put mail that fails the checks in the junk folder',
  reject: 'receivers refuse mail that fails the checks',
};

/** The record in plain words, one sentence per line (pass parseDmarc's record: what receivers actually do). */
export function explainDmarc(r: DmarcRecord, domain: string): string[] {
  const lines = [
    `Policy p=${r.p}: ${POLICY_WORDS[r.p]}${r.pct < 100 && r.p !== 'none' ? ` (for ${r.pct}% of such mail; the rest is treated one step milder)` : ''}.`,
  ];
  if (r.sp && r.sp !== r.p) lines.push(`For subdomains of ${domain} (sp=${r.sp}): ${POLICY_WORDS[r.sp]}.`);
  lines.push(
    r.rua.length > 0
      ? `Daily summary reports go to ${r.rua.join(', ')}.`
      : 'No reports are requested (no rua=), so you will not see who sends mail in your name.',
  );
  if (r.ruf.length > 0)
    lines.push(`Reports about single failed messages go to ${r.ruf.join(', ')} (few receivers send these).`);
  const outside = [...r.rua, ...r.ruf].filter((a) => !sameOrganisation(a.split('@')[1] ?? '', domain));
  if (outside.length > 0) {
    lines.push(
      `Reports to another domain (${outside.join(', ')}) arrive only if that domain agrees to take them; report services set this up for you.`,
    );
  }
  lines.push(
    r.adkim === 's'
      ? `DKIM alignment is strict (adkim=s): the signature must be for exactly ${domain}. Mailroom signs as ${domain}, so this is fine.`
      : `Alignment: Mailroom signs as ${domain}, which matches your From address, so DMARC passes through DKIM.`,
  );
  if (r.aspf === 's') {
    lines.push('SPF alignment is strict (aspf=s): SPF only counts when the bounce address uses exactly this domain.');
  }
  return lines;
}

/** Whether a report address's domain belongs to the same organisation (no consent needed, RFC 7489 §7.1). */
function sameOrganisation(addressDomain: string, domain: string): boolean {
  return organisationalDomain(addressDomain) === organisationalDomain(domain);
}

/** Why the correction picked p=none, when it did; appended to the fix. */
function policyNote(policy: Correction['policy']): string {
  const start = 'p=none only asks receivers for reports and changes nothing for your mail';
  if (policy === 'added')
    return ` This adds p=none: ${start}. After a few weeks of reports, change it to p=quarantine.`;
  if (policy === 'replaced') {
    return ` Mailroom cannot tell which policy you meant, so this uses p=none: ${start}. Once the reports look right, change it to p=quarantine or p=reject.`;
  }
  return '';
}

// ---------------------------------------------------------------------------------------
// The check.

export interface DmarcCheckOptions {
  pending: boolean;
  /** Where reports should go if the person starts from nothing. */
  reportAddress: string;
}

export async function checkDmarc(domain: string, client: DnsClient, opts: DmarcCheckOptions): Promise<DnsCheck> {
  const name = `_dmarc.${domain}`;
  const answer = await client.txt(name);
  if (answer.kind === 'failed') return failedCheck('dmarc', `the DMARC record at ${name}`, answer);

  const found = answer.kind === 'found' ? answer.value.map(readTxt).filter((t) => DMARC_RECORD.test(t.text)) : [];
  if (found.length === 0) return missingDmarc(domain, client, opts);
  const plan = publishPlan(found, opts.reportAddress);
  if (plan !== null) return dmarcToFix(domain, found, plan);
  // publishPlan found nothing to change, so this one record parses.
  const parsed = parseDmarc((found[0] as TxtValue).text);
  if (!parsed.ok) throw new Error('a DMARC record publishPlan accepted must parse');
  const check = dmarcInPlace(domain, parsed.record);
  const refused = await unauthorisedReportAddresses(domain, parsed.record.rua, client);
  if (refused.length === 0) return check;
  const hosts = [...new Set(refused.map((a) => a.split('@')[1] as string))];
  return {
    ...check,
    status: 'warning',
    message: `${check.message} But reports to ${refused.join(', ')} will not arrive: ${hosts.join(', ')} has not agreed to receive DMARC reports for ${domain}.`,
    fix: `Send the reports to an address at ${domain} (for example postmaster@${domain}) in rua=, or use a DMARC report service, which sets up its side for you.`,
  };
}

/**
 * Report addresses at another domain that has not agreed to take reports for this one.
 * Receivers only send reports to another domain when it publishes a TXT record
 * "<domain>._report._dmarc.<its domain>" starting with v=DMARC1 (RFC 7489 §7.1), so a
 * shop that puts its Gmail address in rua= never gets a report. Lookups that fail are
 * given the benefit of the doubt.
 */
async function unauthorisedReportAddresses(domain: string, addresses: string[], client: DnsClient): Promise<string[]> {
  const outside = addresses.filter((a) => !sameOrganisation(a.split('@')[1] ?? '', domain));
  const answers = await Promise.all(
    outside.map(async (address) => {
      const written = (address.split('@')[1] as string).toLowerCase();
      const host = domainToASCII(written) || written;
      const answer = await client.txt(`${domain}._report._dmarc.${host}`);
      const agreed =
        answer.kind === 'failed' ||
        (answer.kind === 'found' && answer.value.some((t) => /^\s*v\s*=\s*DMARC1/i.test(readTxt(t).text)));
      return agreed ? null : address;
    }),
  );
  return answers.filter((a): a is string => a !== null);
}

/** One record, read whole by receivers, with nothing to change. */
function dmarcInPlace(domain: string, r: DmarcRecord): DnsCheck {
  const details = explainDmarc(r, domain);
  if (r.p === 'none') {
    details.push(
      'Next step, in a few weeks: when the reports show your mail passing, change p=none to p=quarantine so mail forged in your name goes to junk.',
    );
  }
  return {
    record: 'dmarc',
    status: 'ok',
    message: `DMARC is set up with policy p=${r.p}: ${POLICY_WORDS[r.p]}.`,
    fix: null,
    details,
  };
}

/** Something to change: the fix is always `plan`, the value the records page shows too. */
function dmarcToFix(domain: string, found: TxtValue[], plan: Correction): DnsCheck {
  const name = `_dmarc.${domain}`;
  // The value comes last, with no full stop after it, so it can be copied as it is.
  const fix = (how: string): string => `${policyNote(plan.policy)}${how}: ${plan.text}`;
  const error = (message: string, how: string, details: string[]): DnsCheck => ({
    record: 'dmarc',
    status: 'error',
    message,
    fix: fix(how),
    details,
  });
  if (found.length > 1) {
    return error(
      `${name} has ${found.length} DMARC records. Receivers then ignore all of them, as if you had none.`,
      `Keep just one DMARC record at ${name} and delete the others; give the one you keep the value`,
      [
        ...found.map((t) => `Found: ${clip(t.text, 200)}`),
        'The value below keeps the strictest policy they set that receivers can read, and every report address they name.',
      ],
    );
  }
  const one = found[0] as TxtValue;
  const parsed = parseDmarc(one.text);
  const also = [...(parsed.ok ? [] : [parsed.error]), ...parsed.problems.map((p) => p.message)].map(
    (m) => `Also: ${m}.`,
  );
  if (one.quoted) {
    return error(
      `The DMARC record at ${name} contains quote marks ("), which receivers read as part of the record, so they ignore it.`,
      also.length === 0
        ? 'Edit the record and remove the quote marks, so the value reads'
        : 'Edit the record so the value reads, without quote marks',
      also,
    );
  }
  if (!parsed.ok) {
    return error(
      `The DMARC record at ${name} cannot be used: ${parsed.error}. Receivers ignore it, as if you had none.`,
      'Change its value to',
      [...also.slice(1), `Found: ${clip(one.text, 200)}`],
    );
  }
  // Receivers use the record without the tags they ignore: a warning, and what they do now.
  return {
    record: 'dmarc',
    status: 'warning',
    message: `The DMARC record at ${name} works, but receivers ignore part of it: ${parsed.problems.map((p) => p.message).join('; ')}.`,
    fix: fix('Change its value to'),
    details: ['What receivers do now:', ...explainDmarc(parsed.record, domain)],
  };
}

/** No record of the domain's own: covered by the parent's, waiting for a new one, or missing. */
async function missingDmarc(domain: string, client: DnsClient, opts: DmarcCheckOptions): Promise<DnsCheck> {
  const name = `_dmarc.${domain}`;
  const parent = await organisationalDmarc(domain, client);
  if (parent) {
    return {
      record: 'dmarc',
      status: 'ok',
      message: `${domain} has no DMARC record of its own; the policy of ${parent.domain} covers it.`,
      fix: null,
      details: explainDmarc(parent.record, parent.domain),
    };
  }
  const add = `Add a TXT record named ${name} with the value: ${dmarcToPublish([], opts.reportAddress)}`;
  const why =
    'Since 2024 Gmail and Yahoo require a DMARC record from anyone sending newsletters; without it, your mail is likely to be refused or junked.';
  const start =
    'p=none only asks for reports and changes nothing for your mail. After a few weeks without surprises in the reports, change it to p=quarantine.';
  if (opts.pending) {
    return {
      record: 'dmarc',
      status: 'pending',
      message: `The DMARC record at ${name} is not visible yet. New records usually appear within minutes, sometimes up to a few hours.`,
      fix: `Check again in a few minutes. ${add}`,
      details: [why, start],
    };
  }
  return {
    record: 'dmarc',
    status: 'error',
    message: `There is no DMARC record at ${name}. ${why}`,
    fix: add,
    details: [start],
  };
}

/**
 * RFC 7489 §6.6.3: without a record of its own, a subdomain is covered by its
 * Organizational Domain's record (shop.example for news.shop.example, found with the
 * Public Suffix List); receivers do not look at the names in between.
 * `record` is the policy as it applies to the subdomain (sp= when set); `text` is the
 * parent's record as published, for the records page.
 */
export async function organisationalDmarc(
  domain: string,
  client: DnsClient,
): Promise<{ domain: string; text: string; record: DmarcRecord } | null> {
  const parent = organisationalDomain(domain);
  if (parent === domain) return null;
  const answer = await client.txt(`_dmarc.${parent}`);
  if (answer.kind !== 'found') return null;
  const texts = answer.value.map(readTxt).filter((t) => DMARC_RECORD.test(t.text));
  // Several records, or one with pasted quotes: receivers ignore them, so they cover nothing.
  const only = texts[0];
  if (texts.length !== 1 || !only || only.quoted) return null;
  const parsed = parseDmarc(only.text);
  if (parsed.ok) {
    return { domain: parent, text: only.text, record: { ...parsed.record, p: parsed.record.sp ?? parsed.record.p } };
  }
  return null;
}
