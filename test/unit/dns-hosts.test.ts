import { describe, expect, it } from 'vitest';
import {
  DNS_HOSTS,
  type DnsHost,
  detectDnsHost,
  dnsHostById,
  dnsHostSchema,
  dnsHostTableSchema,
  GENERIC_DNS_HOST_ID,
  hostFieldFor,
  nsPatternSchema,
  TXT_STRING_MAX,
  txtValueFor,
} from '../../src/shared/domain/dns-hosts.ts';
import { MailroomError } from '../../src/shared/errors.ts';

function host(id: string): DnsHost {
  const h = dnsHostById(id);
  if (!h) throw new Error(`no DNS host "${id}"`);
  return h;
}

/** Parses Route 53 style "…" "…" back into its strings (undoing \" and \\). */
function quotedStrings(s: string): string[] {
  expect(s).toMatch(/^"(?:[^"\\]|\\.)*"(?: "(?:[^"\\]|\\.)*")*$/);
  return [...s.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
}

// Real name servers seen on live domains, by host.
const REAL_NS: Record<string, string[]> = {
  cloudflare: ['lara.ns.cloudflare.com', 'greg.ns.cloudflare.com', 'damien.ns.cloudflare.com'],
  godaddy: ['ns57.domaincontrol.com', 'ns58.domaincontrol.com', 'pdns11.domaincontrol.com'],
  namecheap: ['dns1.registrar-servers.com', 'dns2.registrar-servers.com', 'pdns1.registrar-servers.com'],
  squarespace: [
    'nsa1.squarespacedns.com',
    'nsd4.squarespacedns.com',
    'ns01.squarespacedns.com',
    'ns-cloud-a1.googledomains.com',
    'ns-cloud-e4.googledomains.com',
  ],
  route53: ['ns-1234.awsdns-12.co.uk', 'ns-512.awsdns-00.net', 'ns-1536.awsdns-00.org', 'ns-95.awsdns-11.com'],
  ovhcloud: ['dns200.anycast.me', 'ns200.anycast.me', 'dns19.ovh.net', 'ns19.ovh.net', 'dns104.ovh.net', 'ns13.ovh.ca'],
  ionos: ['ns1045.ui-dns.de', 'ns1107.ui-dns.com', 'ns1023.ui-dns.org', 'ns1111.ui-dns.biz'],
  hostinger: ['ns1.dns-parking.com', 'ns2.dns-parking.com', 'lunar.dns-parking.com', 'hyperion.dns-parking.com'],
  wix: ['ns0.wixdns.net', 'ns9.wixdns.net', 'ns1.wix.com'],
};

