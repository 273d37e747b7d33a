import { MailroomError } from '../../../shared/errors.ts';
import { type Ip, inRange, parseIp } from './ip.ts';
import { parseSpf, parseTerm, SPF_VERSION, type SpfMechanism, stripQuotes } from './record.ts';

// Merging: add what the sending route needs to an SPF record, or fold several records into
// one, without ever leaving two records (two are a permanent error, RFC 7208 §4.5).

export interface SpfMerge {
  record: string;
  /** False when the existing record already had everything (whitespace aside). */
  changed: boolean;
  /** What was changed and why, in plain words. */
  notes: string[];
}

const ALL_TERM = /^([+\-~?]?)all$/i;
const MODIFIER_TERM = /^[a-z][a-z0-9_.-]*=/i;

function isMechanismToken(t: string): boolean {
  return !MODIFIER_TERM.test(t);
}

/** The mechanism without a "+" qualifier, lower case, without a /32 or /128 that changes nothing. */
function mechanismKey(t: string): string {
  const lower = t.toLowerCase().replace(/^\+/, '');
  return lower.replace(/^([-~?]?ip4:[^/]+)\/32$/, '$1').replace(/^([-~?]?ip6:[^/]+)\/128$/, '$1');
}

function checkMechanismArg(mechanism: string): SpfMechanism {
  const parsed = parseSpf(`v=spf1 ${mechanism}`);
  const t = parsed.ok && parsed.terms.length === 1 ? parsed.terms[0] : undefined;
  if (!t || t.kind === 'modifier' || t.kind === 'all') {
    throw new MailroomError(
      'VALIDATION',
      `"${mechanism}" is not a single SPF term to add (such as include:mailgun.org or ip4:203.0.113.5).`,
    );
  }
  return t;
}

function recordTokens(existing: string, notes: string[]): { tokens: string[]; quoted: boolean } {
  let text = existing.trim();
  let quoted = false;
  const unquoted = stripQuotes(text);
  if (unquoted !== null) {
    text = unquoted;
    quoted = true;
    notes.push('Removed the quote marks around the record: they are not part of the value.');
  }
  if (!SPF_VERSION.test(text)) {
    throw new MailroomError('VALIDATION', `"${existing}" is not an SPF record (it must start with v=spf1).`);
  }
  return { tokens: text.slice(6).split(' ').filter(Boolean), quoted };
}

/** An existing ip4:/ip6: pass term that already covers the address of `m`. */
function coveringRange(tokens: string[], m: SpfMechanism): string | null {
  if (m.kind !== 'ip4' && m.kind !== 'ip6') return null;
  const want = parseIp(m.address) as Ip;
  for (const t of tokens) {
    const p = parseTerm(t);
    if ('error' in p || p.kind !== m.kind || p.qualifier !== '+' || p.prefix > m.prefix) continue;
    if (inRange(want, parseIp(p.address) as Ip, p.prefix)) return t;
  }
  return null;
}

