import type { DomainReadiness } from '../../../../shared/domain/dns.ts';

// Which domain the wizard is working on survives a reload and a restart of the window,
// so a person who was half-way through one domain comes back to it. Only a preference:
// when storage is unavailable the wizard picks the first domain that is not ready yet.

const KEY = 'mailroom.setup.domain';

export function rememberSetupDomain(domain: string): void {
  try {
    window.localStorage.setItem(KEY, domain);
  } catch {
    // Storage refused (private mode, quota): the default choice is good enough.
  }
}

function remembered(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** The remembered domain if it is still a sending domain, else the first that is not ready, else the first. */
export function defaultSetupDomain(domains: string[], readiness: DomainReadiness[]): string | null {
  const last = remembered();
  if (last && domains.includes(last)) return last;
  const notReady = readiness.find((r) => r.state !== 'ready' && domains.includes(r.domain));
  return notReady?.domain ?? domains[0] ?? null;
}