describe('DNS host table', () => {
  it('has every host the wizard needs, with unique ids, and the fallback last', () => {
    const ids = DNS_HOSTS.map((h) => h.id);
    expect(ids).toEqual([
      'cloudflare',
      'godaddy',
      'namecheap',
      'squarespace',
      'route53',
      'ovhcloud',
      'ionos',
      'hostinger',
      'wix',
      GENERIC_DNS_HOST_ID,
    ]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dnsHostById(GENERIC_DNS_HOST_ID)?.nsPatterns).toEqual([]);
    expect(dnsHostById('nope')).toBeUndefined();
  });

  it('every entry matches the schema, and so does the table', () => {
    for (const h of DNS_HOSTS) {
      const r = dnsHostSchema.safeParse(h);
      expect(r.success, `${h.id}: ${r.error?.message}`).toBe(true);
      expect(h.steps.length, h.id).toBeGreaterThanOrEqual(3);
      expect(h.steps.length, h.id).toBeLessThanOrEqual(6);
    }
    expect(dnsHostTableSchema.safeParse(DNS_HOSTS).success).toBe(true);
  });

  it('the schema catches typos and inconsistent entries', () => {
    const cf = host('cloudflare');
    expect(dnsHostSchema.safeParse({ ...cf, docsURL: 'https://x.example/' }).success).toBe(false); // unknown key
    expect(dnsHostSchema.safeParse({ ...cf, txtQuoting: 'quoted' }).success).toBe(false);
    expect(dnsHostSchema.safeParse({ ...cf, steps: ['one', 'two'] }).success).toBe(false);
    expect(dnsHostSchema.safeParse({ ...cf, docsUrl: 'dash.cloudflare.com' }).success).toBe(false);
    expect(
      dnsHostSchema.safeParse({ ...cf, hostField: { ...cf.hostField, style: 'fqdn', appendsZone: true } }).success,
    ).toBe(false);
    // The fallback must stay last, and named hosts need patterns.
    expect(dnsHostTableSchema.safeParse([...DNS_HOSTS].reverse()).success).toBe(false);
    expect(dnsHostTableSchema.safeParse([cf, cf, ...DNS_HOSTS.slice(1)]).success).toBe(false);
  });

  it('name-server patterns are lower-case host names with "*." only at the start', () => {
    for (const ok of ['*.ns.cloudflare.com', 'ns-#.awsdns-#.co.uk', 'ns-cloud-*.googledomains.com']) {
      expect(nsPatternSchema.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of ['*.NS.cloudflare.com', 'ns.*.cloudflare.com', 'cloudflare', '.ns.cloudflare.com', '*.']) {
      expect(nsPatternSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('Route 53 quotes and splits TXT values; the others take them plain', () => {
    for (const h of DNS_HOSTS) expect(h.txtQuoting, h.id).toBe(h.id === 'route53' ? 'quoted-split' : 'plain');
  });

  it('Cloudflare warns that DKIM CNAMEs must be "DNS only" and that TTL stays on Auto', () => {
    expect(host('cloudflare').cnameProxyNote).toMatch(/DNS only/);
    expect(host('cloudflare').defaultTtlNote).toMatch(/Auto/);
  });
});

describe('detectDnsHost', () => {
  it('recognises real name servers of each host', () => {
    for (const [id, names] of Object.entries(REAL_NS)) {
      for (const ns of names) expect(detectDnsHost([ns]).id, ns).toBe(id);
      expect(detectDnsHost(names).id, id).toBe(id);
    }
  });

  it('ignores case, surrounding space and a trailing dot', () => {
    expect(detectDnsHost(['LARA.NS.CLOUDFLARE.COM.']).id).toBe('cloudflare');
    expect(detectDnsHost([' Ns-1234.AwsDns-12.Co.Uk. ']).id).toBe('route53');
    expect(detectDnsHost(['NS57.DomainControl.com.']).id).toBe('godaddy');
    expect(detectDnsHost(['Dns200.Anycast.Me.']).id).toBe('ovhcloud');
  });

  it('matches on label boundaries only, so look-alikes fall back to the generic host', () => {
    for (const ns of [
      'ns.cloudflare.com.evil.example',
      'ns.cloudflare.com',
      'lara.ns.cloudflare.com.evil.example',
      'evilns.cloudflare.com',
      'lara.ns-cloudflare.com',
      'notdomaincontrol.com',
      'ns57.domaincontrol.com.evil.example',
      'domaincontrol.com',
      'dns1.registrar-servers.com.example',
      'ns-1234.awsdns-12.co.uk.evil.example',
      'ns-x.awsdns-12.com',
      'ns-1234.awsdns-12.io',
      'xns-1234.awsdns-12.com',
      'sdns2.ovh.net', // OVHcloud's secondary DNS: the zone itself lives elsewhere
      'vps123456.ovh.net',
      'ns19.ovh.net.evil.example',
      'ns1045.ui-dns.de.evil.example',
      'ns1045.notui-dns.de',
      'ns1.dns-parking.com.evil.example',
      'ns0.wixdns.net.evil.example',
      'ns-cloud-a1.googledomains.com.evil.example',
      'ns-cloud.googledomains.com',
      'ns1.squarespacedns.com.evil',
    ]) {
      expect(detectDnsHost([ns]).id, ns).toBe(GENERIC_DNS_HOST_ID);
    }
  });

  it('falls back to the generic host for unknown, empty or blank name servers', () => {
    expect(detectDnsHost(['ns1.example-hosting.net', 'ns2.example-hosting.net']).id).toBe(GENERIC_DNS_HOST_ID);
    expect(detectDnsHost(['dns1.namecheaphosting.com']).id).toBe(GENERIC_DNS_HOST_ID); // cPanel, not Advanced DNS
    expect(detectDnsHost([]).id).toBe(GENERIC_DNS_HOST_ID);
    expect(detectDnsHost(['', '  ', '.']).id).toBe(GENERIC_DNS_HOST_ID);
    expect(detectDnsHost([]).docsUrl).toBeNull();
  });

  it('uses the first matching host in table order when the names are mixed', () => {
    expect(detectDnsHost(['ns1.example-hosting.net', 'ns57.domaincontrol.com']).id).toBe('godaddy');
    expect(detectDnsHost(['ns57.domaincontrol.com', 'lara.ns.cloudflare.com']).id).toBe('cloudflare');
  });
});

describe('hostFieldFor', () => {
  const zone = 'example.com';

  it('gives the zone apex as "@" or an empty box, as the panel wants', () => {
    expect(hostFieldFor(host('cloudflare'), 'example.com', zone)).toBe('@');
    expect(hostFieldFor(host('godaddy'), 'example.com', zone)).toBe('@');
    expect(hostFieldFor(host(GENERIC_DNS_HOST_ID), 'example.com', zone)).toBe('@');
    expect(hostFieldFor(host('route53'), 'example.com', zone)).toBe('');
    expect(hostFieldFor(host('wix'), 'example.com', zone)).toBe('');
    expect(hostFieldFor(host('ovhcloud'), 'example.com', zone)).toBe('');
  });

  it('gives DMARC, DKIM and sub-domain names relative to the zone', () => {
    for (const h of DNS_HOSTS) {
      expect(hostFieldFor(h, '_dmarc.example.com', zone), h.id).toBe('_dmarc');
      expect(hostFieldFor(h, 's1._domainkey.example.com', zone), h.id).toBe('s1._domainkey');
      expect(hostFieldFor(h, 'mr1._domainkey.news.example.com', zone), h.id).toBe('mr1._domainkey.news');
      expect(hostFieldFor(h, '_dmarc.news.example.com', zone), h.id).toBe('_dmarc.news');
    }
  });

  it('works for zones under a two-label suffix and ignores case and trailing dots', () => {
    expect(hostFieldFor(host('route53'), 'S1._DomainKey.Shop.Example.Co.Uk.', 'example.co.uk.')).toBe(
      's1._domainkey.shop',
    );
    expect(hostFieldFor(host('namecheap'), 'EXAMPLE.CO.UK', 'example.co.uk')).toBe('@');
  });

  it('gives the full name to panels that want it', () => {
    const fqdnHost = dnsHostSchema.parse({
      ...host(GENERIC_DNS_HOST_ID),
      id: 'full-names',
      hostField: { label: 'Record name', style: 'fqdn', apex: '@', appendsZone: false },
    });
    expect(hostFieldFor(fqdnHost, '_dmarc.example.com.', zone)).toBe('_dmarc.example.com');
    expect(hostFieldFor(fqdnHost, 'example.com', zone)).toBe('example.com');
    expect(hostFieldFor(fqdnHost, 'mr1._domainkey.news.Example.com', zone)).toBe('mr1._domainkey.news.example.com');
  });

  it('refuses names outside the zone, look-alike suffixes and malformed names', () => {
    const cf = host('cloudflare');
    expect(() => hostFieldFor(cf, '_dmarc.example.org', zone)).toThrow(/not inside the domain "example.com"/);
    expect(() => hostFieldFor(cf, '_dmarc.badexample.com', zone)).toThrow(/not inside/);
    expect(() => hostFieldFor(cf, 'com', zone)).toThrow(/not inside/);
    expect(() => hostFieldFor(cf, '_dmarc.example.com', 'news.example.com')).toThrow(/not inside/);
    expect(() => hostFieldFor(cf, '', zone)).toThrow(/record name is empty/);
    expect(() => hostFieldFor(cf, '_dmarc.example.com', '')).toThrow(/domain \(zone\) is empty/);
    expect(() => hostFieldFor(cf, '_dmarc.example.com', 'com')).toThrow(/not a valid domain/);
    expect(() => hostFieldFor(cf, 'a..example.com', zone)).toThrow(/not a valid record name/);
    expect(() => hostFieldFor(cf, 'exa mple.com', zone)).toThrow(/spaces or non-ASCII/);
    expect(() => hostFieldFor(cf, 'bücher.example.com', zone)).toThrow(/xn--/);
    expect(() => hostFieldFor(cf, `${'a'.repeat(64)}.example.com`, zone)).toThrow(/not a valid record name/);
    expect(() => hostFieldFor(cf, '-bad.example.com', zone)).toThrow(/not a valid record name/);
    expect(() => hostFieldFor(cf, '_dmarc.example.com', zone)).not.toThrow();
    try {
      hostFieldFor(cf, 'x.example.org', zone);
    } catch (e) {
      expect(e).toBeInstanceOf(MailroomError);
      expect(e).toBeInstanceOf(Error);
    }
  });
});

describe('txtValueFor', () => {
  // A 2048-bit DKIM key record is about 400 characters.
  const dkim = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9)}`.slice(0, 400);

  it('splits a 400-character DKIM value into two quoted strings of at most 255 for Route 53', () => {
    expect(dkim).toHaveLength(400);
    const out = txtValueFor(host('route53'), dkim);
    const parts = quotedStrings(out);
    expect(parts).toHaveLength(2);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(TXT_STRING_MAX);
    expect(parts.join('')).toBe(dkim);
    expect(out.startsWith('"v=DKIM1; k=rsa; p=')).toBe(true);
  });

  it('gives Cloudflare and the other panels the plain value', () => {
    expect(txtValueFor(host('cloudflare'), dkim)).toBe(dkim);
    for (const h of DNS_HOSTS.filter((x) => x.txtQuoting === 'plain')) expect(txtValueFor(h, dkim), h.id).toBe(dkim);
    expect(txtValueFor(host('godaddy'), 'v=spf1 include:mailgun.org ~all')).toBe('v=spf1 include:mailgun.org ~all');
  });

  it('quotes short values as one string and splits exactly at 255 characters', () => {
    const r53 = host('route53');
    expect(txtValueFor(r53, 'v=DMARC1; p=none')).toBe('"v=DMARC1; p=none"');
    expect(quotedStrings(txtValueFor(r53, 'a'.repeat(255)))).toEqual(['a'.repeat(255)]);
    expect(quotedStrings(txtValueFor(r53, 'a'.repeat(256)))).toEqual(['a'.repeat(255), 'a']);
    expect(quotedStrings(txtValueFor(r53, 'b'.repeat(600))).map((p) => p.length)).toEqual([255, 255, 90]);
  });

  it('escapes quotes and backslashes for Route 53 without counting the escapes toward 255', () => {
    const r53 = host('route53');
    expect(txtValueFor(r53, 'say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    const v = `${'"'.repeat(255)}x`;
    const parts = quotedStrings(txtValueFor(r53, v));
    expect(parts).toEqual(['"'.repeat(255), 'x']);
  });

  it('refuses empty values, line breaks and non-ASCII text for every host', () => {
    for (const h of [host('route53'), host('cloudflare')]) {
      expect(() => txtValueFor(h, '')).toThrow(/empty/);
      expect(() => txtValueFor(h, 'v=spf1 -all\n')).toThrow(/line break or tab at position 12/);
      expect(() => txtValueFor(h, 'v=DKIM1;\tp=abc')).toThrow(/line break or tab/);
      expect(() => txtValueFor(h, 'v=DMARC1; p=none; rua=mailto:d@bücher.example')).toThrow(/"ü" \(U\+00FC\)/);
    }
  });
});
