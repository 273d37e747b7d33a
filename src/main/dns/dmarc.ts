import type { DnsCheck } from '../../shared/domain/dns.ts';
import type { DnsClient } from './dns-client.ts';
import { failedCheck } from './status.ts';
import { clip, parseTagList, readTxt } from './txt.ts';

// DMARC (RFC 7489): the record at _dmarc.<domain> that tells receivers what to do with
// mail that claims to be from the domain but fails both SPF and DKIM alignment.

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

const POLICIES = new Set(['none', 'quarantine', 'reject']);

export function parseDmarc(text: string): { ok: true; record: DmarcRecord } | { ok: false; error: string } {
  const list = parseTagList(text);
  if (!list.ok) return { ok: false, error: list.error };
  // DMARC tag names are compared without regard to case in practice; values too.
  const tags = new Map([...list.tags].map(([k, v]) => [k.toLowerCase(), v]));
  if (list.order[0]?.toLowerCase() !== 'v' || tags.get('v') !== 'DMARC1') {
    return { ok: false, error: 'it must start with v=DMARC1' };
  }
  const p = tags.get('p')?.toLowerCase();
  if (p === undefined) return { ok: false, error: 'it has no policy (p=none, p=quarantine or p=reject)' };
  if (!POLICIES.has(p)) return { ok: false, error: `p=${clip(p, 20)} is not a policy; use none, quarantine or reject` };
  const sp = tags.get('sp')?.toLowerCase() ?? null;
  if (sp !== null && !POLICIES.has(sp)) return { ok: false, error: `sp=${clip(sp, 20)} is not a policy` };
  const mode = (name: string): 'r' | 's' | string => (tags.get(name) ?? 'r').toLowerCase();
  const adkim = mode('adkim');
  const aspf = mode('aspf');
  if (adkim !== 'r' && adkim !== 's') return { ok: false, error: `adkim=${clip(adkim, 20)} must be r or s` };
  if (aspf !== 'r' && aspf !== 's') return { ok: false, error: `aspf=${clip(aspf, 20)} must be r or s` };
  const pctText = tags.get('pct') ?? '100';
  const pct = /^\d{1,3}$/.test(pctText) ? Number(pctText) : Number.NaN;
  if (!(pct >= 0 && pct <= 100)) return { ok: false, error: `pct=${clip(pctText, 20)} must be a number from 0 to 100` };
  const uris = (name: string): string[] | string => {
    const raw = tags.get(name);
    if (raw === undefined || raw === '') return [];
    const list = raw.split(',').map((u) => u.trim());
    for (const u of list) {
      // mailto:address, optionally followed by !size (RFC 7489 §6.2).
      if (!/^mailto:[^@\s,;!]+@[^@\s,;!]+\.[^@\s,;!]+(![0-9]+[kmgt]?)?$/i.test(u)) {
        return `${name}=${clip(u, 40)} is not a mailto: address (write it as mailto:reports@example.com)`;
      }
    }
    return list.map((u) => u.replace(/!.*$/, '').slice('mailto:'.length));
  };
  const rua = uris('rua');
  if (typeof rua === 'string') return { ok: false, error: rua };
  const ruf = uris('ruf');
  if (typeof ruf === 'string') return { ok: false, error: ruf };
  return { ok: true, record: { p: p as DmarcPolicy, sp: sp as DmarcPolicy | null, adkim, aspf, pct, rua, ruf } };
}

/** The record to start with: monitor only, reports to the given address. */
export function defaultDmarc(reportAddress: string): string {
  return `v=DMARC1; p=none; rua=mailto:${reportAddress}`;
}

const POLICY_WORDS: Record<DmarcPolicy, string> = {
  none: 'receivers deliver mail that fails the checks as usual and only report it to you',
  quarantine: 'receivers put mail that fails the checks in the junk folder',
  reject: 'receivers refuse mail that fails the checks',
};

/** The record in plain words, one sentence per line. */
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
  const outside = [...r.rua, ...r.ruf].filter((a) => !sameOrSub(a.split('@')[1] ?? '', domain));
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

function sameOrSub(candidate: string, domain: string): boolean {
  const c = candidate.toLowerCase();
  return c === domain || c.endsWith(`.${domain}`) || domain.endsWith(`.${c}`);
}

export interface DmarcCheckOptions {
  pending: boolean;
  /** Where reports should go if the person starts from nothing. */
  reportAddress: string;
}

export async function checkDmarc(domain: string, client: DnsClient, opts: DmarcCheckOptions): Promise<DnsCheck> {
  const name = `_dmarc.${domain}`;
  const suggested = defaultDmarc(opts.reportAddress);
  const add = `Add a TXT record named ${name} with the value: ${suggested}`;
  const answer = await client.txt(name);
  if (answer.kind === 'failed') return failedCheck('dmarc', `the DMARC record at ${name}`, answer);

  const records =
    answer.kind === 'found' ? answer.value.map(readTxt).filter((t) => /^\s*v\s*=\s*DMARC1/i.test(t.text)) : [];
  if (records.length === 0) {
    const parent = await organisationalPolicy(domain, client);
    if (parent) {
      return {
        record: 'dmarc',
        status: 'ok',
        message: `${domain} has no DMARC record of its own; the policy of ${parent.domain} covers it.`,
        fix: null,
        details: explainDmarc(parent.record, parent.domain),
      };
    }
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
  if (records.length > 1) {
    return {
      record: 'dmarc',
      status: 'error',
      message: `${name} has ${records.length} DMARC records. Receivers then ignore all of them, as if you had none.`,
      fix: `Keep just one TXT record at ${name}; if unsure, use: ${suggested}`,
      details: [],
    };
  }
  const found = records[0] as { text: string; quoted: boolean };
  if (found.quoted) {
    return {
      record: 'dmarc',
      status: 'error',
      message: `The DMARC record at ${name} contains quote marks ("), which receivers read as part of the record.`,
      fix: `Edit the record and remove the quote marks, so the value reads: ${found.text}`,
      details: [],
    };
  }
  const parsed = parseDmarc(found.text);
  if (!parsed.ok) {
    return {
      record: 'dmarc',
      status: 'error',
      message: `The DMARC record at ${name} cannot be used: ${parsed.error}. Receivers ignore a broken record, as if you had none.`,
      fix: `Replace its value with: ${suggested}`,
      details: [`Found: ${clip(found.text, 200)}`],
    };
  }
  const r = parsed.record;
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

/**
 * RFC 7489 §6.6.3: without a record of its own, a subdomain is covered by its
 * organisational domain's record. We walk up to the two-label parent; finding the
 * true organisational domain needs the Public Suffix List, and a _dmarc record on a
 * public suffix (co.uk) does not exist, so the walk gives the same answer in practice.
 */
async function organisationalPolicy(
  domain: string,
  client: DnsClient,
): Promise<{ domain: string; record: DmarcRecord } | null> {
  const labels = domain.split('.');
  for (let i = 1; labels.length - i >= 2; i++) {
    const parent = labels.slice(i).join('.');
    const answer = await client.txt(`_dmarc.${parent}`);
    if (answer.kind !== 'found') continue;
    const texts = answer.value.map(readTxt).filter((t) => /^\s*v\s*=\s*DMARC1/i.test(t.text));
    if (texts.length !== 1) continue;
    const parsed = parseDmarc((texts[0] as { text: string }).text);
    if (parsed.ok) return { domain: parent, record: { ...parsed.record, p: parsed.record.sp ?? parsed.record.p } };
  }
  return null;
}
