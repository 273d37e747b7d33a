import net from 'node:net';
import { createDnsClient, type DnsClient } from './dns-client.ts';

// OpenDNS answers the name myip.opendns.com with the address the question came from:
// the address this computer's mail leaves from when it sends direct. A DNS question
// needs no web service and works wherever outgoing DNS does.
const WHOAMI_NAME = 'myip.opendns.com';
const OPENDNS = [
  { host: '208.67.222.222', port: 53 },
  { host: '208.67.220.220', port: 53 },
];

/**
 * The public IPv4 address of this computer, or null when it cannot be found out
 * (offline, DNS blocked). `client` replaces OpenDNS (tests, `--dns-server`).
 */
export async function findPublicIp(client: DnsClient | null): Promise<string | null> {
  const asker = client ?? createDnsClient({ servers: OPENDNS, timeoutMs: 2000, tries: 1 });
  const answer = await asker.a(WHOAMI_NAME);
  if (answer.kind !== 'found') return null;
  const ip = answer.value[0];
  return ip && net.isIPv4(ip) ? ip : null;
}
