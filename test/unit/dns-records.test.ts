import { describe, expect, it } from 'vitest';
import { defaultDmarc, explainDmarc, parseDmarc } from '../../src/main/dns/dmarc.ts';
import { reverseName } from '../../src/main/dns/dns-client.ts';
import { readinessOf } from '../../src/main/dns/domain-check.ts';
import { worst } from '../../src/main/dns/status.ts';
import { parseTagList, readTxt } from '../../src/main/dns/txt.ts';
import { relativeHost } from '../../src/main/dns/zone.ts';
import type { DomainCheck } from '../../src/shared/domain/dns.ts';

describe('TXT values as published', () => {
  it('joins character-strings with nothing between them', () => {
    expect(readTxt(['v=DKIM1; k=rsa; p=AB', 'CD'])).toEqual({ text: 'v=DKIM1; k=rsa; p=ABCD', quoted: false });
  });

  it('undoes quotes a person pasted into a panel that stores them, and says so', () => {
    expect(readTxt(['"v=spf1 -all"'])).toEqual({ text: 'v=spf1 -all', quoted: true });
    expect(readTxt(['"v=DKIM1; p=AB" "CD"'])).toEqual({ text: 'v=DKIM1; p=ABCD', quoted: true });
    // Split by the DNS server in the middle of the pasted text: still one value.
    expect(readTxt(['"v=DKIM1; p=AB" ', '"CD"'])).toEqual({ text: 'v=DKIM1; p=ABCD', quoted: true });
    expect(readTxt(['v=DKIM1; p=ABCD"'])).toEqual({ text: 'v=DKIM1; p=ABCD', quoted: true });
  });

  it('reads tag lists and refuses repeated or nameless tags', () => {
    const ok = parseTagList(' v = DKIM1 ; k=rsa; p=AB CD ;');
    expect(ok.ok && Object.fromEntries(ok.tags)).toEqual({ v: 'DKIM1', k: 'rsa', p: 'AB CD' });
    expect(parseTagList('v=DKIM1; p=A; p=B')).toEqual({ ok: false, error: 'the tag "p" appears twice' });
    expect(parseTagList('v=DKIM1;; p=A').ok).toBe(false);
    expect(parseTagList('just words').ok).toBe(false);
  });
});

describe('DMARC records', () => {
  it('parses the policy, alignment, percentage and report addresses', () => {
    const r = parseDmarc(
      'v=DMARC1; p=quarantine; sp=reject; adkim=s; pct=50; rua=mailto:a@shop.example,mailto:b@reports.example!10m',
    );
    expect(r).toEqual({
      ok: true,
      record: {
        p: 'quarantine',
        sp: 'reject',
        adkim: 's',
        aspf: 'r',
        pct: 50,
        rua: ['a@shop.example', 'b@reports.example'],
        ruf: [],
      },
    });
  });

  it.each([
    ['p=none; v=DMARC1', 'it must start with v=DMARC1'],
    ['v=DMARC1; rua=mailto:a@b.example', 'it has no policy (p=none, p=quarantine or p=reject)'],
    ['v=DMARC1; p=maybe', 'p=maybe is not a policy; use none, quarantine or reject'],
    ['v=DMARC1; p=none; pct=150', 'pct=150 must be a number from 0 to 100'],
    [
      'v=DMARC1; p=none; rua=a@b.example',
      'rua=a@b.example is not a mailto: address (write it as mailto:reports@example.com)',
    ],
    ['v=DMARC1; p=none; adkim=x', 'adkim=x must be r or s'],
  ])('refuses %s with a sentence', (text, error) => {
    expect(parseDmarc(text)).toEqual({ ok: false, error });
  });

  it('the default record parses and explains itself in plain words', () => {
    const text = defaultDmarc('postmaster@shop.example');
    expect(text).toBe('v=DMARC1; p=none; rua=mailto:postmaster@shop.example');
    const r = parseDmarc(text);
    if (!r.ok) throw new Error(r.error);
    const lines = explainDmarc(r.record, 'shop.example');
    expect(lines[0]).toMatch(/only report it to you/);
    expect(lines.join(' ')).toMatch(/reports go to postmaster@shop\.example/);
    expect(lines.join(' ')).not.toMatch(/another domain/);
  });

  it('says when reports go to another domain, which must agree to take them', () => {
    const r = parseDmarc('v=DMARC1; p=reject; rua=mailto:x@dmarc-service.example');
    if (!r.ok) throw new Error(r.error);
    expect(explainDmarc(r.record, 'shop.example').join(' ')).toMatch(/another domain \(x@dmarc-service\.example\)/);
  });
});

describe('readiness per domain', () => {
  const check = (statuses: Record<string, DomainCheck['checks'][number]['status']>): DomainCheck => ({
    domain: 'shop.example',
    checkedAt: 1,
    checks: Object.entries(statuses).map(([record, status]) => ({
      record: record as 'spf',
      status,
      message: '',
      fix: null,
      details: [],
    })),
  });

  it('is unchecked, attention, pending or ready, with a sentence', () => {
    expect(readinessOf('shop.example', null).state).toBe('unchecked');
    expect(readinessOf('shop.example', null).unicode).toBeNull();
    expect(readinessOf('xn--bcher-kva.example', null)).toMatchObject({
      unicode: 'bücher.example',
      summary: expect.stringMatching(/^bücher\.example has not been checked yet/),
    });
    const bad = readinessOf('shop.example', check({ spf: 'ok', dkim: 'error', dmarc: 'pending', mx: 'ok' }));
    expect(bad).toMatchObject({
      state: 'attention',
      failing: ['dkim', 'dmarc'],
      summary: 'shop.example: DKIM needs fixing.',
    });
    expect(readinessOf('shop.example', check({ spf: 'pending', dkim: 'ok', dmarc: 'warning' })).state).toBe('pending');
    const ready = readinessOf('shop.example', check({ spf: 'ok', dkim: 'ok', dmarc: 'ok', mx: 'warning' }));
    expect(ready).toMatchObject({ state: 'ready', summary: 'shop.example is set up for sending (worth a look: MX).' });
  });

  it('ranks error over pending over warning over ok', () => {
    expect(worst([])).toBe('ok');
    expect(worst(['warning', 'pending'])).toBe('pending');
    expect(worst(['pending', 'error', 'ok'])).toBe('error');
  });
});

describe('record names relative to the zone', () => {
  it('writes @ for the zone itself and the labels in front otherwise', () => {
    expect(relativeHost('shop.example', 'shop.example')).toBe('@');
    expect(relativeHost('_dmarc.news.shop.example', 'shop.example')).toBe('_dmarc.news');
    expect(relativeHost('mr1._domainkey.shop.example', null)).toBe('mr1._domainkey.shop.example');
    expect(relativeHost('other.example', 'shop.example')).toBe('other.example');
  });
});

describe('reverse DNS names', () => {
  it('writes in-addr.arpa and ip6.arpa names (IPv4-mapped addresses use the IPv4 name)', () => {
    expect(reverseName('203.0.113.5')).toBe('5.113.0.203.in-addr.arpa');
    expect(reverseName('2001:db8::1')).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
    expect(reverseName('::ffff:203.0.113.5')).toBe('5.113.0.203.in-addr.arpa');
    expect(reverseName('fe80::')).toBe(`${'0.'.repeat(28)}0.8.e.f.ip6.arpa`);
  });
});
