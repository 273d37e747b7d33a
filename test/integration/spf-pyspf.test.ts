import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient, type DnsClient } from '../../src/main/dns/dns-client.ts';
import { checkHost, checkSpf, countSpfLookups, type SpfResult } from '../../src/main/dns/spf.ts';
import type { SendingRoute } from '../../src/shared/domain/dns.ts';
import { type DnsServer, type DnsZone, startDnsServer } from '../helpers/dns-server.ts';

// checkHost against pyspf (python3-spf 2.0.14, the reference implementation many mail
// servers use), both asking the same authoritative DNS server on loopback. For every
// fixture domain and a matrix of client IPs (inside and outside each range, IPv4 and
// IPv6) the two must give the same result. Then checkSpf's verdicts for the wizard.

/** The 32 nibbles of an IPv6 address, reversed and dotted (as %{ir} expands it). */
function reversedNibbles(ip: string): string {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups
    .map((g) => g.padStart(4, '0'))
    .join('')
    .split('')
    .reverse()
    .join('.');
}

const hosts = (prefix: string, n: number, v4: (i: number) => string, v6: (i: number) => string): DnsZone =>
  Object.fromEntries(
    Array.from({ length: n }, (_, k) => [`${prefix}${k + 1}.eleven.test`, { A: [v4(k + 1)], AAAA: [v6(k + 1)] }]),
  );

