import { describe, expect, it } from 'vitest';
import {
  expandSpfMacros,
  findSpfRecords,
  mergeSpf,
  mergeSpfRecords,
  parseSpf,
  type SpfMacroContext,
} from '../../src/main/dns/spf.ts';
import { MailroomError } from '../../src/shared/errors.ts';

function terms(record: string) {
  const r = parseSpf(record);
  if (!r.ok) throw new Error(r.error);
  return r.terms;
}

function parseError(record: string): { error: string; term: string | null } {
  const r = parseSpf(record);
  if (r.ok) throw new Error(`${record} parsed`);
  return { error: r.error, term: r.term };
}

describe('findSpfRecords', () => {
  it('joins the strings of each TXT record and keeps only v=spf1 records', () => {
    expect(
      findSpfRecords([
        ['google-site-verification=abc'],
        ['v=spf1 ip4:192.0.2.0/24 ', 'include:mailgun.org -all'],
        ['V=SPF1 -all'],
        ['v=spf1'],
        ['v=spf10 -all'],
        ['v=spf1-all'],
        [' v=spf1 -all'],
      ]),
    ).toEqual(['v=spf1 ip4:192.0.2.0/24 include:mailgun.org -all', 'V=SPF1 -all', 'v=spf1']);
  });

  it('recognises a record pasted with its quotes, and returns it without them', () => {
    expect(findSpfRecords([['"v=spf1 include:mailgun.org ~all"']])).toEqual(['v=spf1 include:mailgun.org ~all']);
    expect(findSpfRecords([['“v=spf1 -all”']])).toEqual(['v=spf1 -all']);
    expect(findSpfRecords([['"', 'v=spf1 a -all', '"']])).toEqual(['v=spf1 a -all']);
    expect(findSpfRecords([['"hello"']])).toEqual([]);
  });
});

