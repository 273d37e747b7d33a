import { describe, expect, it } from 'vitest';
import { readQuotedPath } from '../../src/main/relay/quoted-local-part.ts';

describe('quoted local parts (RFC 5321 Quoted-string)', () => {
  it('reads the quoted local part and leaves the domain and parameters for smtp-server', () => {
    expect(readQuotedPath('<"a b"@dest.test>')).toEqual({ kind: 'local', localPart: '"a b"', rest: 'dest.test>' });
    expect(readQuotedPath(' <"a@b"@example.test> NOTIFY=FAILURE')).toEqual({
      kind: 'local',
      localPart: '"a@b"',
      rest: 'example.test> NOTIFY=FAILURE',
    });
    // A source route is accepted and ignored (RFC 5321 appendix C).
    expect(readQuotedPath('<@relay.test,@other.test:"x y"@dest.test>')).toMatchObject({ localPart: '"x y"' });
    // UTF-8 inside the quotes (RFC 6531).
    expect(readQuotedPath('<"Jürgen M"@dest.test>')).toMatchObject({ localPart: '"Jürgen M"' });
  });

  it('writes one spelling per mailbox: no quotes where none are needed, only " and \\ escaped', () => {
    expect(readQuotedPath('<"john.smith"@dest.test>')).toMatchObject({ localPart: 'john.smith' });
    expect(readQuotedPath('<"a\\ b"@dest.test>')).toMatchObject({ localPart: '"a b"' });
    expect(readQuotedPath('<"say \\"hi\\""@dest.test>')).toMatchObject({ localPart: '"say \\"hi\\""' });
    expect(readQuotedPath('<"back\\\\slash"@dest.test>')).toMatchObject({ localPart: '"back\\\\slash"' });
    expect(readQuotedPath('<"a..b"@dest.test>')).toMatchObject({ localPart: '"a..b"' });
  });

  it('leaves addresses without a quoted local part to smtp-server', () => {
    expect(readQuotedPath('<a@dest.test>')).toBeNull();
    expect(readQuotedPath('<>')).toBeNull();
    expect(readQuotedPath('a@dest.test')).toBeNull();
    expect(readQuotedPath('<a"b"@dest.test>')).toBeNull();
  });

  it('refuses an invalid quoted local part with a sentence', () => {
    const reason = (args: string) => {
      const r = readQuotedPath(args);
      return r?.kind === 'invalid' ? r.reason : JSON.stringify(r);
    };
    expect(reason('<"a b@dest.test>')).toMatch(/never closed/);
    expect(reason('<"a b"dest.test>')).toMatch(/followed by @ and a domain/);
    expect(reason('<"a\tb"@dest.test>')).toMatch(/control character/);
    expect(reason('<"a\u200bb"@dest.test>')).toMatch(/control character/);
    expect(reason('<"a\\\u0001"@dest.test>')).toMatch(/backslash/);
    expect(reason('<""@dest.test>')).toMatch(/empty/);
    expect(reason(`<"${'x'.repeat(64)} "@dest.test>`)).toMatch(/longer than 64/);
    expect(reason('<"a>b"@dest.test>')).toMatch(/< or >/);
    const r = readQuotedPath('<"a\tb"@dest.test> SIZE=10');
    expect(r).toMatchObject({ kind: 'invalid', address: '<"a?b"@dest.test>' });
  });
});
