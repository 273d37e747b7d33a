import { domainToUnicode } from 'node:url';
import {
  DNS_CHECK_RECORDS,
  DNS_RECORD_NAMES,
  type DnsCheck,
  type DomainCheck,
  type DomainReadiness,
  type WizardRoute,
} from '../../shared/domain/dns.ts';
import { presetById } from '../../shared/domain/presets.ts';
import { checkDkim, type OwnDkimKey } from './dkim-check.ts';
import { checkDmarc } from './dmarc.ts';
import { type DnsClient, emptyName, watchUnanswered } from './dns-client.ts';
import { checkMx, checkPtr } from './mx-ptr-check.ts';
import { checkSpf } from './spf.ts';
import { worst } from './status.ts';
import { findZone } from './zone.ts';

export interface DomainCheckInput {
  client: DnsClient;
  route: WizardRoute;
  /** The public address mail leaves from (direct route only). */
  ip: string | null;
  dkimKeys: OwnDkimKey[];
  /** Per record, the wizard showed it recently: absent, it is still propagating. */
  pending: { spf: boolean; dkim: boolean; dmarc: boolean };
  reportAddress: string;
  ehloName: string;
}

/**
 * Every check for one domain, in a fixed order (spf, dkim, dmarc, mx, then ptr for
 * direct sending), run concurrently. Also returns the SPF record to publish, which the
 * wizard shows as the record to create.
 */
export async function checkDomain(
  domain: string,
  input: DomainCheckInput,
): Promise<{ check: DomainCheck; spfWanted: string | null }> {
  const { route } = input;
  const watched = watchUnanswered(input.client);
  let client = watched.client;
  const records = DNS_CHECK_RECORDS.filter((r) => r !== 'ptr' || route.kind === 'direct');
  const probe = await client.txt(domain);
  // A new subdomain inside an existing zone (news.shop.example) simply has no records yet.
  const zone = probe.kind === 'nxdomain' ? await findZone(domain, client) : null;
  const parent = zone && zone.zone !== domain ? zone : null;
  if (parent) client = emptyName(client, domain);
  else if (probe.kind === 'nxdomain') {
    const checks = records.map(
      (record): DnsCheck => ({
        record,
        status: 'error',
        message: `${domain} does not exist in DNS, so no record can be found for it.`,
        fix: 'Check the spelling of the domain. If you registered it recently, make sure its DNS is switched on at your registrar, then check again.',
        details: [],
      }),
    );
    return { check: { domain, checkedAt: Date.now(), checks, unanswered: watched.unanswered() }, spfWanted: null };
  }
  const preset = route.kind === 'smarthost' && route.preset ? (presetById(route.preset) ?? null) : null;
  const sendingRoute =
    route.kind === 'direct'
      ? { kind: 'direct' as const, ip: input.ip }
      : { kind: 'smarthost' as const, preset: preset?.id ?? null, host: preset?.hosts[0]?.host ?? '' };
  const [spf, dkim, dmarc, mx, ptr] = await Promise.all([
    checkSpf(domain, sendingRoute, client, { pending: input.pending.spf }),
    checkDkim(domain, input.dkimKeys, client, { pending: input.pending.dkim }),
    checkDmarc(domain, client, { pending: input.pending.dmarc, reportAddress: input.reportAddress }),
    checkMx(domain, client),
    route.kind === 'direct' ? checkPtr(input.ip, client, input.ehloName) : null,
  ]);
  let checks = [spf.check, dkim, dmarc, mx, ...(ptr ? [ptr] : [])];
  if (parent) {
    // Say so once per record of the name that is not there, so a typo in the name is easy
    // to spot (reverse DNS is about this computer's address, not the name).
    const note = `Nothing at all is published at ${domain} yet: it is a new name inside ${parent.zone}. If you meant another name, check the spelling.`;
    checks = checks.map((c) => (c.status === 'ok' || c.record === 'ptr' ? c : { ...c, details: [note, ...c.details] }));
  }
  return { check: { domain, checkedAt: Date.now(), checks, unanswered: watched.unanswered() }, spfWanted: spf.wanted };
}

/** Errors need the person; pending needs time; warnings are worth knowing but do not block sending. */
export function readinessOf(domain: string, check: DomainCheck | null): DomainReadiness {
  const shown = domainToUnicode(domain);
  const unicode = shown && shown !== domain ? shown : null;
  // Sentences use the name people write (bücher.example, not xn--bcher-kva.example).
  const name = unicode ?? domain;
  if (!check) {
    return {
      domain,
      unicode,
      state: 'unchecked',
      failing: [],
      checkedAt: null,
      summary: `${name} has not been checked yet: open Domain setup to set up SPF, DKIM and DMARC.`,
    };
  }
  const failing = check.checks.filter((c) => c.status !== 'ok').map((c) => c.record);
  const state = worst(check.checks.map((c) => c.status));
  const names = (status: DnsCheck['status']) =>
    check.checks
      .filter((c) => c.status === status)
      .map((c) => DNS_RECORD_NAMES[c.record])
      .join(', ');
  if (state === 'error') {
    const errors = names('error');
    const verb = errors.includes(',') ? 'need' : 'needs';
    return {
      domain,
      unicode,
      state: 'attention',
      failing,
      checkedAt: check.checkedAt,
      summary: `${name}: ${errors} ${verb} fixing.`,
    };
  }
  if (state === 'pending') {
    return {
      domain,
      unicode,
      state: 'pending',
      failing,
      checkedAt: check.checkedAt,
      summary: `${name}: waiting for ${names('pending')} to appear in DNS.`,
    };
  }
  const warn = names('warning');
  return {
    domain,
    unicode,
    state: 'ready',
    failing,
    checkedAt: check.checkedAt,
    summary: `${name} is set up for sending${warn ? ` (worth a look: ${warn})` : ''}.`,
  };
}
