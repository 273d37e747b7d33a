import { domainToASCII } from 'node:url';
import { getPublicSuffix } from 'tldts';
import { MailroomError } from '../../shared/errors.ts';
import { ChangeWatch } from '../db/change-watch.ts';
import type { Db } from '../db/connection.ts';

/**
 * The user's own sending domains. The relay accepts mail only from these, which is
 * what keeps it from being a relay for anybody else's name.
 */
export class DomainsService {
  // Prepared once: the relay asks for the list for every MAIL FROM and From: address.
  private readonly listStmt;
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly watch: ChangeWatch;
  private cached: string[] | null = null;

  constructor(db: Db) {
    this.watch = new ChangeWatch(db);
    this.listStmt = db.prepare('SELECT domain FROM sending_domains ORDER BY domain').pluck();
    this.insertStmt = db.prepare(
      'INSERT INTO sending_domains (domain, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
    );
    this.deleteStmt = db.prepare('DELETE FROM sending_domains WHERE domain = ?');
  }

  /** Cached: the relay asks twice per message; another process's change is seen at once. */
  list(): string[] {
    if (this.watch.changed() || !this.cached) {
      this.cached = (this.listStmt.all() as string[]).map((d) => d.toLowerCase());
    }
    return [...this.cached];
  }

  add(input: string): string {
    const domain = normaliseDomain(input);
    this.cached = null;
    if (this.insertStmt.run(domain, Date.now()).changes === 0) {
      throw new MailroomError('DOMAIN_EXISTS', `${domain} is already one of your sending domains.`);
    }
    return domain;
  }

  remove(input: string): string {
    const domain = toAsciiDomain(input) ?? input.trim().toLowerCase();
    this.cached = null;
    if (this.deleteStmt.run(domain).changes === 0) {
      throw new MailroomError(
        'DOMAIN_UNKNOWN',
        `${domain} is not one of your sending domains (${this.list().join(', ') || 'there are none yet'}).`,
      );
    }
    return domain;
  }
}

/** Lower-case ASCII (punycode) form of a domain, or null if it is not a usable host name. */
export function toAsciiDomain(input: string): string | null {
  const trimmed = input.trim().replace(/\.$/, '');
  if (!trimmed || trimmed.length > 253) return null;
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2) return null;
  const labelOk = (l: string) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l);
  if (!labels.every(labelOk)) return null;
  const tld = labels[labels.length - 1] ?? '';
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return null;
  return ascii;
}

export function normaliseDomain(input: string): string {
  const d = toAsciiDomain(input);
  if (!d) {
    throw new MailroomError(
      'DOMAIN_INVALID',
      `"${input}" is not a domain name Mailroom can send from. Give the part after the @ in your address, for example example.com.`,
    );
  }
  // co.uk or com.au is shared by everyone who registers a name under it (the Public Suffix List).
  if (getPublicSuffix(d) === d) {
    throw new MailroomError(
      'DOMAIN_INVALID',
      `${d} is a public suffix that anyone can register names under, not a domain of your own. Give your own domain, for example yourshop.${d}.`,
    );
  }
  return d;
}

/** The domain part of an address, as ASCII, or null. */
export function domainOfAddress(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return toAsciiDomain(address.slice(at + 1));
}