function mergeTokens(tokens: string[], mechanism: string | null, notes: string[]): boolean {
  let changed = false;
  if (mechanism !== null) {
    const m = checkMechanismArg(mechanism);
    const key = mechanismKey(mechanism);
    const bare = key.replace(/^[-~?]/, '');
    const same = tokens.findIndex((t) => mechanismKey(t).replace(/^[-~?]/, '') === bare);
    // "include=mailgun.org" is an (ignored) unknown modifier: what was meant is the mechanism.
    const typo = tokens.findIndex((t) => t.toLowerCase() === bare.replace(':', '='));
    const firstAll = tokens.findIndex((t) => ALL_TERM.test(t));
    // Receivers stop reading at "all": a range written after it covers nothing.
    const covered = coveringRange(firstAll === -1 ? tokens : tokens.slice(0, firstAll), m);
    /** Repairs the term at `at` in place, then moves it in front of "all" if it was behind. */
    const repair = (at: number) => {
      if (firstAll === -1 || at < firstAll) return;
      tokens.splice(at, 1);
      tokens.splice(firstAll, 0, mechanism);
      notes.push(
        `Moved ${mechanism} in front of ${tokens[firstAll + 1]}: receivers stop reading at "all", so nothing after it counts.`,
      );
      changed = true;
    };
    if (same !== -1) {
      const existing = tokens[same] as string;
      if (mechanismKey(existing) !== key) {
        tokens[same] = mechanism;
        changed = true;
        notes.push(`Changed ${existing} to ${mechanism}: the sign in front made it refuse instead of allow.`);
      }
      repair(same);
    } else if (covered) {
      notes.push(`${mechanism} is already covered by ${covered}.`);
    } else if (typo !== -1) {
      notes.push(`Changed ${tokens[typo]} to ${mechanism}: written with "=", receivers ignore it.`);
      tokens[typo] = mechanism;
      changed = true;
      repair(typo);
    } else {
      // Before the first "all" (terms after it are never read), else after the last
      // mechanism, so modifiers such as redirect= stay at the end.
      const allAt = tokens.findIndex((t) => ALL_TERM.test(t));
      let at = allAt;
      if (at === -1) {
        at = 0;
        tokens.forEach((t, i) => {
          if (isMechanismToken(t)) at = i + 1;
        });
      }
      tokens.splice(at, 0, mechanism);
      changed = true;
    }
  }

  const allAt = tokens.findIndex((t) => ALL_TERM.test(t));
  const hasRedirect = tokens.some((t) => /^redirect=/i.test(t));
  if (allAt !== -1) {
    const q = (ALL_TERM.exec(tokens[allAt] as string) as RegExpExecArray)[1];
    if (q === '' || q === '+') {
      notes.push(
        `Changed ${tokens[allAt]} to ~all: ${tokens[allAt]} lets any server in the world send mail as your domain.`,
      );
      tokens[allAt] = '~all';
      changed = true;
    } else if (q === '?') {
      notes.push('Changed ?all to ~all: ?all tells receivers nothing about servers that are not listed.');
      tokens[allAt] = '~all';
      changed = true;
    }
  } else if (!hasRedirect) {
    // After the last mechanism, before modifiers such as exp=.
    let at = 0;
    tokens.forEach((t, i) => {
      if (isMechanismToken(t)) at = i + 1;
    });
    tokens.splice(at, 0, '~all');
    changed = true;
    notes.push(
      'Added ~all at the end: without it, receivers have no advice about mail from servers that are not listed.',
    );
  }
  return changed;
}

/**
 * Adds `mechanism` (include:mailgun.org, ip4:203.0.113.5, …) to an existing SPF record,
 * keeping every term already there: before the "all" (or at the end of the mechanisms
 * when there is none), never twice (case-insensitive; an ip4:/ip6: range that already
 * covers the address counts). The person's -all or ~all stays; +all, ?all or no all at
 * all become ~all, with a note (a redirect= without all is left alone: "all" would turn
 * it off). No existing record gives "v=spf1 <mechanism> ~all". Null mechanism: only the
 * "all" is tidied.
 */
export function mergeSpf(existing: string | null, mechanism: string | null): SpfMerge {
  const notes: string[] = [];
  if (existing === null || existing.trim() === '') {
    if (mechanism === null) {
      throw new MailroomError(
        'VALIDATION',
        'There is no record and nothing to add, so there is no SPF record to make.',
      );
    }
    checkMechanismArg(mechanism);
    return { record: `v=spf1 ${mechanism} ~all`, changed: true, notes };
  }
  const { tokens, quoted } = recordTokens(existing, notes);
  const changed = mergeTokens(tokens, mechanism, notes) || quoted;
  return { record: ['v=spf1', ...tokens].join(' '), changed, notes };
}

export type SpfRecordsMerge = ({ ok: true } & SpfMerge) | { ok: false; reason: string };

