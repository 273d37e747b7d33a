import { promises as dns } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMxResolver, type Destination } from '../../src/main/delivery/mx-resolver.ts';
import { type DnsServer, type DnsZone, startDnsServer } from '../helpers/dns-server.ts';

// A 2048-bit DKIM public key is ~400 base64 characters: split into ≤ 255-byte strings.
const DKIM_KEY = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.padEnd(392, 'x7Q+');
const DKIM = [`v=DKIM1; k=rsa; p=${DKIM_KEY.slice(0, 200)}`, DKIM_KEY.slice(200)];

const zone: DnsZone = {
  'ordered.test': {
    MX: [
      { exchange: 'backup.ordered.test', priority: 30 },
      { exchange: 'mx1.ordered.test', priority: 10 },
      { exchange: 'mx2.ordered.test', priority: 10 },
    ],
  },
  'mx1.ordered.test': { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] },
  'mx2.ordered.test': { A: ['192.0.2.2'] },
  'backup.ordered.test': { AAAA: ['2001:db8::3'] },

  'implicit.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'], TXT: ['v=spf1 -all'] },
  'nothing.test': { TXT: ['just text'] },
  'nullmx.test': { MX: [{ exchange: '.', priority: 0 }], A: ['192.0.2.20'] },
  'broken.test': { behaviour: 'servfail' },
  'refused.test': { behaviour: 'refused' },
  'slow.test': { behaviour: 'timeout' },

  'skip.test': {
    MX: [
      { exchange: 'gone.skip.test', priority: 5 },
      { exchange: 'bare.skip.test', priority: 10 },
      { exchange: 'ok.skip.test', priority: 20 },
    ],
  },
  'bare.skip.test': { TXT: ['no addresses here'] },
  'ok.skip.test': { A: ['192.0.2.30'] },

  'noaddr.test': { MX: [{ exchange: 'bare.noaddr.test', priority: 10 }] },
  'bare.noaddr.test': { TXT: ['still no addresses'] },
  'flaky.test': { MX: [{ exchange: 'down.flaky.test', priority: 10 }] },
  'down.flaky.test': { behaviour: 'servfail' },

  'alias.test': { MX: [{ exchange: 'mail.alias.test', priority: 10 }] },
  'mail.alias.test': { CNAME: 'real.alias.test' },
  'real.alias.test': { A: ['192.0.2.40'] },

  'xn--bcher-kva.test': { MX: [{ exchange: 'mx.xn--bcher-kva.test', priority: 10 }] },
  'mx.xn--bcher-kva.test': { A: ['192.0.2.50'] },

  'wizard.test': {
    TXT: [['v=spf1 ', 'include:_spf.example.net ', '-all'], 'google-site-verification=abc'],
    NS: ['ns1.wizard.test', 'ns2.wizard.test'],
  },
  'sel._domainkey.wizard.test': { TXT: [DKIM] },
  'big.wizard.test': { TXT: Array.from({ length: 4 }, (_, i) => `${'k'.repeat(200)}-${i}`) },
  '50.2.0.192.in-addr.arpa': { PTR: ['mx.xn--bcher-kva.test'] },
};

let server: DnsServer;
beforeAll(async () => {
  server = await startDnsServer(zone);
});
afterAll(async () => {
  await server.close();
});

function resolver(extra: { timeoutMs?: number; tries?: number; random?: () => number } = {}) {
  return createMxResolver({ servers: [{ host: server.host, port: server.port }], timeoutMs: 2000, ...extra });
}

function hostsOf(d: Destination) {
  expect(d.kind).toBe('hosts');
  return d.kind === 'hosts' ? d : { hosts: [], implicit: undefined };
}

