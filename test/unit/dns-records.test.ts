import { describe, expect, it } from 'vitest';
import { DMARC_RECORD, defaultDmarc, dmarcToPublish, explainDmarc, parseDmarc } from '../../src/main/dns/dmarc.ts';
import { reverseName } from '../../src/main/dns/dns-client.ts';
import { readinessOf } from '../../src/main/dns/domain-check.ts';
import { worst } from '../../src/main/dns/status.ts';
import { parseTagList, readTxt, type TxtValue } from '../../src/main/dns/txt.ts';
import { organisationalDomain, relativeHost } from '../../src/main/dns/zone.ts';
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
  const own = (...texts: string[]): TxtValue[] => texts.map((text) => ({ text, quoted: false }));
  const publish = (...texts: string[]) => dmarcToPublish(own(...texts), 'postmaster@shop.example');

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
      problems: [],
    });
  });

  // Receivers drop only the bad tag (RFC 7489 §6.3): the record keeps working, so the
  // correction is the person's own record with that tag fixed or left out — never a lower policy.
  it.each([
    [
      'v=DMARC1; p=reject; rua=mailto:d@shop.example, https://x/r',
      'rua= lists “https://x/r”, which is not an email address written as mailto:name@domain, so receivers send no reports there',
      'v=DMARC1; p=reject; rua=mailto:d@shop.example',
    ],
    [
      'v=DMARC1; p=reject; pct=150; rua=mailto:d@shop.example',
      'pct=150 is not a percentage, so receivers ignore it and use 100',
      'v=DMARC1; p=reject; rua=mailto:d@shop.example',
    ],
    [
      'v=DMARC1; p=quarantine; adkim=x',
      'adkim=x is not r (relaxed) or s (strict), so receivers ignore it and use r',
      'v=DMARC1; p=quarantine',
    ],
    [
      'v=DMARC1; p=reject; pct=50%',
      'pct=50% must be written without the % sign, so receivers ignore it and use 100',
      'v=DMARC1; p=reject; pct=50',
    ],
    [
      'v=DMARC1; p=reject; rua=d@shop.example',
      'rua=d@shop.example needs mailto: in front of the address (mailto:d@shop.example); without it receivers send no reports there',
      'v=DMARC1; p=reject; rua=mailto:d@shop.example',
    ],
    [
      'v=DMARC1; p=reject; aspf=strict',
      'aspf=strict is not r (relaxed) or s (strict), so receivers ignore it and use r',
      'v=DMARC1; p=reject; aspf=s',
    ],
    [
      'v=DMARC1; p=reject; reject',
      '“reject” is not written as name=value, so receivers ignore it',
      'v=DMARC1; p=reject',
    ],
    [
      'v=DMARC1; p=reject; rua=mailto:d@shop.example pct=50',
      'the tags must be separated by semicolons: “rua=mailto:d@shop.example pct=50” should read “rua=mailto:d@shop.example; pct=50”',
      'v=DMARC1; p=reject; rua=mailto:d@shop.example; pct=50',
    ],
    [
      'v=DMARC1; p=reject; p=none',
      'p= appears twice (p=reject and p=none), so receivers may read either one',
      'v=DMARC1; p=reject',
    ],
  ])('%s: receivers ignore one tag and keep the policy', (text, problem, corrected) => {
    const r = parseDmarc(text);
    if (!r.ok) throw new Error(r.error);
    expect(r.problems.map((p) => p.message)).toEqual([problem]);
    expect(r.record.p).toBe(text.includes('quarantine') ? 'quarantine' : 'reject');
    expect(publish(text)).toBe(corrected);
  });

  it('ignored tags are explained at the defaults receivers use instead', () => {
    const r = parseDmarc('v=DMARC1; p=quarantine; pct=150; adkim=x; rua=mailto:d@shop.example, https://x/r');
    if (!r.ok) throw new Error(r.error);
    expect(r.record).toMatchObject({ p: 'quarantine', pct: 100, adkim: 'r', rua: ['d@shop.example'] });
    const lines = explainDmarc(r.record, 'shop.example');
    expect(lines[0]).toBe('Policy p=quarantine: receivers put mail that fails the checks in the junk folder.');
    expect(lines.join(' ')).toMatch(/reports go to d@shop\.example\./);
    expect(lines.join(' ')).not.toMatch(/150|https/);
  });

  it('an unreadable p= or sp= with a usable report address: receivers treat the record as p=none', () => {
    const p = parseDmarc('v=DMARC1; p=maybe; rua=mailto:d@shop.example');
    expect(p).toMatchObject({ ok: true, record: { p: 'none', sp: null, rua: ['d@shop.example'] } });
    expect(p.problems[0]?.message).toBe(
      'p=maybe is not a policy (none, quarantine or reject), so receivers treat the whole record as p=none and only send reports',
    );
    expect(publish('v=DMARC1; p=maybe; rua=mailto:d@shop.example')).toBe('v=DMARC1; p=none; rua=mailto:d@shop.example');
    const missing = parseDmarc('v=DMARC1; rua=mailto:d@shop.example');
    expect(missing).toMatchObject({ ok: true, record: { p: 'none' } });
    expect(missing.problems[0]?.message).toMatch(/^it has no policy .*treat the whole record as p=none/);
    // A bad sp= lowers the whole record in the same way; the correction leaves sp= out, so
    // subdomains follow p=reject and nothing is lowered.
    const sp = parseDmarc('v=DMARC1; p=reject; sp=rejct; rua=mailto:d@shop.example');
    expect(sp).toMatchObject({ ok: true, record: { p: 'none', sp: null } });
    expect(publish('v=DMARC1; p=reject; sp=rejct; rua=mailto:d@shop.example')).toBe(
      'v=DMARC1; p=reject; rua=mailto:d@shop.example',
    );
  });

  it.each([
    [
      'v=DMARC1 p=reject',
      'the tags must be separated by semicolons: “v=DMARC1 p=reject” should read “v=DMARC1; p=reject”',
      'v=DMARC1; p=reject',
    ],
    ['p=reject; v=DMARC1', 'v=DMARC1 must come first in the record', 'v=DMARC1; p=reject'],
    ['v=dmarc1; p=reject', 'it must start with v=DMARC1 written exactly like that, in capitals', 'v=DMARC1; p=reject'],
    [
      'v=DMARC2; p=quarantine',
      'v=DMARC2 is not a DMARC version; it must start with v=DMARC1',
      'v=DMARC1; p=quarantine',
    ],
    [
      'v=DMARC1; p=reject rua=mailto:d@shop.example',
      'the tags must be separated by semicolons: “p=reject rua=mailto:d@shop.example” should read “p=reject; rua=mailto:d@shop.example”',
      'v=DMARC1; p=reject; rua=mailto:d@shop.example',
    ],
    // No usable policy and nowhere to report: ignored. p=none is added (with reports) only
    // because p= is missing or unreadable; Mailroom cannot guess what p=maybe meant.
    [
      'v=DMARC1',
      'it has no policy (p=none, p=quarantine or p=reject)',
      'v=DMARC1; p=none; rua=mailto:postmaster@shop.example',
    ],
    [
      'v=DMARC1; p=maybe; rua=postmaster',
      'p=maybe is not a policy (none, quarantine or reject)',
      'v=DMARC1; p=none; rua=mailto:postmaster@shop.example',
    ],
    ['v=DMARC1; p=reject; sp=rejct', 'sp=rejct is not a policy (none, quarantine or reject)', 'v=DMARC1; p=reject'],
  ])('%s: receivers ignore the whole record; the correction is minimal', (text, error, corrected) => {
    expect(parseDmarc(text)).toMatchObject({ ok: false, error });
    expect(publish(text)).toBe(corrected);
  });

  it('dmarcToPublish: one record for the check and the records page alike', () => {
    // Nothing there: the starting record. Right already: nothing to change.
    expect(publish()).toBe('v=DMARC1; p=none; rua=mailto:postmaster@shop.example');
    expect(publish('v=DMARC1; p=reject; rua=mailto:d@shop.example')).toBeNull();
    // Harmless extras receivers accept (an empty part, a trailing semicolon, a tag from a newer spec) stay.
    expect(publish('v=DMARC1;; p=reject; np=reject;')).toBeNull();
    // Other TXT records at the name are not DMARC records.
    expect(publish('some-verification=abc')).toBe('v=DMARC1; p=none; rua=mailto:postmaster@shop.example');
    // Pasted quotes: the person's own record without them.
    expect(dmarcToPublish([readTxt(['"v=DMARC1; p=reject"'])], 'postmaster@shop.example')).toBe('v=DMARC1; p=reject');
    // Several: one record, from one receivers could use on its own.
    expect(publish('v=DMARC1; p=bad', 'v=DMARC1; p=reject; pct=200')).toBe('v=DMARC1; p=reject');
  });

  it('several DMARC records: the same one record whatever order DNS gives them in', () => {
    const cases: [string[], string][] = [
      // The strictest usable policy wins.
      [['v=DMARC1; p=reject', 'v=DMARC1; p=none'], 'v=DMARC1; p=reject'],
      // Every report address stays.
      [
        ['v=DMARC1; p=none; rua=mailto:a@shop.example', 'v=DMARC1; p=quarantine; rua=mailto:b@shop.example'],
        'v=DMARC1; p=quarantine; rua=mailto:b@shop.example,mailto:a@shop.example',
      ],
      [
        ['v=DMARC1; p=reject', 'v=DMARC1; p=none; rua=mailto:a@shop.example'],
        'v=DMARC1; p=reject; rua=mailto:a@shop.example',
      ],
      // Same policy: the choice still does not depend on the order.
      [['v=DMARC1; p=none; adkim=s', 'v=DMARC1; p=none; aspf=s'], 'v=DMARC1; p=none; adkim=s'],
      // The policy for subdomains counts next: sp=reject beats none.
      [['v=DMARC1; p=quarantine; sp=reject', 'v=DMARC1; p=quarantine'], 'v=DMARC1; p=quarantine; sp=reject'],
      // Mail pct= leaves out gets the next milder policy: p=reject; pct=0 is no stronger than
      // p=quarantine (a tie, settled by the text), and p=reject; pct=50 is.
      [['v=DMARC1; p=reject; pct=0', 'v=DMARC1; p=quarantine'], 'v=DMARC1; p=quarantine'],
      [['v=DMARC1; p=reject; pct=50', 'v=DMARC1; p=quarantine'], 'v=DMARC1; p=reject; pct=50'],
      [['v=DMARC1; p=quarantine; pct=10', 'v=DMARC1; p=quarantine'], 'v=DMARC1; p=quarantine'],
      // Report addresses compared without regard to case.
      [
        ['v=DMARC1; p=none; rua=mailto:A@shop.example', 'v=DMARC1; p=none; rua=mailto:a@shop.example; adkim=s'],
        'v=DMARC1; p=none; rua=mailto:A@shop.example',
      ],
      // None usable: the correction of one of them, again whatever the order.
      [
        ['v=DMARC1; p=bad; rua=mailto:x@shop.example', 'v=DMARC1; p=worse'],
        'v=DMARC1; p=none; rua=mailto:x@shop.example',
      ],
    ];
    for (const [records, expected] of cases) {
      expect(publish(...records), records.join(' | ')).toBe(expected);
      expect(publish(...[...records].reverse()), records.join(' | ')).toBe(expected);
    }
  });

  it('recognises a record meant as DMARC even when v= is not first or not DMARC1', () => {
    for (const t of ['v=DMARC1; p=none', 'p=reject; v=DMARC1', 'p=reject;v=DMARC1', ' v = DMARC2; p=none']) {
      expect(DMARC_RECORD.test(t), t).toBe(true);
    }
    for (const t of ['v=spf1 -all', 'google-site-verification=abc', 'xv=DMARC1x']) {
      expect(DMARC_RECORD.test(t), t).toBe(false);
    }
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

  it.each([
    // The same organisation (one label below the public suffix): no consent needed.
    ['news.shop.example', 'x@mail.shop.example', false],
    ['news.shop.co.uk', 'x@shop.co.uk', false],
    ['shop.co.uk', 'x@lists.shop.co.uk', false],
    // Another organisation under the same public suffix: consent needed.
    ['news.shop.co.uk', 'x@other.co.uk', true],
    ['shop.example', 'x@shop.example.net', true],
  ])('policy domain %s, reports to %s: another domain = %s', (domain, address, outside) => {
    const r = parseDmarc(`v=DMARC1; p=none; rua=mailto:${address}`);
    if (!r.ok) throw new Error(r.error);
    expect(/another domain/.test(explainDmarc(r.record, domain).join(' '))).toBe(outside);
  });

  it('organisationalDomain: the registrable name, for ASCII and international names', () => {
    expect(organisationalDomain('news.shop.example')).toBe('shop.example');
    expect(organisationalDomain('a.b.shop.co.uk')).toBe('shop.co.uk');
    expect(organisationalDomain('News.Bücher.example.')).toBe('xn--bcher-kva.example');
  });
});

describe('readiness per domain', () => {
  const check = (statuses: Record<string, DomainCheck['checks'][number]['status']>): DomainCheck => ({
    domain: 'shop.example',
    checkedAt: 1,
    unanswered: 0,
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