/**
 * Merges several SPF records into one (two records is a permanent error: receivers ignore
 * both), then adds `mechanism` as mergeSpf does. Terms are united in order, duplicates
 * dropped. When the records disagree on "all", the milder ~all wins (a note says so). A
 * redirect= next to other records' terms becomes include: (a record with mechanisms and
 * redirect= would ignore the redirect once it has an "all"). Refuses, with a sentence,
 * when the records contradict each other: two different redirects, or one allowing what
 * another refuses.
 */
export function mergeSpfRecords(records: string[], mechanism: string | null): SpfRecordsMerge {
  if (records.length === 0) return { ok: true, ...mergeSpf(null, mechanism) };
  if (records.length === 1) return { ok: true, ...mergeSpf(records[0] as string, mechanism) };
  const notes: string[] = [];
  const mechs: string[] = [];
  const alls: string[] = [];
  const redirects: string[] = [];
  const exps: string[] = [];
  const others: string[] = [];
  const seen = new Map<string, string>();
  for (const r of records) {
    const { tokens } = recordTokens(r, []);
    for (const t of tokens) {
      if (ALL_TERM.test(t)) alls.push(t);
      else if (/^redirect=/i.test(t)) {
        if (!redirects.some((x) => x.toLowerCase() === t.toLowerCase())) redirects.push(t);
      } else if (/^exp=/i.test(t)) {
        if (!exps.some((x) => x.toLowerCase() === t.toLowerCase())) exps.push(t);
      } else if (MODIFIER_TERM.test(t)) {
        if (!others.some((x) => x.toLowerCase() === t.toLowerCase())) others.push(t);
      } else {
        const key = mechanismKey(t);
        const bare = key.replace(/^[-~?]/, '');
        const earlier = seen.get(bare);
        if (earlier !== undefined && earlier !== key) {
          return {
            ok: false,
            reason: `The SPF records disagree about ${bare}: one has "${earlier}" and another "${key}". Decide which is right, then keep a single record.`,
          };
        }
        if (earlier === undefined) {
          seen.set(bare, key);
          mechs.push(t);
        }
      }
    }
  }
  if (records.some((r) => stripQuotes(r.trim()) !== null)) {
    notes.push('Removed the quote marks around a record: they are not part of the value.');
  }
  if (redirects.length > 1) {
    return {
      ok: false,
      reason: `The SPF records hand over to different domains (${redirects.join(' and ')}); one record can only hand over to one. Ask whoever set them up which one is right.`,
    };
  }
  if (exps.length > 1) notes.push(`Kept ${exps[0]} and dropped ${exps.slice(1).join(', ')}: only one is allowed.`);

  const tokens = [...mechs];
  const redirect = redirects[0];
  if (redirect && (mechs.length > 0 || alls.length > 0)) {
    const target = redirect.slice(redirect.indexOf('=') + 1);
    if (!tokens.some((t) => mechanismKey(t) === `include:${target.toLowerCase()}`)) tokens.push(`include:${target}`);
    notes.push(`${redirect} became include:${target}, so that one record can hold the other records' terms too.`);
  } else if (redirect) {
    tokens.push(redirect);
  }
  const quals = new Set(alls.map((a) => (ALL_TERM.exec(a) as RegExpExecArray)[1] || '+'));
  if (quals.size > 0) {
    if (quals.size === 1) tokens.push(alls[0] as string);
    else if ([...quals].every((q) => q === '-' || q === '~')) {
      tokens.push('~all');
      notes.push('The records ended differently (-all and ~all); the merged record uses the milder ~all.');
    } else tokens.push('+all'); // mergeTokens turns it into ~all with its note
  }
  if (exps[0]) tokens.push(exps[0]);
  tokens.push(...others);
  mergeTokens(tokens, mechanism, notes);
  notes.unshift(`Merged ${records.length} SPF records into one.`);
  return { ok: true, record: ['v=spf1', ...tokens].join(' '), changed: true, notes };
}
