import { domainToASCII } from 'node:url';
import { getDomain, getPublicSuffix } from 'tldts';
import type { DnsClient } from './dns-client.ts';

/**
 * The DNS zone a domain lives in: the nearest name, from the domain upwards, that has
 * NS records (news.example.com usually lives in the example.com zone). DNS panels name
 * records relative to the zone, and the name servers tell us who hosts it.
 */
export async function findZone(
  domain: string,
  client: DnsClient,
): Promise<{ zone: string; nameServers: string[] } | null> {
  const labels = domain.split('.');
  // Stop before the public suffix (com, co.uk, xn--p1ai): a registry's name servers say
  // nothing about the person's DNS host, and a misspelt shop.co.uk must not be taken as
  // a new name inside the co.uk "zone".
  const suffix = getPublicSuffix(domain) ?? labels.at(-1) ?? '';
  for (let i = 0; i < labels.length; i++) {
    const name = labels.slice(i).join('.');
    if (name.length <= suffix.length) break;
    const ns = await client.ns(name);
    if (ns.kind === 'found') return { zone: name, nameServers: [...new Set(ns.value)].sort() };
    if (ns.kind === 'failed') return null;
  }
  return null;
}

/** The host field relative to the zone: '@' for the zone itself, else the labels in front of it. */
export function relativeHost(name: string, zone: string | null): string {
  if (!zone) return name;
  if (name === zone) return '@';
  return name.endsWith(`.${zone}`) ? name.slice(0, -(zone.length + 1)) : name;
}

/**
 * The Organizational Domain (RFC 7489 §3.2): the registrable name, one label below the
 * public suffix (shop.example for news.shop.example, shop.co.uk for mail.shop.co.uk).
 */
export function organisationalDomain(domain: string): string {
  const lower = domain.trim().toLowerCase().replace(/\.$/, '');
  const ascii = domainToASCII(lower) || lower;
  return getDomain(ascii) ?? ascii;
}