describe('mx resolver', () => {
  it('orders MX hosts by priority, shuffling equal priorities, IPv4 addresses first', async () => {
    // random() decides the order within a priority: ascending ties keep listing order, descending swap it.
    let up = 0;
    let down = 1;
    const first = hostsOf(await resolver({ random: () => (up += 0.1) }).resolve('ordered.test'));
    const second = hostsOf(await resolver({ random: () => (down -= 0.1) }).resolve('ordered.test'));
    expect(first.implicit).toBe(false);
    expect(first.hosts).toEqual([
      { name: 'mx1.ordered.test', priority: 10, addresses: ['192.0.2.1', '2001:db8::1'] },
      { name: 'mx2.ordered.test', priority: 10, addresses: ['192.0.2.2'] },
      { name: 'backup.ordered.test', priority: 30, addresses: ['2001:db8::3'] },
    ]);
    expect(second.hosts.map((h) => h.name)).toEqual(['mx2.ordered.test', 'mx1.ordered.test', 'backup.ordered.test']);
  });

  it('uses the domain itself as an implicit MX when it has no MX but has addresses', async () => {
    const d = hostsOf(await resolver().resolve('Implicit.Test.'));
    expect(d.implicit).toBe(true);
    expect(d.hosts).toEqual([{ name: 'implicit.test', priority: 0, addresses: ['192.0.2.10', '2001:db8::10'] }]);
  });

  it('bounces a domain with neither MX nor A/AAAA', async () => {
    const d = await resolver().resolve('nothing.test');
    expect(d).toEqual({ kind: 'bounce', reason: expect.stringMatching(/nothing\.test has no mail server/) });
  });

  it('bounces a null MX domain (RFC 7505) without falling back to its A record', async () => {
    const d = await resolver().resolve('nullmx.test');
    expect(d).toEqual({
      kind: 'bounce',
      reason: expect.stringMatching(/nullmx\.test does not accept mail \(null MX\)/),
    });
  });

  it('bounces a domain that does not exist', async () => {
    const d = await resolver().resolve('missing.test');
    expect(d).toEqual({ kind: 'bounce', reason: expect.stringMatching(/missing\.test does not exist/) });
  });

  it('defers on SERVFAIL and REFUSED', async () => {
    const r = resolver({ tries: 1 });
    expect(await r.resolve('broken.test')).toEqual({
      kind: 'defer',
      reason: expect.stringMatching(/broken\.test.*SERVFAIL.*try again later/),
    });
    expect(await r.resolve('refused.test')).toEqual({
      kind: 'defer',
      reason: expect.stringMatching(/refused\.test.*refused/),
    });
  });

  it('defers when the DNS server never answers', async () => {
    const d = await resolver({ timeoutMs: 300, tries: 1 }).resolve('slow.test');
    expect(d).toEqual({ kind: 'defer', reason: expect.stringMatching(/slow\.test.*did not answer in time/) });
  });

  it('skips MX hosts without addresses and never falls back to the domain', async () => {
    const d = hostsOf(await resolver().resolve('skip.test'));
    expect(d.hosts).toEqual([{ name: 'ok.skip.test', priority: 20, addresses: ['192.0.2.30'] }]);

    expect(await resolver().resolve('noaddr.test')).toEqual({
      kind: 'bounce',
      reason: expect.stringMatching(/noaddr\.test \(bare\.noaddr\.test\) have no addresses/),
    });
    // The only MX host's lookup fails temporarily: try later rather than bounce.
    expect(await resolver({ tries: 1 }).resolve('flaky.test')).toEqual({
      kind: 'defer',
      reason: expect.stringMatching(/flaky\.test.*SERVFAIL/),
    });
  });

  it('follows an MX host that is a CNAME to its addresses', async () => {
    const d = hostsOf(await resolver().resolve('alias.test'));
    expect(d.hosts).toEqual([{ name: 'mail.alias.test', priority: 10, addresses: ['192.0.2.40'] }]);
  });

  it('looks up an IDN domain by its ASCII form', async () => {
    server.queries.length = 0;
    const d = hostsOf(await resolver().resolve('bücher.test'));
    expect(d.hosts).toEqual([{ name: 'mx.xn--bcher-kva.test', priority: 10, addresses: ['192.0.2.50'] }]);
    expect(server.queries[0]).toMatchObject({ name: 'xn--bcher-kva.test', type: 'MX' });
    expect(await resolver().resolve('nope-bücher.test')).toEqual({
      kind: 'bounce',
      reason: expect.stringMatching(/nope-bücher\.test \(xn--nope-bcher-.*\.test\) does not exist/),
    });
  });

  it('bounces something that is not a domain name without asking DNS', async () => {
    server.queries.length = 0;
    expect((await resolver().resolve(`${'a'.repeat(64)}.test`)).kind).toBe('bounce');
    expect((await resolver().resolve('a..test')).kind).toBe('bounce');
    expect(server.queries).toEqual([]);
  });

  it('refuses a DNS server that is not an IP address and port', () => {
    expect(() => createMxResolver({ servers: [{ host: 'dns.example', port: 53 }] })).toThrow(
      expect.objectContaining({ code: 'ROUTE_CONFIG' }),
    );
  });
});

describe('dns test server', () => {
  function plain() {
    const r = new dns.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([server.address]);
    return r;
  }

  it('returns TXT records of several strings intact, and NS and PTR records', async () => {
    const r = plain();
    expect(await r.resolveTxt('wizard.test')).toEqual(
      expect.arrayContaining([['v=spf1 ', 'include:_spf.example.net ', '-all'], ['google-site-verification=abc']]),
    );
    expect((await r.resolveNs('wizard.test')).sort()).toEqual(['ns1.wizard.test', 'ns2.wizard.test']);
    expect(await r.reverse('192.0.2.50')).toEqual(['mx.xn--bcher-kva.test']);
  });

  it('truncates UDP answers over 512 bytes so the client gets them over TCP', async () => {
    server.queries.length = 0;
    const r = plain();
    const big = await r.resolveTxt('big.wizard.test');
    expect(big.map((rec) => rec.join('')).sort()).toEqual(
      Array.from({ length: 4 }, (_, i) => `${'k'.repeat(200)}-${i}`),
    );
    expect(await r.resolveTxt('sel._domainkey.wizard.test')).toEqual([DKIM]);
    expect(server.queries).toEqual([
      { name: 'big.wizard.test', type: 'TXT', transport: 'udp' },
      { name: 'big.wizard.test', type: 'TXT', transport: 'tcp' },
      { name: 'sel._domainkey.wizard.test', type: 'TXT', transport: 'udp' },
    ]);
  });

  it('rejects a TXT string over 255 bytes as a test bug, and serves a new zone after setZone', async () => {
    expect(() => server.setZone({ 'x.test': { TXT: ['x'.repeat(256)] } })).toThrow(/256 bytes/);
    const other = await startDnsServer({ 'a.test': { A: ['192.0.2.1'] } });
    try {
      const r = new dns.Resolver({ timeout: 2000, tries: 1 });
      r.setServers([other.address]);
      expect(await r.resolve4('a.test')).toEqual(['192.0.2.1']);
      other.setZone({ 'a.test': { A: ['192.0.2.2'] } });
      expect(await r.resolve4('A.TEST')).toEqual(['192.0.2.2']);
      await expect(r.resolve4('b.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      await expect(r.resolveMx('a.test')).rejects.toMatchObject({ code: 'ENODATA' });
    } finally {
      await other.close();
    }
  });
});
