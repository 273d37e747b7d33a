// DNS wizard benchmark: how long does "Check now" take, and how many DNS questions does it ask?
//
//   node bench/dns.ts                 delays of 0, 20 and 50 ms per DNS answer, 7 runs each
//   node bench/dns.ts --runs 15 --delays 0,100
//   node bench/dns.ts --json
//
// A real DNS server on a loopback port serves a realistic zone: an SPF record that includes
// Google and Mailgun (nested includes, as published), a 2048-bit DKIM key split into two
// strings, DMARC, two MX hosts. The delay stands in for the round trip to a real resolver:
// what the person waits for is (round trips on the longest chain) × (delay), so the figure
// to watch is how the check grows with the delay, and the number of questions it asks.
//
// Target (ours; the issue names none): "Check now" answers in under 1 s at 50 ms per round trip.

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Engine } from '../src/main/engine/engine.ts';
import { silentLogger } from '../src/main/engine/log.ts';
import { type DnsZone, startDnsServer } from '../test/helpers/dns-server.ts';
import { tempDir } from '../test/helpers/engine.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    delays: { type: 'string', default: '0,20,50' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Number(opts.runs));
const DELAYS = opts.delays.split(',').map(Number);
const DOMAIN = 'bench-shop.example';

function split(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out;
}

function zoneFor(dkimName: string, dkimValue: string): DnsZone {
  return {
    [DOMAIN]: {
      NS: ['lara.ns.cloudflare.com', 'greg.ns.cloudflare.com'],
      MX: [
        { exchange: 'aspmx.l.google.example', priority: 1 },
        { exchange: 'alt1.aspmx.l.google.example', priority: 5 },
      ],
      TXT: ['google-site-verification=abc', 'v=spf1 include:_spf.google.com include:mailgun.org ~all'],
    },
    'aspmx.l.google.example': { A: ['127.0.9.1'], AAAA: ['::1'] },
    'alt1.aspmx.l.google.example': { A: ['127.0.9.2'] },
    '_spf.google.com': {
      TXT: ['v=spf1 include:_netblocks.google.com include:_netblocks2.google.com include:_netblocks3.google.com ~all'],
    },
    '_netblocks.google.com': { TXT: ['v=spf1 ip4:127.0.10.0/24 ip4:127.0.11.0/24 ~all'] },
    '_netblocks2.google.com': { TXT: ['v=spf1 ip6:2001:db8::/32 ~all'] },
    '_netblocks3.google.com': { TXT: ['v=spf1 ip4:127.0.12.0/24 ~all'] },
    'mailgun.org': { TXT: ['v=spf1 include:_spf.mailgun.org include:_spf.eu.mailgun.org ~all'] },
    '_spf.mailgun.org': { TXT: ['v=spf1 ip4:127.0.13.0/24 ~all'] },
    '_spf.eu.mailgun.org': { TXT: ['v=spf1 ip4:127.0.14.0/24 ~all'] },
    [dkimName]: { TXT: [split(dkimValue)] },
    [`_dmarc.${DOMAIN}`]: { TXT: [`v=DMARC1; p=quarantine; rua=mailto:dmarc@${DOMAIN}`] },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  const dir = tempDir('mailroom-bench-dns-');
  const dns = await startDnsServer({});
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  try {
    engine.domains.add(DOMAIN);
    engine.settings.setMany({
      'delivery.route': 'smarthost',
      'smarthost.preset': 'mailgun',
      'smarthost.host': 'smtp.mailgun.org',
      'delivery.dnsServers': dns.address,
    });
    const key = await engine.dkim.generate(DOMAIN);
    dns.setZone(zoneFor(key.name, key.value));
    const rows: { delayMs: number; check: number; plan: number; queries: number; planQueries: number }[] = [];
    for (const delayMs of DELAYS) {
      dns.setDelay(delayMs);
      const checks: number[] = [];
      const plans: number[] = [];
      let queries = 0;
      let planQueries = 0;
      for (let i = 0; i < RUNS; i++) {
        let before = dns.queries.length;
        let t = performance.now();
        const result = await engine.dns.check(DOMAIN);
        checks.push(performance.now() - t);
        queries = dns.queries.length - before;
        const bad = result.checks.filter((c) => c.status !== 'ok');
        if (bad.length > 0) throw new Error(`bench zone is not all green: ${JSON.stringify(bad)}`);
        before = dns.queries.length;
        t = performance.now();
        await engine.dns.plan(DOMAIN);
        plans.push(performance.now() - t);
        planQueries = dns.queries.length - before;
      }
      rows.push({ delayMs, check: median(checks), plan: median(plans), queries, planQueries });
    }
    if (opts.json) {
      console.log(JSON.stringify({ runs: RUNS, rows }, null, 2));
      return;
    }
    console.log(`DNS wizard: median of ${RUNS} runs per row (loopback DNS server, delay per answer)\n`);
    console.log('delay/answer   Check now   questions   plan (records + checks)   questions');
    for (const r of rows) {
      console.log(
        `${String(r.delayMs).padStart(8)} ms ${r.check.toFixed(1).padStart(9)} ms ${String(r.queries).padStart(11)} ${r.plan.toFixed(1).padStart(20)} ms ${String(r.planQueries).padStart(11)}`,
      );
    }
  } finally {
    await engine.close();
    await dns.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