describe('parseSpf', () => {
  it('reads every mechanism with qualifiers, CIDR lengths and modifiers', () => {
    expect(
      terms(
        'v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx/28 mx:%{d}//48 ptr ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 ip6:::ffff:192.0.2.1 exists:%{ir}.%{l1r-}.lp._spf.%{d2} redirect=_spf.example.com exp=explain.%{d} x-custom=%{s}',
      ),
    ).toEqual([
      { kind: 'all', qualifier: '+', raw: '+all' },
      { kind: 'include', qualifier: '-', domain: '_spf.example.com', raw: '-include:_spf.example.com' },
      { kind: 'a', qualifier: '~', domain: null, cidr4: 32, cidr6: 128, raw: '~a' },
      {
        kind: 'a',
        qualifier: '?',
        domain: 'mail.example.com',
        cidr4: 24,
        cidr6: 64,
        raw: '?a:mail.example.com/24//64',
      },
      { kind: 'mx', qualifier: '+', domain: null, cidr4: 28, cidr6: 128, raw: 'mx/28' },
      { kind: 'mx', qualifier: '+', domain: '%{d}', cidr4: 32, cidr6: 48, raw: 'mx:%{d}//48' },
      { kind: 'ptr', qualifier: '+', domain: null, raw: 'ptr' },
      { kind: 'ptr', qualifier: '+', domain: 'example.org', raw: 'ptr:example.org' },
      { kind: 'ip4', qualifier: '+', address: '192.0.2.0', prefix: 24, raw: 'ip4:192.0.2.0/24' },
      { kind: 'ip6', qualifier: '+', address: '2001:db8::', prefix: 32, raw: 'ip6:2001:db8::/32' },
      { kind: 'ip6', qualifier: '+', address: '::ffff:192.0.2.1', prefix: 128, raw: 'ip6:::ffff:192.0.2.1' },
      {
        kind: 'exists',
        qualifier: '+',
        domain: '%{ir}.%{l1r-}.lp._spf.%{d2}',
        raw: 'exists:%{ir}.%{l1r-}.lp._spf.%{d2}',
      },
      { kind: 'modifier', name: 'redirect', value: '_spf.example.com', raw: 'redirect=_spf.example.com' },
      { kind: 'modifier', name: 'exp', value: 'explain.%{d}', raw: 'exp=explain.%{d}' },
      { kind: 'modifier', name: 'x-custom', value: '%{s}', raw: 'x-custom=%{s}' },
    ]);
  });

  it('is case-insensitive and allows extra spaces, a trailing dot and odd domain-specs', () => {
    expect(terms('V=SPF1  IP4:192.0.2.1   Include:Example.COM. -ALL ').map((t) => t.kind)).toEqual([
      'ip4',
      'include',
      'all',
    ]);
    expect(terms('v=spf1')).toEqual([]);
    expect(terms('v=spf1 -mx:%%%_/.Clara.de/27')[0]).toMatchObject({ kind: 'mx', domain: '%%%_/.Clara.de', cidr4: 27 });
    expect(terms('v=spf1 a:foo-bar.xn--p1ai a:x.y-z')).toHaveLength(2);
    // Unknown modifiers may repeat (RFC 7208 §6); only redirect and exp may not.
    expect(terms('v=spf1 foo=1 foo=2 -all')).toHaveLength(3);
  });

  it.each([
    ['v=spf1 ip4:192.0.2.300 -all', 'ip4:192.0.2.300', /192\.0\.2\.300 is not an IPv4 address/],
    ['v=spf1 ip4:192.0.02.1', 'ip4:192.0.02.1', /not an IPv4 address/],
    ['v=spf1 ip4:192.0.2.0/33', 'ip4:192.0.2.0/33', /\/33 is not a valid IPv4 range size/],
    ['v=spf1 ip4:192.0.2.0/024', 'ip4:192.0.2.0/024', /\/024 is not a valid IPv4 range/],
    ['v=spf1 ip4:192.0.2.1//64', 'ip4:192.0.2.1//64', /needs an address|range/],
    ['v=spf1 ip4:', 'ip4:', /needs an address after it/],
    ['v=spf1 ip6:2001:db8::zz', 'ip6:2001:db8::zz', /not an IPv6 address/],
    ['v=spf1 ip6:fe80::1%eth0', 'ip6:fe80::1%eth0', /not an IPv6 address/],
    ['v=spf1 ip6:2001:db8::/129', 'ip6:2001:db8::/129', /\/129 is not a valid IPv6 range size/],
    ['v=spf1 a/33', 'a/33', /\/33 is not a valid IPv4 range/],
    ['v=spf1 mx//129', 'mx//129', /\/\/129 is not a valid IPv6 range/],
    ['v=spf1 a:mail', 'a:mail', /"mail" is not a complete domain name/],
    ['v=spf1 a:192.0.2.1', 'a:192.0.2.1', /write ip4:192\.0\.2\.1/],
    ['v=spf1 a:', 'a:', /needs a domain name/],
    ['v=spf1 include:', 'include:', /needs a domain name/],
    ['v=spf1 include', 'include', /needs a colon and a domain name/],
    ['v=spf1 include:mailgun.org, -all', 'include:mailgun.org,', /separated by spaces, not commas/],
    ['v=spf1 include:mailgun.org/24', 'include:mailgun.org/24', /not a complete domain name/],
    ['v=spf1 exists:%{i}', null, null],
    ['v=spf1 exists:%{x}.example.com', 'exists:%{x}.example.com', /%\{x\} is not a macro/],
    ['v=spf1 exists:%{c}.example.com', 'exists:%{c}.example.com', /only be used in explanation text/],
    ['v=spf1 exists:%{d0}.example.com', 'exists:%{d0}.example.com', /must be 1 or more/],
    ['v=spf1 exists:100%.example.com', 'exists:100%.example.com', /plain % sign must be written %%/],
    ['v=spf1 a:%{d}x', 'a:%{d}x', /not a complete domain name/],
    ['v=spf1 ptr/24', 'ptr/24', /ptr takes no range size/],
    ['v=spf1 -all:3030', '-all:3030', /"all" takes nothing after it/],
    ['v=spf1 all/24', 'all/24', /"all" takes nothing after it/],
    ['v=spf1 ip:192.0.2.1', 'ip:192.0.2.1', /no "ip" term; write ip4: for an IPv4 address/],
    ['v=spf1 moo -all', 'moo', /no "moo" term/],
    ['v=spf1 =a', '=a', /not something SPF understands/],
    ['v=spf1 +-all', '+-all', /two signs/],
    ['v=spf1 redirect=', 'redirect=', /needs a domain name after the = sign/],
    ['v=spf1 redirect=a.example redirect=b.example', 'redirect=b.example', /appears more than once/],
    ['v=spf1 exp=a.example exp=b.example', 'exp=b.example', /appears more than once/],
    ['v=spf1 foo=%{', 'foo=%{', /not written correctly/],
    ['v=spf1 a\tmx', 'a\tmx', /contains a tab, which SPF does not allow/],
    ['v=spf1 a\u00a0-all', 'a\u00a0-all', /contains a non-breaking space/],
    ['v=spf1 a:ex\u00e4mple.com', 'a:ex\u00e4mple.com', /contains "\u00e4", which SPF does not allow/],
    ['spf1 -all', 'spf1', /must start with v=spf1/],
  ])('%s', (record, term, message) => {
    if (term === null) {
      expect(parseSpf(record).ok).toBe(true);
      return;
    }
    const e = parseError(record);
    expect(e.term).toBe(term);
    expect(e.error).toMatch(message as RegExp);
  });
});