const ZONE: DnsZone = {
  // Providers the routes add (what include:mailgun.org / include:sendgrid.net lead to).
  'mailgun.org': { TXT: ['v=spf1 include:_spf.mailgun.org ~all'] },
  '_spf.mailgun.org': { TXT: ['v=spf1 ip4:203.0.113.0/26 ~all'] },
  'sendgrid.net': { TXT: ['v=spf1 ip4:203.0.113.128/25 ~all'] },

  // A correct record with nested includes and a non-SPF TXT record next to it.
  'good.test': {
    TXT: [
      'google-site-verification=abc123',
      'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 include:_spf.provider.test include:mailgun.org -all',
    ],
  },
  '_spf.provider.test': { TXT: ['v=spf1 ip4:198.51.100.0/25 include:_spf2.provider.test ~all'] },
  '_spf2.provider.test': { TXT: ['v=spf1 ip4:198.51.100.200 ip6:2001:db8:c::/64 -all'] },

  // Two SPF records: permerror.
  'two.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 -all', 'v=spf1 include:mailgun.org ~all'] },
  // The provider is named but can never pass: after "all", with a qualifier, or nested so.
  'afterall.test': { TXT: ['v=spf1 -all include:mailgun.org'] },
  'afterall-plus.test': { TXT: ['v=spf1 a ~all +include:mailgun.org'] },
  'afterall-neutral.test': { TXT: ['v=spf1 -all ?include:mailgun.org'] },
  'minus.test': { TXT: ['v=spf1 -include:mailgun.org ~all'] },
  'nested-neutral.test': { TXT: ['v=spf1 include:wrap.test ~all'] },
  'wrap.test': { TXT: ['v=spf1 ?include:mailgun.org -all'] },

  // 11 lookups through nested includes: 2 includes + 4 a/mx in n1 + 5 a in n2.
  'eleven.test': {
    TXT: ['v=spf1 include:n1.eleven.test include:n2.eleven.test -all'],
    MX: [{ exchange: 'mx.eleven.test', priority: 10 }],
  },
  'n1.eleven.test': {
    TXT: ['v=spf1 a:h1.eleven.test a:h2.eleven.test a:h3.eleven.test mx:eleven.test ~all'],
  },
  'n2.eleven.test': {
    TXT: [
      'v=spf1 a:h4.eleven.test a:h5.eleven.test a:h6.eleven.test a:h7.eleven.test a:h8.eleven.test ip4:192.0.2.99 ~all',
    ],
  },
  'mx.eleven.test': { A: ['192.0.2.30'], AAAA: ['2001:db8:e::30'] },
  ...hosts(
    'h',
    8,
    (i) => `192.0.2.${10 + i}`,
    (i) => `2001:db8:e::${i}`,
  ),

  // A redirect; a redirect to a domain without SPF; a redirect ignored because of "all".
  'redirect.test': {
    TXT: ['v=spf1 mx redirect=_spf.redirect.test'],
    MX: [{ exchange: 'mx.redirect.test', priority: 5 }],
  },
  'mx.redirect.test': { A: ['192.0.2.40'] },
  '_spf.redirect.test': { TXT: ['v=spf1 ip4:192.0.2.128/25 ip6:2001:db8:2::/64 -all'] },
  'redirnone.test': { TXT: ['v=spf1 redirect=nospf.test'] },
  'redirall.test': { TXT: ['v=spf1 ip4:192.0.2.1 ?all redirect=_spf.redirect.test'] },

  // a and mx with CIDR lengths (IPv4 and IPv6).
  'amx.test': {
    TXT: ['v=spf1 a/24 mx/28//64 -all'],
    A: ['192.0.2.50'],
    AAAA: ['2001:db8:3::1'],
    MX: [{ exchange: 'mx1.amx.test', priority: 10 }],
  },
  'mx1.amx.test': { A: ['198.51.100.17'], AAAA: ['2001:db8:4::1'] },
  'acidr.test': { TXT: ['v=spf1 a:web.acidr.test/30//120 -all'] },
  'web.acidr.test': { A: ['192.0.2.101'], AAAA: ['2001:db8:5::101'] },

  // exists with macros: %{ir} %{v} %{l} %{d}, and %{d2} %{L} %{i} %{o1r}.
  'exists.test': { TXT: ['v=spf1 exists:%{ir}.%{v}.%{l}._spf.%{d} -all'] },
  '5.2.0.192.in-addr.postmaster._spf.exists.test': { A: ['127.0.0.2'] },
  [`${reversedNibbles('2001:db8::5')}.ip6.postmaster._spf.exists.test`]: { A: ['127.0.0.2'] },
  'exists2.test': { TXT: ['v=spf1 exists:%{d2}.%{L}.%{i}.%{o1r}.chk.exists.test -all'] },
  'exists2.test.postmaster.192.0.2.7.exists2.chk.exists.test': { A: ['127.0.0.2'] },
  'sub.macro.test': { TXT: ['v=spf1 a:%{d2} -all'] },
  'macro.test': { A: ['192.0.2.33'] },

  // The "all" variants.
  'plusall.test': { TXT: ['v=spf1 ip4:192.0.2.1 +all'] },
  'minusall.test': { TXT: ['v=spf1 -all'] },
  'qall.test': { TXT: ['v=spf1 ip4:192.0.2.1 ?all'] },
  'noall.test': { TXT: ['v=spf1 ip4:192.0.2.1'] },
  'upper.test': { TXT: ['V=SPF1 IP4:192.0.2.1 -ALL'] },

  // Includes of domains without SPF, with a -all record, with two records, in a loop.
  'noinc.test': { TXT: ['v=spf1 ip4:192.0.2.1 include:nospf.test -all'] },
  'nospf.test': { TXT: ['hello world'] },
  'nxinc.test': { TXT: ['v=spf1 include:missing.test -all'] },
  'incmap.test': { TXT: ['v=spf1 include:deny.test ip4:192.0.2.0/24 ~all'] },
  'deny.test': { TXT: ['v=spf1 -all'] },
  'incmulti.test': { TXT: ['v=spf1 ip4:192.0.2.1 include:two.test -all'] },
  'loop.test': { TXT: ['v=spf1 include:loop2.test -all'] },
  'loop2.test': { TXT: ['v=spf1 include:loop.test -all'] },

  // Void lookups: three names that do not exist (permerror), two (allowed), and an mx
  // whose three hosts have no addresses.
  'void.test': { TXT: ['v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test ip4:192.0.2.1 -all'] },
  'void2.test': { TXT: ['v=spf1 a:n1.void.test mx:n2.void.test ip4:192.0.2.1 -all'] },
  'voidmx.test': {
    TXT: ['v=spf1 mx ip4:192.0.2.1 -all'],
    MX: [
      { exchange: 'm1.voidmx.test', priority: 10 },
      { exchange: 'm2.voidmx.test', priority: 20 },
      { exchange: 'm3.voidmx.test', priority: 30 },
    ],
  },
  'manymx.test': {
    TXT: ['v=spf1 mx -all'],
    MX: Array.from({ length: 11 }, (_, i) => ({ exchange: 'mx.manymx.test', priority: i })),
  },
  'mx.manymx.test': { A: ['192.0.2.60'] },

  // One record split into several character-strings.
  'split.test': { TXT: [['v=spf1 ip4:192.0.2.0/24 ', 'ip6:2001:db8:9::/48 ', '-all']] },

  // ptr: validated names only.
  'ptr.test': { TXT: ['v=spf1 ptr -all'] },
  '9.2.0.192.in-addr.arpa': { PTR: ['mail.ptr.test'] },
  'mail.ptr.test': { A: ['192.0.2.9'] },
  '10.2.0.192.in-addr.arpa': { PTR: ['evil.other.test'] },
  'evil.other.test': { A: ['192.0.2.10'] },
  '11.2.0.192.in-addr.arpa': { PTR: ['fake.ptr.test'] },
  'fake.ptr.test': { A: ['192.0.2.99'] },

  // Quotes pasted into the value; syntax errors.
  'quoted.test': { TXT: ['"v=spf1 ip4:192.0.2.1 -all"'] },
  'bad.test': { TXT: ['v=spf1 ip4:192.0.2.1 ip4:192.0.2.300 -all'] },
  'bad2.test': { TXT: ['v=spf1 ip4:192.0.2.1 foo -all'] },

  // The domain itself: NXDOMAIN, SERVFAIL, no answer; includes that fail.
  'nx.test': { behaviour: 'nxdomain' },
  'servfail.test': { behaviour: 'servfail' },
  'slow.test': { behaviour: 'timeout' },
  'servinc.test': { TXT: ['v=spf1 ip4:192.0.2.1 include:broken.test -all'] },
  'broken.test': { behaviour: 'servfail' },
  'slowinc.test': { TXT: ['v=spf1 ip4:192.0.2.1 include:slow.test -all'] },

  // Where pyspf departs from RFC 7208 (see PYSPF_DIFFERS).
  'dupmod.test': { TXT: ['v=spf1 foo=1 foo=2 ip4:192.0.2.1 -all'] },
  'redir10.test': {
    TXT: [
      `v=spf1 ${Array.from({ length: 10 }, (_, i) => `a:r${i + 1}.redir10.test`).join(' ')} redirect=_spf.redir10.test`,
    ],
  },
  '_spf.redir10.test': { TXT: ['v=spf1 -all'] },
  ...Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`r${i + 1}.redir10.test`, { A: [`192.0.2.${111 + i}`] }]),
  ),

  // 10 lookups exactly (warning), and a record where adding the route's include makes 11.
  'ten.test': {
    TXT: [
      'v=spf1 include:n1.eleven.test a:h4.eleven.test a:h5.eleven.test a:h6.eleven.test a:h7.eleven.test a:h8.eleven.test ~all',
    ],
  },
  'nine.test': {
    TXT: ['v=spf1 include:n1.eleven.test a:h4.eleven.test a:h5.eleven.test a:h6.eleven.test a:h7.eleven.test ~all'],
  },
};

