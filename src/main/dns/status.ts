import type { DnsCheck, DnsCheckStatus } from '../../shared/domain/dns.ts';
import type { DnsAnswer } from './dns-client.ts';

// error beats pending (something is wrong), pending beats warning (wait and see), warning beats ok.
const RANK: Record<DnsCheckStatus, number> = { ok: 0, warning: 1, pending: 2, error: 3 };

export function worst(statuses: DnsCheckStatus[]): DnsCheckStatus {
  let out: DnsCheckStatus = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[out]) out = s;
  return out;
}

/**
 * No answer about the domain at all: a timeout, or the DNS server this computer asks
 * could not be reached or refused to ask on our behalf (REFUSED comes from that server,
 * not from the domain's own DNS, which a resolver would report as SERVFAIL).
 */
export function isUnanswered(code: string): boolean {
  return code === 'ETIMEOUT' || code === 'ECONNREFUSED' || code === 'EREFUSED';
}

/** Shared wording for "could not ask": a timeout may pass by itself, a SERVFAIL usually needs the DNS host. */
export function failedCheck(
  record: DnsCheck['record'],
  what: string,
  answer: Extract<DnsAnswer<unknown>, { kind: 'failed' }>,
  details: string[] = [],
): DnsCheck {
  if (isUnanswered(answer.code)) {
    return {
      record,
      status: 'warning',
      message: `Could not check ${what}: ${answer.text}.`,
      fix: 'Check again in a minute. If it keeps happening, check this computer’s internet connection and the DNS servers in its network settings.',
      details,
    };
  }
  return {
    record,
    status: 'error',
    message: `Could not check ${what}: ${answer.text}. Receivers will have the same trouble, and usually treat it as a failure.`,
    fix: 'This is a problem at your DNS host (often broken DNSSEC or a name server that was not set up). Ask your DNS host’s support to look at the domain, then check again.',
    details,
  };
}
