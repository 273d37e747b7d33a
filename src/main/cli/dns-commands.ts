import net from 'node:net';
import {
  DNS_RECORD_NAMES,
  type DnsCheck,
  PROVIDER_SELECTOR_WORDS,
  type ProviderDkim,
  providerAliasAdvice,
  type RecordToCreate,
} from '../../shared/domain/dns.ts';
import { parseDnsServers } from '../../shared/domain/settings.ts';
import type { DnsCheckOptions } from '../dns/dns-service.ts';
import type { Engine } from '../engine/engine.ts';
import type { CliOptions } from './main.ts';
import { type Out, print, usage } from './output.ts';

export async function dns(
  engine: Engine,
  out: Out,
  sub: string | undefined,
  rest: string[],
  opts: CliOptions,
): Promise<number> {
  if (sub === 'status' && rest.length === 0) {
    // What the dashboard shows, from the last check of each domain (no DNS questions asked).
    const domains = engine.dns.readiness();
    print(
      out,
      domains,
      domains.length === 0
        ? 'No sending domain yet: add one with `mailroom domains add DOMAIN`.'
        : domains.map((d) => `${d.state.padEnd(9)}  ${d.summary}`).join('\n'),
    );
    return 0;
  }
  const domain = rest[0];
  if ((sub !== 'check' && sub !== 'records') || rest.length !== 1 || !domain) {
    usage(
      'Use: mailroom dns check DOMAIN [--dns-server HOST:PORT] [--ip ADDR], mailroom dns records DOMAIN, or mailroom dns status',
    );
  }
  const options = checkOptions(opts);
  if (sub === 'check') {
    const result = await engine.dns.check(domain, options);
    print(
      out,
      { domain: result.domain, checks: result.checks, unanswered: result.unanswered },
      [
        `DNS checks for ${result.domain}:`,
        ...result.checks.map(checkText),
        ...(result.unanswered > 0
          ? [
              `${result.unanswered} DNS ${result.unanswered === 1 ? 'question' : 'questions'} got no answer, so these results are not certain. Check again in a minute.`,
            ]
          : []),
      ].join('\n\n'),
    );
    // 1: something needs fixing, or could not be checked; a script must not read silence as "all set".
    return result.checks.some((c) => c.status === 'error') || result.unanswered > 0 ? 1 : 0;
  }
  const { plan } = await engine.dns.plan(domain, options);
  // The person now has the records: until they appear, missing ones are "pending", not errors.
  engine.dns.saveProgress(plan.domain, { recordsShown: true });
  print(
    out,
    plan,
    [
      `Records for ${plan.domain}${plan.zone ? ` (zone ${plan.zone})` : ''}:`,
      ...plan.records.map(recordText),
      ...(plan.providerDkim ? [providerDkimText(plan.providerDkim)] : []),
    ].join('\n\n'),
  );
  return 0;
}

function checkOptions(opts: CliOptions): DnsCheckOptions {
  const options: DnsCheckOptions = {};
  if (opts['dns-server'] !== undefined) {
    const servers = parseDnsServers(opts['dns-server']);
    if (typeof servers === 'string') usage(`--dns-server: ${servers}`);
    if (servers.length === 0) usage('--dns-server needs an address, for example 127.0.0.1:5353.');
    options.servers = servers;
  }
  if (opts.ip !== undefined) {
    if (!net.isIP(opts.ip)) usage(`--ip "${opts.ip}" is not an IP address; give the public address mail leaves from.`);
    options.ip = opts.ip;
  }
  if (opts['dns-timeout'] !== undefined) {
    const ms = Number(opts['dns-timeout']);
    if (!Number.isInteger(ms) || ms < 50 || ms > 60_000)
      usage('--dns-timeout is a whole number of milliseconds from 50 to 60000.');
    options.timeoutMs = ms;
  }
  return options;
}

function checkText(c: DnsCheck): string {
  const name = DNS_RECORD_NAMES[c.record];
  const lines = [`${name.charAt(0).toUpperCase()}${name.slice(1)}: ${c.status.toUpperCase()} — ${c.message}`];
  for (const d of c.details) lines.push(`  · ${d}`);
  if (c.fix) lines.push(`  Fix: ${c.fix}`);
  return lines.join('\n');
}

function recordText(r: RecordToCreate): string {
  const what = { add: 'Add', change: 'Change the existing record', done: 'Already right' }[r.state];
  const lines = [
    `${r.purpose.toUpperCase()} — ${what}`,
    `  Type: ${r.type}   Host: ${r.host}   Full name: ${r.name}   TTL: ${r.ttl}`,
  ];
  lines.push(`  Value: ${r.value}`);
  if (r.strings.length > 1) lines.push(`  Split for panels that need it: ${r.strings.map((s) => `"${s}"`).join(' ')}`);
  if (r.state === 'change' && r.current) lines.push(`  Now published: ${r.current.replace(/\n/g, ' | ')}`);
  return lines.join('\n');
}

/** The provider's own DKIM records: what to do, and which of its fixed names answer already. */
function providerDkimText(p: ProviderDkim): string {
  const seen = p.selectors.map(
    (s) => `  ${s.name}: ${PROVIDER_SELECTOR_WORDS[s.state]}${s.alias ? ` (alias for ${s.alias})` : ''}`,
  );
  const advice = p.selectors.some((s) => s.state === 'alias') ? [providerAliasAdvice(p.provider)] : [];
  return [p.text, ...seen, ...advice].join('\n');
}