const COMMON = ['192.0.2.1', '10.0.0.1', '2001:db8::1', '2001:db8:ffff::1'];

/**
 * Each fixture domain with the client IPs to try. COMMON is added unless `exact` (the
 * slow ones, where pyspf waits out its time budget per case, and the pyspf exceptions,
 * which should stay single cases).
 */
const FIXTURES: { domain: string; ips: string[]; slow?: boolean; exact?: boolean }[] = [
  {
    domain: 'good.test',
    ips: [
      '192.0.2.255',
      '192.0.3.0',
      '2001:db8:1:ffff::1',
      '2001:db8:2::1',
      '198.51.100.127',
      '198.51.100.128',
      '198.51.100.200',
      '2001:db8:c::5',
      '2001:db8:d::5',
      '203.0.113.63',
      '203.0.113.64',
      '::ffff:192.0.2.9',
      '::ffff:10.0.0.9',
    ],
  },
  { domain: 'two.test', ips: [] },
  { domain: 'afterall-plus.test', ips: ['203.0.113.5'] },
  { domain: 'afterall-neutral.test', ips: ['203.0.113.5'] },
  {
    domain: 'eleven.test',
    ips: ['192.0.2.11', '192.0.2.13', '192.0.2.30', '192.0.2.17', '192.0.2.18', '192.0.2.99', '2001:db8:e::1'],
  },
  { domain: 'redirect.test', ips: ['192.0.2.40', '192.0.2.200', '192.0.2.127', '2001:db8:2::9', '2001:db8:3::9'] },
  { domain: 'redirnone.test', ips: [] },
  { domain: 'redirall.test', ips: ['192.0.2.200'] },
  {
    domain: 'amx.test',
    ips: [
      '192.0.2.77',
      '192.0.3.1',
      '198.51.100.30',
      '198.51.100.32',
      '2001:db8:4::ffff',
      '2001:db8:4:1::1',
      '2001:db8:3::1',
      '2001:db8:3::2',
    ],
  },
  { domain: 'acidr.test', ips: ['192.0.2.100', '192.0.2.103', '192.0.2.104', '2001:db8:5::1ff', '2001:db8:5::200'] },
  { domain: 'exists.test', ips: ['192.0.2.5', '192.0.2.6', '2001:db8::5', '2001:db8::6'] },
  { domain: 'exists2.test', ips: ['192.0.2.7', '192.0.2.8'] },
  { domain: 'sub.macro.test', ips: ['192.0.2.33', '192.0.2.34'] },
  { domain: 'plusall.test', ips: [] },
  { domain: 'minusall.test', ips: [] },
  { domain: 'qall.test', ips: [] },
  { domain: 'noall.test', ips: [] },
  { domain: 'upper.test', ips: [] },
  { domain: 'noinc.test', ips: [] },
  { domain: 'nxinc.test', ips: [] },
  { domain: 'incmap.test', ips: [] },
  { domain: 'incmulti.test', ips: [] },
  { domain: 'loop.test', ips: [] },
  { domain: 'void.test', ips: [] },
  { domain: 'void2.test', ips: [] },
  { domain: 'voidmx.test', ips: [] },
  { domain: 'manymx.test', ips: ['192.0.2.60'] },
  { domain: 'split.test', ips: ['192.0.2.200', '192.0.3.1', '2001:db8:9:1::1'] },
  { domain: 'ptr.test', ips: ['192.0.2.9', '192.0.2.10', '192.0.2.11', '192.0.2.12'] },
  { domain: 'quoted.test', ips: [] },
  { domain: 'bad.test', ips: [] },
  { domain: 'bad2.test', ips: [] },
  { domain: 'nx.test', ips: [] },
  { domain: 'absent.test', ips: [] },
  { domain: 'nospf.test', ips: [] },
  { domain: 'servfail.test', ips: [] },
  { domain: 'servinc.test', ips: [] },
  { domain: 'dupmod.test', ips: ['192.0.2.1'], exact: true },
  { domain: 'redir10.test', ips: ['192.0.2.111', '192.0.2.120'] },
  // Never answered: pyspf waits out its whole time budget per case, so few IPs.
  { domain: 'slow.test', ips: ['192.0.2.1'], slow: true, exact: true },
  { domain: 'slowinc.test', ips: ['192.0.2.1', '10.0.0.1'], slow: true, exact: true },
];

