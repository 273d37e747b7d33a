import type { DnsCheck } from '../../shared/domain/dns.ts';
import type { DnsClient } from './dns-client.ts';
import { failedCheck } from './status.ts';

/**
 * MX: replies to a newsletter and bounce reports travel to the domain's MX hosts.
 * Some receivers also refuse mail from a domain that cannot receive any.
 */
export async function checkMx(domain: string, client: DnsClient): Promise<DnsCheck> {
  const answer = await client.mx(domain);
  if (answer.kind === 'failed') return failedCheck('mx', `the mail servers (MX) of ${domain}`, answer);
  if (answer.kind === 'nxdomain') {
    return {
      record: 'mx',
      status: 'error',
      message: `${domain} does not exist in DNS.`,
      fix: 'Check the spelling of the domain. If it is new, make sure it is registered and its DNS is switched on at your registrar.',
      details: [],
    };
  }
  const noInbox =
    'Replies to your mail and bounce reports cannot arrive, and some receivers refuse mail from a domain that cannot receive any.';
  const fixInbox =
    'Add the MX records your email provider (Google Workspace, Microsoft 365, your web host…) gives you for receiving mail at this domain.';
  if (answer.kind === 'nodata') {
    const a = await client.a(domain);
    const implicit =
      a.kind === 'found'
        ? ` Senders then try the domain's own address (${a.value[0]}), which rarely accepts mail.`
        : '';
    return {
      record: 'mx',
      status: 'warning',
      message: `${domain} has no MX record.${implicit} ${noInbox}`,
      fix: fixInbox,
      details: [],
    };
  }
  const real = answer.value.filter((r) => r.exchange !== '' && r.exchange !== '.');
  if (real.length === 0) {
    return {
      record: 'mx',
      status: 'warning',
      message: `${domain} says it receives no mail at all (a "null MX" record). ${noInbox}`,
      fix: `If you want replies, replace the null MX record with your email provider's MX records. ${fixInbox}`,
      details: [],
    };
  }
  real.sort((x, y) => x.priority - y.priority);
  const names = [...new Set(real.map((r) => r.exchange))];
  const reachable = await Promise.all(
    names.slice(0, 5).map(async (n) => {
      const [v4, v6] = await Promise.all([client.a(n), client.aaaa(n)]);
      return v4.kind === 'found' || v6.kind === 'found';
    }),
  );
  const list = names.slice(0, 5).join(', ');
  if (!reachable.some(Boolean)) {
    return {
      record: 'mx',
      status: 'warning',
      message: `${domain}'s mail servers (${list}) have no addresses in DNS, so replies and bounces cannot arrive.`,
      fix: 'Check the MX records for typos against what your email provider gives you.',
      details: [],
    };
  }
  return {
    record: 'mx',
    status: 'ok',
    message: `Replies and bounces can arrive: mail for ${domain} goes to ${list}.`,
    fix: null,
    details: [],
  };
}

// Names internet providers give to home and office lines; big mailbox providers
// refuse or junk mail sent straight from such addresses.
const RESIDENTIAL =
  /(^|[.-])(dyn(amic)?|dhcp|dsl|adsl|vdsl|cable|pool|ppp|dial(up)?|broadband|home|client|customer|cust|res(idential)?|user|static-ip)([.-]|\d|$)/i;

/**
 * Reverse DNS of the address mail leaves from, for sending straight from this computer:
 * the address must have a name (PTR), and that name must point back at the address.
 */
export async function checkPtr(ip: string | null, client: DnsClient, ehloName: string): Promise<DnsCheck> {
  const provider =
    'Most home and office internet connections cannot have this set up. Sending through a provider (Settings → Sending route) avoids the problem entirely.';
  if (ip === null) {
    return {
      record: 'ptr',
      status: 'warning',
      message:
        "Mailroom could not find out this computer's public internet address, so its reverse DNS was not checked.",
      fix: `Check again when this computer is online. ${provider}`,
      details: [],
    };
  }
  const answer = await client.ptr(ip);
  if (answer.kind === 'failed') return failedCheck('ptr', `the reverse DNS of ${ip}`, answer);
  if (answer.kind !== 'found') {
    return {
      record: 'ptr',
      status: 'error',
      message: `This computer's internet address ${ip} has no reverse DNS name. Gmail, Outlook and most others refuse or junk mail from such addresses; this is the usual reason sending straight from home or the office fails.`,
      fix: `Ask your internet provider to set a reverse DNS name for ${ip} (only possible with a fixed address, usually on business lines). ${provider}`,
      details: [],
    };
  }
  const name = answer.value[0] as string;
  const [v4, v6] = await Promise.all([client.a(name), client.aaaa(name)]);
  const back = [...(v4.kind === 'found' ? v4.value : []), ...(v6.kind === 'found' ? v6.value : [])];
  const details = [`Reverse DNS of ${ip}: ${name}.`];
  if (ehloName && ehloName.toLowerCase() !== name) {
    details.push(
      `Mailroom introduces itself as ${ehloName}; using ${name} instead (Settings → Sending route) matches best.`,
    );
  }
  if (!back.includes(ip)) {
    return {
      record: 'ptr',
      status: 'warning',
      message: `${ip} is named ${name}, but ${name} does not point back to ${ip}. Receivers check both directions and distrust mail when they disagree.`,
      fix: `Ask whoever runs ${name}'s DNS to give it an address record (A) of ${ip}, or your internet provider to change the reverse name. ${provider}`,
      details,
    };
  }
  if (RESIDENTIAL.test(name.split('.')[0] ?? '') || name.includes(ip.replace(/\./g, '-'))) {
    return {
      record: 'ptr',
      status: 'warning',
      message: `${ip} is named ${name}, which looks like a home or dynamic connection. Many receivers refuse mail sent straight from such addresses.`,
      fix: `Ask your internet provider for a fixed address with a reverse DNS name of your own, such as mail.yourdomain. ${provider}`,
      details,
    };
  }
  return {
    record: 'ptr',
    status: 'ok',
    message: `Reverse DNS is set up: ${ip} is named ${name}, and ${name} points back to it.`,
    fix: null,
    details,
  };
}
