import {
  DNS_RECORD_NAMES,
  type DnsCheckRecord,
  type DnsCheckStatus,
  type DomainCheck,
} from '../../../../shared/domain/dns.ts';

/** How each checked record reads in the wizard. */
export const RECORD_LABEL: Record<DnsCheckRecord, string> = {
  ...DNS_RECORD_NAMES,
  mx: 'MX (receiving replies)',
  ptr: 'Reverse DNS',
};

/** Green for ok, amber for "worth a look" and "waiting for DNS", red for "needs fixing". */
export const STATUS_STYLE: Record<DnsCheckStatus, { color: string; label: string; icon: string }> = {
  ok: { color: 'green', label: 'OK', icon: '✓' },
  warning: { color: 'yellow', label: 'Worth a look', icon: '!' },
  pending: { color: 'yellow', label: 'Waiting for DNS', icon: '…' },
  error: { color: 'red', label: 'Needs fixing', icon: '✕' },
};

/** One line over the whole check: "All set" only when every record is ok. */
export function checkSummary(check: DomainCheck): { color: string; text: string } {
  const count = (s: DnsCheckStatus) => check.checks.filter((c) => c.status === s).length;
  const errors = count('error');
  const pending = count('pending');
  const warnings = count('warning');
  if (errors === 0 && pending === 0 && warnings === 0) {
    return { color: 'green', text: `All set: ${check.domain} is ready to send.` };
  }
  // "1 record needs fixing, 2 are waiting for DNS.": the noun only once, on the first part.
  const parts: string[] = [];
  const part = (n: number, one: string, many: string) => {
    const noun = parts.length === 0 ? (n === 1 ? ' record' : ' records') : '';
    parts.push(`${n}${noun} ${n === 1 ? one : many}`);
  };
  if (errors > 0) part(errors, 'needs fixing', 'need fixing');
  if (pending > 0) part(pending, 'is waiting for DNS', 'are waiting for DNS');
  if (warnings > 0) part(warnings, 'is worth a look', 'are worth a look');
  return { color: errors > 0 ? 'red' : 'yellow', text: `${parts.join(', ')}.` };
}