/**
 * Cases where pyspf's answer is pyspf's own choice and not what RFC 7208 says; the test
 * asserts the RFC answer and that pyspf still says what is noted here (so a pyspf update
 * that changes it is noticed). Key: "domain ip".
 */
const PYSPF_DIFFERS: Record<string, { pyspf: SpfResult; rfc: SpfResult; why: string }> = {
  // RFC 7208 §6: "Unrecognized modifiers MUST be ignored no matter where, or how often,
  // they appear in a record." Only redirect= and exp= are limited to one each. pyspf
  // applies the at-most-once rule to every modifier ("foo= MUST appear at most once").
  'dupmod.test 192.0.2.1': {
    pyspf: 'permerror',
    rfc: 'pass',
    why: 'pyspf refuses a repeated unknown modifier',
  },
  // RFC 7208 §4.6.4 limits the lookup terms "during SPF evaluation", and §6.1 evaluates
  // redirect= only when no mechanism matched. pyspf counts the redirect when it reads the
  // record, before any mechanism, so a match on the 10th lookup becomes an 11th lookup
  // and a permerror. Matching earlier (192.0.2.111, the 1st lookup) agrees.
  'redir10.test 192.0.2.120': {
    pyspf: 'permerror',
    rfc: 'pass',
    why: 'pyspf counts an unused redirect= toward the 10-lookup limit',
  },
};

/** pyspf's check2 for each case, one python3 child per batch, all asking `server`. */
const PYSPF = `
import sys, json
import dns.resolver
import spf
port = int(sys.argv[1])
cases = json.load(sys.stdin)
r = dns.resolver.Resolver(configure=False)
r.nameservers = ['127.0.0.1']
r.port = port
dns.resolver.default_resolver = r
out = []
for c in cases:
    # querytime bounds the whole check (pyspf's default is 20 s per lookup).
    res, exp = spf.check2(i=c['ip'], s='postmaster@' + c['domain'], h=c['domain'], querytime=c['querytime'])
    out.append({'result': res, 'explanation': exp})
print(json.dumps(out))
`;

interface PyCase {
  ip: string;
  domain: string;
  querytime: number;
}

function pyspf(port: number, cases: PyCase[]): Promise<{ result: string; explanation: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', PYSPF, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`pyspf exited with ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
    child.stdin.end(JSON.stringify(cases));
  });
}

let server: DnsServer;
let client: DnsClient;

beforeAll(async () => {
  server = await startDnsServer(ZONE);
  // 'timeout' never answers: a short timeout and one try keep those cases quick.
  client = createDnsClient({ servers: [{ host: server.host, port: server.port }], timeoutMs: 300, tries: 1 });
});

afterAll(async () => {
  await server?.close();
});

