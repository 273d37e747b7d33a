import { describe, expect, it } from 'vitest';
import { addressKey, checkAddress, suppressionHashKey } from '../../src/main/contacts/address.ts';

function ok(raw: string) {
  const r = checkAddress(raw);
  if (!r.ok) throw new Error(`${raw}: ${r.reason}`);
  return r;
}
function refused(raw: string): string {
  const r = checkAddress(raw);
  if (r.ok) throw new Error(`${raw} was accepted as ${r.address}`);
  return r.reason;
}

describe('checkAddress', () => {
  it('keeps a plain address as typed and keys it in lowercase', () => {
    const r = ok('Anna.Muller@Example.COM');
    expect(r).toMatchObject({ address: 'Anna.Muller@Example.COM', key: 'anna.muller@example.com', normalised: [] });
    expect(r.utf8Local).toBe(false);
    expect(r.idn).toBe(false);
  });

  it('accepts every atext character in the local part', () => {
    expect(ok("o'brien+news!#$%&*/=?^_`{|}~-x@example.org").key).toBe("o'brien+news!#$%&*/=?^_`{|}~-x@example.org");
  });

  it('reports each normalisation it applies', () => {
    expect(ok('  anna@example.com ').normalised).toEqual(['Removed spaces around the address.']);
    expect(ok('mailto:anna@example.com').normalised).toEqual(['Removed "mailto:" in front of the address.']);
    const named = ok('Anna Müller <anna@example.com>');
    expect(named.address).toBe('anna@example.com');
    expect(named.normalised[0]).toContain('Took the address out of');
    expect(ok('"anna@example.com" <anna@example.com>').address).toBe('anna@example.com');
    const invisible = ok('\u200banna@example.com\ufeff');
    expect(invisible.address).toBe('anna@example.com');
    expect(invisible.normalised).toEqual(['Removed invisible characters around the address.']);
  });

  it('keys internationalised domains by their A-label and NFC local parts', () => {
    const r = ok('Jörg@Bücher.de');
    expect(r.key).toBe('jörg@xn--bcher-kva.de');
    expect(r.utf8Local).toBe(true);
    expect(r.idn).toBe(true);
    // o + combining diaeresis (NFD, as macOS writes file names) is the same person.
    expect(ok('jo\u0308rg@bücher.de').key).toBe(r.key);
    expect(ok('info@xn--bcher-kva.de').key).toBe('info@xn--bcher-kva.de');
  });

  it.each([
    ['', 'empty'],
    ['anna.example.com', 'no "@"'],
    ['anna@@example.com', 'more than one'],
    ['@example.com', 'before the "@"'],
    ['anna@', 'after the "@"'],
    ['.anna@example.com', 'dot'],
    ['anna.@example.com', 'dot'],
    ['an..na@example.com', 'dot'],
    ['an na@example.com', 'space'],
    ['an\u200bna@example.com', 'invisible'],
    ['anna@exa\u202emple.com', 'invisible'],
    ['"anna smith"@example.com', 'Quoted'],
    ['anna(x)@example.com', 'character'],
    ['anna@localhost', 'no dot'],
    ['anna@[192.0.2.1]', 'network address'],
    ['anna@192.0.2.1', 'network address'],
    ['anna@example..com', 'empty part'],
    ['anna@-example.com', 'hyphen'],
    ['anna@exa_mple.com', 'characters a domain cannot have'],
    ['anna@example.123', 'ends in a number'],
    ['anna@example。com', 'stand in for others'],
    ['anna@ｅxample.com', 'stand in for others'],
    ['a@x.com, b@y.com', '2 addresses'],
    ['a@x.com;b@y.com', '2 addresses'],
    ['a@x.com ::: b@y.com', '2 addresses'],
    ['"b@y.com" <a@x.com>', 'two addresses'],
    ['anna <anna@example.com', 'enclose'],
    [`${'a'.repeat(65)}@example.com`, '64'],
    [`a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(61)}.com`, 'longer than'],
  ])('refuses %j (%s)', (raw, why) => {
    expect(refused(raw)).toContain(why);
  });

  it('gives the same key to case variants, and a stable hash key for erased entries', () => {
    expect(addressKey('ANNA@EXAMPLE.COM')).toBe(addressKey('anna@example.com'));
    expect(suppressionHashKey('anna@example.com')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(suppressionHashKey('anna@example.com')).toBe(suppressionHashKey(addressKey('Anna@Example.com')));
    expect(() => addressKey('nope')).toThrow(/not a valid address/);
  });
});