describe('expandSpfMacros', () => {
  // The examples of RFC 7208 §7.4.
  const ctx: SpfMacroContext = {
    ip: '192.0.2.3',
    sender: 'strong-bad@email.example.com',
    domain: 'email.example.com',
    helo: 'mx.example.org',
  };

  it.each([
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{h}', 'mx.example.org'],
    ['%{v}', 'in-addr'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
    ['%{p}', 'unknown'],
    ['%%%_%-', '% %20'],
    // Upper-case letters URL-escape the value (§7.3).
    ['%{S}', 'strong-bad%40email.example.com'],
    // Several delimiters; the parts are joined with "." whatever split them (§7.3).
    ['%{l-+}', 'strong.bad'],
  ])('%s → %s', (spec, expected) => {
    expect(expandSpfMacros(spec, ctx)).toBe(expected);
  });

  it('expands IPv6 addresses as dotted nibbles, and IPv4-mapped ones as IPv4', () => {
    const six = { ...ctx, ip: '2001:db8::cb01' };
    expect(expandSpfMacros('%{ir}.%{v}._spf.%{d2}', six)).toBe(
      '1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com',
    );
    const mapped = { ...ctx, ip: '::ffff:192.0.2.3' };
    expect(expandSpfMacros('%{i}.%{v}', mapped)).toBe('192.0.2.3.in-addr');
  });

  it('uses postmaster for a sender without a local part, and a given %{p}', () => {
    expect(expandSpfMacros('%{l}@%{o}', { ...ctx, sender: '@email.example.com' })).toBe('postmaster@email.example.com');
    expect(expandSpfMacros('%{p2}', { ...ctx, ptrName: 'mx.example.org' })).toBe('example.org');
  });

  it('refuses broken macros and explanation-only letters', () => {
    expect(() => expandSpfMacros('%{q}', ctx)).toThrow(MailroomError);
    expect(() => expandSpfMacros('%{c}', ctx)).toThrow(/explanation text/);
    expect(() => expandSpfMacros('50%', ctx)).toThrow(/%%/);
  });
});

describe('mergeSpf', () => {
  it('makes a fresh record when there is none', () => {
    expect(mergeSpf(null, 'include:mailgun.org')).toEqual({
      record: 'v=spf1 include:mailgun.org ~all',
      changed: true,
      notes: [],
    });
    expect(mergeSpf('', 'ip4:203.0.113.5').record).toBe('v=spf1 ip4:203.0.113.5 ~all');
  });

  it('inserts before the all, keeping every term and the person’s -all or ~all', () => {
    expect(mergeSpf('v=spf1 mx include:_spf.google.com -all', 'include:mailgun.org')).toEqual({
      record: 'v=spf1 mx include:_spf.google.com include:mailgun.org -all',
      changed: true,
      notes: [],
    });
    expect(mergeSpf('v=spf1 a ~all exp=explain.example.com', 'ip4:203.0.113.5').record).toBe(
      'v=spf1 a ip4:203.0.113.5 ~all exp=explain.example.com',
    );
    // Terms after the all are never read: the new one goes before it.
    expect(mergeSpf('v=spf1 a -all mx', 'ip4:203.0.113.5').record).toBe('v=spf1 a ip4:203.0.113.5 -all mx');
  });

  it('moves the entry in front of "all" when it was written after it, with or without a sign', () => {
    expect(mergeSpf('v=spf1 a ~all +include:mailgun.org', 'include:mailgun.org')).toEqual({
      record: 'v=spf1 a include:mailgun.org ~all',
      changed: true,
      notes: [
        'Moved include:mailgun.org in front of ~all: receivers stop reading at "all", so nothing after it counts.',
      ],
    });
    const neutral = mergeSpf('v=spf1 -all ?include:mailgun.org', 'include:mailgun.org');
    expect(neutral.record).toBe('v=spf1 include:mailgun.org -all');
    expect(neutral.notes).toHaveLength(2);
    expect(mergeSpf('v=spf1 -all include=mailgun.org', 'include:mailgun.org').record).toBe(
      'v=spf1 include:mailgun.org -all',
    );
    // A range after "all" covers nothing: the address is added in front.
    expect(mergeSpf('v=spf1 -all ip4:203.0.113.0/24', 'ip4:203.0.113.5').record).toBe(
      'v=spf1 ip4:203.0.113.5 -all ip4:203.0.113.0/24',
    );
  });

  it('inserts before redirect= and adds no all there (it would switch the redirect off)', () => {
    expect(mergeSpf('v=spf1 mx redirect=_spf.example.com', 'include:mailgun.org')).toEqual({
      record: 'v=spf1 mx include:mailgun.org redirect=_spf.example.com',
      changed: true,
      notes: [],
    });
    expect(mergeSpf('v=spf1 redirect=_spf.example.com', 'ip4:203.0.113.5').record).toBe(
      'v=spf1 ip4:203.0.113.5 redirect=_spf.example.com',
    );
  });

  it('replaces +all, all, ?all and a missing all with ~all, and says so', () => {
    const plus = mergeSpf('v=spf1 mx +all', 'include:mailgun.org');
    expect(plus.record).toBe('v=spf1 mx include:mailgun.org ~all');
    expect(plus.notes.join(' ')).toMatch(/Changed \+all to ~all: \+all lets any server in the world send/);
    expect(mergeSpf('v=spf1 mx all', 'include:mailgun.org').record).toBe('v=spf1 mx include:mailgun.org ~all');
    const q = mergeSpf('v=spf1 mx ?all', 'include:mailgun.org');
    expect(q.record).toBe('v=spf1 mx include:mailgun.org ~all');
    expect(q.notes.join(' ')).toMatch(/Changed \?all to ~all/);
    const none = mergeSpf('v=spf1 mx exp=x.example.com', 'include:mailgun.org');
    expect(none.record).toBe('v=spf1 mx include:mailgun.org ~all exp=x.example.com');
    expect(none.notes.join(' ')).toMatch(/Added ~all/);
    // Nothing to add, but the all is still tidied.
    expect(mergeSpf('v=spf1 include:mailgun.org +all', 'include:mailgun.org')).toMatchObject({
      record: 'v=spf1 include:mailgun.org ~all',
      changed: true,
    });
  });

  it('never adds a duplicate (case-insensitive, explicit +, /32, covering ranges)', () => {
    for (const existing of [
      'v=spf1 include:Mailgun.ORG -all',
      'v=spf1 +include:mailgun.org -all',
      'V=SPF1   include:mailgun.org   -all',
    ]) {
      const r = mergeSpf(existing, 'include:mailgun.org');
      expect(r.changed, existing).toBe(false);
    }
    expect(mergeSpf('v=spf1 ip4:203.0.113.5/32 -all', 'ip4:203.0.113.5').changed).toBe(false);
    const covered = mergeSpf('v=spf1 ip4:203.0.113.0/24 -all', 'ip4:203.0.113.5');
    expect(covered).toMatchObject({ record: 'v=spf1 ip4:203.0.113.0/24 -all', changed: false });
    expect(covered.notes).toEqual(['ip4:203.0.113.5 is already covered by ip4:203.0.113.0/24.']);
    expect(mergeSpf('v=spf1 ip6:2001:db8::/32 -all', 'ip6:2001:db8::5').changed).toBe(false);
    // A range that does not cover it, or a refusing one, does not count.
    expect(mergeSpf('v=spf1 ip4:203.0.114.0/24 -all', 'ip4:203.0.113.5').changed).toBe(true);
    expect(mergeSpf('v=spf1 -ip4:203.0.113.0/24 -all', 'ip4:203.0.113.5').record).toBe(
      'v=spf1 -ip4:203.0.113.0/24 ip4:203.0.113.5 -all',
    );
  });

  it('turns a refusing copy of the term, or one written with "=", into the term', () => {
    const minus = mergeSpf('v=spf1 -include:mailgun.org ~all', 'include:mailgun.org');
    expect(minus.record).toBe('v=spf1 include:mailgun.org ~all');
    expect(minus.notes.join(' ')).toMatch(/Changed -include:mailgun\.org to include:mailgun\.org/);
    const typo = mergeSpf('v=spf1 include=mailgun.org ~all', 'include:mailgun.org');
    expect(typo.record).toBe('v=spf1 include:mailgun.org ~all');
    expect(typo.notes.join(' ')).toMatch(/receivers ignore it/);
  });

  it('strips pasted quotes and says so', () => {
    const r = mergeSpf('"v=spf1 mx -all"', 'include:mailgun.org');
    expect(r).toMatchObject({ record: 'v=spf1 mx include:mailgun.org -all', changed: true });
    expect(r.notes.join(' ')).toMatch(/quote marks/);
    expect(mergeSpf('"v=spf1 include:mailgun.org -all"', 'include:mailgun.org').changed).toBe(true);
  });

  it('refuses what is not an SPF record or not a single term to add', () => {
    expect(() => mergeSpf('hello', 'include:mailgun.org')).toThrow(/not an SPF record/);
    expect(() => mergeSpf(null, 'include:')).toThrow(MailroomError);
    expect(() => mergeSpf(null, '-all')).toThrow(/not a single SPF term/);
    expect(() => mergeSpf(null, 'redirect=x.example.com')).toThrow(/not a single SPF term/);
    expect(() => mergeSpf(null, 'include:a.example include:b.example')).toThrow(/not a single SPF term/);
  });
});

describe('mergeSpfRecords', () => {
  it('unites the terms in order, without duplicates, and adds the mechanism', () => {
    const r = mergeSpfRecords(
      ['v=spf1 include:_spf.google.com ip4:192.0.2.1 -all', 'v=spf1 ip4:192.0.2.1/32 mx -all'],
      'include:mailgun.org',
    );
    expect(r).toEqual({
      ok: true,
      record: 'v=spf1 include:_spf.google.com ip4:192.0.2.1 mx include:mailgun.org -all',
      changed: true,
      notes: ['Merged 2 SPF records into one.'],
    });
  });

  it('uses ~all when the records end differently, and replaces +all', () => {
    const r = mergeSpfRecords(['v=spf1 a -all', 'v=spf1 mx ~all'], null);
    expect(r).toMatchObject({ ok: true, record: 'v=spf1 a mx ~all' });
    if (r.ok) expect(r.notes.join(' ')).toMatch(/milder ~all/);
    expect(mergeSpfRecords(['v=spf1 a +all', 'v=spf1 mx -all'], null)).toMatchObject({
      ok: true,
      record: 'v=spf1 a mx ~all',
    });
    expect(mergeSpfRecords(['v=spf1 a', 'v=spf1 mx'], 'include:mailgun.org')).toMatchObject({
      ok: true,
      record: 'v=spf1 a mx include:mailgun.org ~all',
    });
  });

  it('turns a redirect into an include when the other record has terms', () => {
    const r = mergeSpfRecords(['v=spf1 redirect=_spf.host.example', 'v=spf1 include:mailgun.org ~all'], null);
    expect(r).toMatchObject({ ok: true, record: 'v=spf1 include:mailgun.org include:_spf.host.example ~all' });
    if (r.ok) expect(r.notes.join(' ')).toMatch(/redirect=_spf\.host\.example became include:_spf\.host\.example/);
    // The same redirect twice is just one redirect.
    expect(mergeSpfRecords(['v=spf1 redirect=a.example', 'v=spf1 redirect=a.example'], 'ip4:192.0.2.1')).toMatchObject({
      ok: true,
      record: 'v=spf1 ip4:192.0.2.1 redirect=a.example',
    });
  });

  it('keeps one exp= and every unknown modifier once; strips quotes', () => {
    const r = mergeSpfRecords(
      ['v=spf1 a -all exp=one.example x=1', '"v=spf1 mx -all exp=two.example x=1"'],
      'include:mailgun.org',
    );
    expect(r).toMatchObject({ ok: true, record: 'v=spf1 a mx include:mailgun.org -all exp=one.example x=1' });
    if (r.ok) expect(r.notes.join(' ')).toMatch(/dropped exp=two\.example.*quote marks|quote marks.*dropped/s);
  });

  it('refuses two different redirects and contradicting terms, with a sentence', () => {
    const redirects = mergeSpfRecords(['v=spf1 redirect=a.example', 'v=spf1 redirect=b.example'], null);
    expect(redirects).toEqual({
      ok: false,
      reason: expect.stringMatching(/hand over to different domains \(redirect=a\.example and redirect=b\.example\)/),
    });
    const contradict = mergeSpfRecords(['v=spf1 a -all', 'v=spf1 -a ~all'], null);
    expect(contradict).toEqual({ ok: false, reason: expect.stringMatching(/disagree about a/) });
  });

  it('handles one record or none like mergeSpf', () => {
    expect(mergeSpfRecords([], 'include:mailgun.org')).toMatchObject({
      ok: true,
      record: 'v=spf1 include:mailgun.org ~all',
    });
    expect(mergeSpfRecords(['v=spf1 -all'], 'include:mailgun.org')).toMatchObject({
      ok: true,
      record: 'v=spf1 include:mailgun.org -all',
    });
  });
});