describe('checkHost agrees with pyspf', () => {
  it.each(FIXTURES)('$domain', async ({ domain, ips, slow, exact }) => {
    const all = exact ? ips : [...new Set([...ips, ...COMMON])];
    const expected = await pyspf(
      server.port,
      all.map((ip) => ({ ip, domain, querytime: slow ? 2 : 10 })),
    );
    const rows: string[] = [];
    for (const [i, ip] of all.entries()) {
      const ours = await checkHost(ip, domain, `postmaster@${domain}`, client);
      const theirs = (expected[i] as { result: string; explanation: string }).result;
      const differs = PYSPF_DIFFERS[`${domain} ${ip}`];
      if (differs) {
        expect(theirs, `${domain} ${ip}: pyspf changed (${differs.why})`).toBe(differs.pyspf);
        expect(ours.result, `${domain} ${ip}: ${ours.reason}`).toBe(differs.rfc);
      } else if (ours.result !== theirs) {
        rows.push(`${ip}: ours ${ours.result} (${ours.reason}), pyspf ${theirs} (${expected[i]?.explanation})`);
      }
    }
    expect(rows).toEqual([]);
  });

  it('gives the results RFC 7208 calls for (spot checks, independent of pyspf)', async () => {
    const r = async (ip: string, domain: string) =>
      (await checkHost(ip, domain, `postmaster@${domain}`, client)).result;
    expect(await r('192.0.2.9', 'good.test')).toBe('pass');
    expect(await r('2001:db8:c::5', 'good.test')).toBe('pass'); // two includes deep
    expect(await r('203.0.113.5', 'good.test')).toBe('pass'); // through include:mailgun.org
    expect(await r('198.51.100.128', 'good.test')).toBe('fail');
    expect(await r('::ffff:192.0.2.9', 'good.test')).toBe('pass'); // IPv4-mapped = IPv4
    expect(await r('192.0.2.1', 'two.test')).toBe('permerror');
    expect(await r('192.0.2.11', 'eleven.test')).toBe('pass'); // matched before the limit
    expect(await r('192.0.2.17', 'eleven.test')).toBe('pass'); // the 10th lookup
    expect(await r('192.0.2.18', 'eleven.test')).toBe('permerror'); // the 11th
    expect(await r('192.0.2.200', 'redirect.test')).toBe('pass');
    expect(await r('192.0.2.200', 'redirall.test')).toBe('neutral'); // redirect ignored
    expect(await r('192.0.2.1', 'redirnone.test')).toBe('permerror');
    expect(await r('198.51.100.30', 'amx.test')).toBe('pass');
    expect(await r('2001:db8:4:1::1', 'amx.test')).toBe('fail');
    expect(await r('192.0.2.5', 'exists.test')).toBe('pass');
    expect(await r('2001:db8::5', 'exists.test')).toBe('pass');
    expect(await r('192.0.2.7', 'exists2.test')).toBe('pass');
    expect(await r('192.0.2.33', 'sub.macro.test')).toBe('pass');
    expect(await r('10.0.0.1', 'plusall.test')).toBe('pass');
    expect(await r('10.0.0.1', 'qall.test')).toBe('neutral');
    expect(await r('10.0.0.1', 'noall.test')).toBe('neutral');
    expect(await r('192.0.2.1', 'upper.test')).toBe('pass');
    expect(await r('192.0.2.1', 'noinc.test')).toBe('pass'); // before the broken include
    expect(await r('10.0.0.1', 'noinc.test')).toBe('permerror');
    expect(await r('10.0.0.1', 'incmap.test')).toBe('softfail');
    expect(await r('192.0.2.1', 'void.test')).toBe('permerror');
    expect(await r('192.0.2.1', 'void2.test')).toBe('pass');
    expect(await r('192.0.2.1', 'voidmx.test')).toBe('permerror');
    expect(await r('192.0.2.60', 'manymx.test')).toBe('permerror');
    expect(await r('192.0.2.9', 'ptr.test')).toBe('pass');
    expect(await r('192.0.2.10', 'ptr.test')).toBe('fail');
    expect(await r('192.0.2.1', 'quoted.test')).toBe('none');
    expect(await r('192.0.2.1', 'bad.test')).toBe('permerror');
    expect(await r('192.0.2.1', 'nx.test')).toBe('none');
    expect(await r('192.0.2.1', 'servfail.test')).toBe('temperror');
    expect(await r('10.0.0.1', 'servinc.test')).toBe('temperror');
    expect(await r('10.0.0.1', 'slowinc.test')).toBe('temperror');
  });

  it('explains its verdicts', async () => {
    const over = await checkHost('192.0.2.99', 'eleven.test', 'postmaster@eleven.test', client);
    expect(over.reason).toMatch(/more than 10 DNS lookups/);
    expect(over.lookups).toBe(11);
    const pass = await checkHost('192.0.2.9', 'good.test', 'postmaster@good.test', client);
    expect(pass.reason).toBe('192.0.2.9 matched ip4:192.0.2.0/24 in the SPF record of good.test');
    const voids = await checkHost('192.0.2.1', 'void.test', 'postmaster@void.test', client);
    expect(voids.voidLookups).toBe(3);
    expect(voids.reason).toMatch(/n3\.void\.test/);
  });
});

describe('countSpfLookups', () => {
  it('counts the whole include tree with a breakdown', async () => {
    const c = await countSpfLookups(ZONE['good.test']?.TXT?.[1] as string, 'good.test', client);
    expect(c.lookups).toBe(4);
    expect(c.overLimit).toBe(false);
    expect(c.complete).toBe(true);
    expect(c.includes.map((u) => [u.term, u.lookups])).toEqual([
      ['include:_spf.provider.test', 2],
      ['include:mailgun.org', 2],
    ]);
    expect(c.domains.sort()).toEqual(['_spf.mailgun.org', '_spf.provider.test', '_spf2.provider.test', 'mailgun.org']);
  });

  it('counts past the limit, then stops asking', async () => {
    const c = await countSpfLookups(ZONE['eleven.test']?.TXT?.[0] as string, 'eleven.test', client);
    expect(c.lookups).toBe(11);
    expect(c.overLimit).toBe(true);
    expect(c.includes.map((u) => [u.term, u.lookups])).toEqual([
      ['include:n1.eleven.test', 5],
      ['include:n2.eleven.test', 6],
    ]);
  });

  it('reports void lookups, missing records, failures and loops', async () => {
    const v = await countSpfLookups('v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test -all', 'void.test', client);
    expect(v.voidLookups).toBe(3);
    expect(v.voidTerms).toEqual(['a:n1.void.test', 'a:n2.void.test', 'a:n3.void.test']);
    const mx = await countSpfLookups('v=spf1 mx -all', 'voidmx.test', client);
    expect(mx.voidLookups).toBe(3);
    const missing = await countSpfLookups('v=spf1 include:nospf.test include:missing.test -all', 'x.test', client);
    expect(missing.problems.map((p) => p.kind)).toEqual(['no-record', 'no-domain']);
    const failed = await countSpfLookups('v=spf1 include:broken.test -all', 'x.test', client);
    expect(failed.problems).toMatchObject([{ kind: 'dns-failed', code: 'ESERVFAIL' }]);
    expect(failed.complete).toBe(false);
    const loop = await countSpfLookups('v=spf1 include:loop2.test -all', 'loop.test', client);
    expect(loop.problems).toMatchObject([{ kind: 'loop', domain: 'loop.test' }]);
    const macro = await countSpfLookups('v=spf1 include:%{ir}.x.test exists:%{i}.y.test -all', 'x.test', client);
    expect(macro.lookups).toBe(2);
    expect(macro.problems).toMatchObject([{ kind: 'macro' }]);
  });
});

describe('checkSpf verdicts', () => {
  const mailgun: SendingRoute = { kind: 'smarthost', preset: 'mailgun', host: 'smtp.mailgun.org' };
  const sendgrid: SendingRoute = { kind: 'smarthost', preset: 'sendgrid', host: 'smtp.sendgrid.net' };
  const postmark: SendingRoute = { kind: 'smarthost', preset: 'postmark', host: 'smtp.postmarkapp.com' };
  const other: SendingRoute = { kind: 'smarthost', preset: null, host: 'smtp.example.net' };
  const direct = (ip: string | null): SendingRoute => ({ kind: 'direct', ip });
  const check = (domain: string, route: SendingRoute, pending = false) => checkSpf(domain, route, client, { pending });

  it('ok: the provider is included', async () => {
    const { check: c, wanted } = await check('good.test', mailgun);
    expect(c).toMatchObject({ record: 'spf', status: 'ok', fix: null });
    expect(c.message).toBe('SPF is set up: it lets Mailgun send for good.test (4 of 10 DNS lookups used).');
    expect(c.details.join('\n')).toMatch(/include:mailgun\.org uses 2 lookups/);
    expect(wanted).toBeNull();
  });

  it('ok: the provider is found deeper in the include tree', async () => {
    const { check: c } = await check('good.test', mailgun);
    expect(c.status).toBe('ok');
    const deep = await check('redirect.test', direct('192.0.2.200'));
    expect(deep.check.status).toBe('ok');
    expect(deep.check.message).toMatch(/this computer \(192\.0\.2\.200\)/);
  });

  it('error: the provider is missing; the fix is the merged record', async () => {
    const { check: c, wanted } = await check('good.test', sendgrid);
    expect(c.status).toBe('error');
    const merged =
      'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 include:_spf.provider.test include:mailgun.org include:sendgrid.net -all';
    expect(wanted).toBe(merged);
    expect(c.fix).toContain(merged);
    expect(c.message).toMatch(/does not let SendGrid send/);
  });

  it('error: the provider is named but can never pass (after all, -include:, nested ?include:), as check_host says', async () => {
    for (const domain of ['afterall.test', 'minus.test', 'nested-neutral.test']) {
      expect(await checkHost('203.0.113.5', domain, `postmaster@${domain}`, client), domain).not.toMatchObject({
        result: 'pass',
      });
      const { check: c } = await check(domain, mailgun);
      expect(c.status, domain).toBe('error');
      expect(c.message, domain).toMatch(domain === 'afterall.test' ? /after -all/ : /does not let Mailgun send/);
    }
    // After "all": the fix moves "all" to the end, and that record passes.
    const { check: c, wanted } = await check('afterall.test', mailgun);
    expect(wanted).toBe('v=spf1 include:mailgun.org -all');
    expect(c.fix).toContain('v=spf1 include:mailgun.org -all');
    // Just after the repaired record was shown, the old one may still be what DNS gives.
    const soon = (await check('afterall.test', mailgun, true)).check;
    expect(soon.status).toBe('pending');
    expect(soon.message).toMatch(/after -all.*If you have just corrected it/);
  });

  it('error: the provider after "all" with a sign in front (+include, ?include); the fix moves it in front and pyspf passes it', async () => {
    const cases = [
      ['afterall-plus.test', '~all', 'v=spf1 a include:mailgun.org ~all'],
      ['afterall-neutral.test', '-all', 'v=spf1 include:mailgun.org -all'],
    ] as const;
    for (const [domain, all, fixed] of cases) {
      const { check: c, wanted } = await check(domain, mailgun);
      expect(c.status, domain).toBe('error');
      expect(c.message, domain).toMatch(new RegExp(`lists include:mailgun\\.org after ${all.replace('~', '\\~')}`));
      expect(wanted, domain).toBe(fixed);
      expect(c.fix, domain).toContain(fixed);
    }
    // The records as the fixes have them, read by pyspf: Mailgun's address passes.
    server.setZone({ ...ZONE, ...Object.fromEntries(cases.map(([d, , fixed]) => [d, { TXT: [fixed] }])) });
    try {
      const got = await pyspf(
        server.port,
        cases.map(([domain]) => ({ ip: '203.0.113.5', domain, querytime: 5 })),
      );
      expect(got.map((g) => g.result)).toEqual(['pass', 'pass']);
    } finally {
      server.setZone(ZONE);
    }
  });

  it('pending: the record was just shown and is not visible yet', async () => {
    expect((await check('good.test', sendgrid, true)).check.status).toBe('pending');
    const none = await check('nospf.test', mailgun, true);
    expect(none.check.status).toBe('pending');
    expect(none.check.fix).toContain('v=spf1 include:mailgun.org ~all');
  });

  it('direct: checks the IP with checkHost', async () => {
    expect((await check('good.test', direct('192.0.2.7'))).check.status).toBe('ok');
    const out = await check('good.test', direct('10.1.1.1'));
    expect(out.check.status).toBe('error');
    expect(out.wanted).toBe(
      'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 include:_spf.provider.test include:mailgun.org ip4:10.1.1.1 -all',
    );
    expect(out.check.fix).toContain(out.wanted as string);
    const six = await check('amx.test', direct('2001:db8:4::99'));
    expect(six.check.status).toBe('ok');
    const unknown = await check('good.test', direct(null));
    expect(unknown.check.status).toBe('warning');
    expect(unknown.check.message).toMatch(/public IP address/);
    expect(unknown.wanted).toBeNull();
  });

  it('redirect: the new term goes before redirect=, no all is added', async () => {
    const out = await check('redirect.test', direct('10.1.1.1'));
    expect(out.check.status).toBe('error');
    expect(out.wanted).toBe('v=spf1 mx ip4:10.1.1.1 redirect=_spf.redirect.test');
  });

  it('error: no SPF record; the fix is a whole new record', async () => {
    const out = await check('nospf.test', mailgun);
    expect(out.check.status).toBe('error');
    expect(out.wanted).toBe('v=spf1 include:mailgun.org ~all');
    expect(out.check.fix).toContain('v=spf1 include:mailgun.org ~all');
    expect(out.check.details.join('\n')).toMatch(/2 of 10 DNS lookups/);
    const unknown = await check('nospf.test', other);
    expect(unknown.check.status).toBe('error');
    expect(unknown.wanted).toBeNull();
    expect(unknown.check.message).toMatch(/smtp\.example\.net/);
  });

  it('postmark needs nothing in SPF; "other" providers are unknown', async () => {
    expect((await check('nospf.test', postmark)).check.status).toBe('ok');
    expect((await check('good.test', postmark)).check.status).toBe('ok');
    const o = await check('good.test', other);
    expect(o.check.status).toBe('warning');
    expect(o.check.message).toMatch(/does not know which SPF entry/);
  });

  it('error: two SPF records; the fix is one merged record', async () => {
    const out = await check('two.test', mailgun);
    expect(out.check.status).toBe('error');
    expect(out.check.message).toMatch(/Two SPF records is a permanent error: receivers ignore both/);
    expect(out.wanted).toBe('v=spf1 ip4:192.0.2.0/24 include:mailgun.org ~all');
    expect(out.check.fix).toContain(out.wanted as string);
    expect(out.check.fix).toMatch(/delete the other record that starts with v=spf1/);
  });

  it('error: over 10 lookups, with the count and the biggest includes', async () => {
    const out = await check('eleven.test', direct('192.0.2.11'));
    expect(out.check.status).toBe('error');
    expect(out.check.message).toMatch(/needs 11 DNS lookups/);
    expect(out.check.fix).toMatch(/include:n2\.eleven\.test uses 6, include:n1\.eleven\.test uses 5/);
    expect(out.wanted).toBeNull();
  });

  it('error: adding the provider would go over 10; warning at exactly 10; ok at 9', async () => {
    const over = await check('ten.test', mailgun);
    expect(over.check.status).toBe('error');
    expect(over.check.message).toMatch(/Adding Mailgun .* would need 12 DNS lookups/);
    // The advice names the record's own biggest includes, not the provider being added.
    expect(over.check.fix).toMatch(/\(include:n1\.eleven\.test uses 5 lookups\)/);
    const ten = await check('ten.test', direct('192.0.2.14'));
    expect(ten.check.status).toBe('warning');
    expect(ten.check.message).toMatch(/all 10 DNS lookups/);
    const nine = await check('nine.test', direct('192.0.2.14'));
    expect(nine.check.status).toBe('ok');
    expect(nine.check.message).toMatch(/9 of 10/);
  });

  it('error: syntax, naming the term', async () => {
    const out = await check('bad.test', direct('192.0.2.1'));
    expect(out.check.status).toBe('error');
    expect(out.check.message).toMatch(/ip4:192\.0\.2\.300/);
    expect(out.check.fix).toContain('v=spf1 ip4:192.0.2.1 -all');
  });

  it('error: quotes pasted into the value', async () => {
    const out = await check('quoted.test', direct('192.0.2.1'));
    expect(out.check.status).toBe('error');
    expect(out.check.fix).toMatch(/remove the quote characters/);
    expect(out.check.fix).toContain('v=spf1 ip4:192.0.2.1 -all');
    expect(out.wanted).toBe('v=spf1 ip4:192.0.2.1 -all');
  });

  it('warnings: +all, ?all, no all; the fix ends with ~all', async () => {
    const plus = await check('plusall.test', direct('192.0.2.1'));
    expect(plus.check.status).toBe('warning');
    expect(plus.check.message).toMatch(/any server in the world/);
    expect(plus.wanted).toBe('v=spf1 ip4:192.0.2.1 ~all');
    const q = await check('qall.test', direct('192.0.2.1'));
    expect(q.check.status).toBe('warning');
    expect(q.wanted).toBe('v=spf1 ip4:192.0.2.1 ~all');
    const none = await check('noall.test', direct('192.0.2.1'));
    expect(none.check.status).toBe('warning');
    expect(none.wanted).toBe('v=spf1 ip4:192.0.2.1 ~all');
  });

  it('-all is kept when adding', async () => {
    const out = await check('minusall.test', mailgun);
    expect(out.check.status).toBe('error');
    expect(out.wanted).toBe('v=spf1 include:mailgun.org -all');
  });

  it('error: includes without SPF, void lookups, too many MX names', async () => {
    const noinc = await check('noinc.test', direct('192.0.2.1'));
    expect(noinc.check.status).toBe('error');
    expect(noinc.check.message).toMatch(/include:nospf\.test .* no SPF record/);
    expect(noinc.wanted).toBe('v=spf1 ip4:192.0.2.1 -all'); // the broken include removed
    expect(noinc.check.fix).toContain('v=spf1 ip4:192.0.2.1 -all');
    const v = await check('void.test', direct('192.0.2.1'));
    expect(v.check.status).toBe('error');
    expect(v.check.message).toMatch(/3 names that do not exist/);
    const mx = await check('manymx.test', direct('192.0.2.60'));
    expect(mx.check.status).toBe('error');
    expect(mx.check.message).toMatch(/11 mail servers/);
  });

  it('ok: a record split into several strings, a/mx with CIDR, exists with a macro', async () => {
    expect((await check('split.test', direct('2001:db8:9::1'))).check.status).toBe('ok');
    expect((await check('amx.test', direct('198.51.100.20'))).check.status).toBe('ok');
    expect((await check('exists.test', direct('192.0.2.5'))).check.status).toBe('ok');
  });

  it('DNS: NXDOMAIN is an error, SERVFAIL an error, a timeout a warning', async () => {
    const nx = await check('nx.test', mailgun);
    expect(nx.check.status).toBe('error');
    expect(nx.check.message).toMatch(/does not exist in DNS/);
    const sf = await check('servfail.test', mailgun);
    expect(sf.check.status).toBe('error');
    expect(sf.check.message).toMatch(/SERVFAIL/);
    const slow = await check('slow.test', mailgun);
    expect(slow.check.status).toBe('warning');
    expect(slow.check.message).toMatch(/did not answer in time/);
    const inc = await check('servinc.test', direct('192.0.2.1'));
    expect(inc.check.status).toBe('error');
    expect(inc.check.message).toMatch(/include:broken\.test .*SERVFAIL/);
    const slowInc = await check('slowinc.test', direct('192.0.2.1'));
    expect(slowInc.check.status).toBe('warning');
    expect(slowInc.check.message).toMatch(/Try again/);
  });
});
