import crypto, { type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dkimPublicKeyValue, dkimRecordName, dkimTxtValue, splitTxtStrings } from '../../src/main/dkim/keys.ts';
import { checkDkim, type OwnDkimKey } from '../../src/main/dns/dkim-check.ts';
import { createDnsClient } from '../../src/main/dns/dns-client.ts';
import type { DnsCheck } from '../../src/shared/domain/dns.ts';
import { type DnsServer, type DnsZone, startDnsServer } from '../helpers/dns-server.ts';

// checkDkim against a real DNS server on a loopback port, asked through Mailroom's real
// DNS client, with real keys. Every verdict that is not ok must name the problem in a
// sentence and give a fix that carries the exact record to publish.

const DOMAIN = 'shop.example';
const RSA_SELECTOR = 'mr202611';
const ED_SELECTOR = 'mr202611e';
const RSA_NAME = dkimRecordName(RSA_SELECTOR, DOMAIN);
const ED_NAME = dkimRecordName(ED_SELECTOR, DOMAIN);

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const smallRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
const ed = crypto.generateKeyPairSync('ed25519');

/** The key as Mailroom stores it next to the private half (see DkimService / keys.ts). */
function own(selector: string, algorithm: string, publicKey: KeyObject): OwnDkimKey {
  return { selector, algorithm, publicKey: dkimPublicKeyValue(publicKey) };
}

const RSA_KEY = own(RSA_SELECTOR, 'rsa-2048', rsa.publicKey);
const ED_KEY = own(ED_SELECTOR, 'ed25519', ed.publicKey);
const SMALL_KEY = own(RSA_SELECTOR, 'rsa', smallRsa.publicKey);
/** The exact value Mailroom asks people to publish. */
const RSA_VALUE = dkimTxtValue(RSA_KEY.algorithm, RSA_KEY.publicKey);
const ED_VALUE = dkimTxtValue(ED_KEY.algorithm, ED_KEY.publicKey);
const OTHER_P = dkimPublicKeyValue(otherRsa.publicKey);
/** The same public key written as PKCS#1 RSAPublicKey instead of SubjectPublicKeyInfo. */
const RSA_PKCS1_P = rsa.publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');

/** One TXT record, cut into DNS character-strings (a 2048-bit key does not fit in one). */
const txt = (value: string, size = 255): string[] => splitTxtStrings(value, size);

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer({});
});
afterAll(async () => {
  await dns.close();
});

async function check(
  zone: DnsZone,
  keys: OwnDkimKey[] = [RSA_KEY],
  opts: { pending?: boolean; timeoutMs?: number } = {},
): Promise<DnsCheck> {
  dns.setZone({ [DOMAIN]: { A: ['192.0.2.10'] }, ...zone });
  const client = createDnsClient({
    servers: [{ host: '127.0.0.1', port: dns.port }],
    timeoutMs: opts.timeoutMs ?? 3000,
  });
  const result = await checkDkim(DOMAIN, keys, client, { pending: opts.pending ?? false });
  expect(result.record).toBe('dkim');
  return result;
}

/** A full sentence about the problem, and (unless all is well) a fix with the exact value to publish. */
function expectExplained(c: DnsCheck, expectedValue: string | null): void {
  expect(c.message).toMatch(/^\S.* .*\.$/s);
  if (c.status === 'ok') {
    expect(c.fix).toBeNull();
    return;
  }
  expect(c.fix).toMatch(/^[A-Z].* /s);
  if (expectedValue !== null) expect(c.fix).toContain(expectedValue);
  else expect(c.fix).toMatch(/\.$/);
}

describe('checkDkim: the published key is Mailroom’s key', () => {
  it('the exact record Mailroom shows: ok, with the key size as a detail', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(RSA_VALUE)] } });
    expect(c.status).toBe('ok');
    expect(c.message).toBe(
      `DKIM is set up: ${RSA_NAME} publishes the key Mailroom signs with (selector ${RSA_SELECTOR}).`,
    );
    expect(c.details).toEqual(['The key is RSA, 2048 bits.']);
    expectExplained(c, null);
  });

  it('the same key written as PKCS#1 (RSAPublicKey) instead of SubjectPublicKeyInfo: ok', async () => {
    expect(RSA_PKCS1_P).not.toBe(RSA_KEY.publicKey);
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; p=${RSA_PKCS1_P}`)] } });
    expect(c.status).toBe('ok');
    expect(c.message).toContain(`selector ${RSA_SELECTOR}`);
  });

  it('the record split into many short character-strings is joined back whole: ok', async () => {
    const strings = txt(RSA_VALUE, 40);
    expect(strings.length).toBeGreaterThan(5);
    const c = await check({ [RSA_NAME]: { TXT: [strings] } });
    expect(c.status).toBe('ok');
  });

  it('a key wrapped with spaces inside p= (as some DNS panels do) is read without the spaces: ok', async () => {
    const wrapped = RSA_KEY.publicKey.match(/.{1,64}/g)?.join(' ') ?? '';
    expect(wrapped).toContain(' ');
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; p=${wrapped}`)] } });
    expect(c.status).toBe('ok');
    expect(c.details).toEqual(['The key is RSA, 2048 bits.']);
  });

  it('an Ed25519 key published as Mailroom shows it (k=ed25519, raw 32-byte key): ok', async () => {
    expect(Buffer.from(ED_KEY.publicKey, 'base64')).toHaveLength(32);
    const c = await check({ [ED_NAME]: { TXT: [ED_VALUE] } }, [ED_KEY]);
    expect(c.status).toBe('ok');
    expect(c.message).toContain(`selector ${ED_SELECTOR}`);
    expect(c.details).toEqual(['The key is Ed25519.']);
  });

  it('t=y (testing): ok, with a detail line saying receivers may treat the mail as unsigned', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; t=y; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('ok');
    expect(c.details).toHaveLength(2);
    expect(c.details[1]).toMatch(/t=y \("testing"\).*unsigned.*Remove t=y/);
  });

  it('a matching 1024-bit RSA key: warning that says to make a 2048-bit key', async () => {
    const value = dkimTxtValue(SMALL_KEY.algorithm, SMALL_KEY.publicKey);
    const c = await check({ [RSA_NAME]: { TXT: [txt(value)] } }, [SMALL_KEY]);
    expect(c.status).toBe('warning');
    expect(c.message).toMatch(/matches Mailroom's key, but the key is only 1024 bits/);
    expect(c.fix).toMatch(/new 2048-bit key/);
    expect(c.details).toEqual(['The key is RSA, 1024 bits.']);
    expectExplained(c, null);
  });
});

describe('checkDkim: how the key is written does not change the verdict', () => {
  it('a matching 1024-bit key written as PKCS#1: still the 1024-bit warning', async () => {
    const pkcs1 = smallRsa.publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; p=${pkcs1}`)] } }, [SMALL_KEY]);
    expect(c.status).toBe('warning');
    expect(c.message).toMatch(/only 1024 bits/);
  });

  it('t= written with spaces (t=s : y) is still read as testing; the 1024-bit warning keeps that detail', async () => {
    const value = `v=DKIM1; k=rsa; t=s : y; p=${SMALL_KEY.publicKey}`;
    const c = await check({ [RSA_NAME]: { TXT: [txt(value)] } }, [SMALL_KEY]);
    expect(c.status).toBe('warning');
    expect(c.details).toEqual(['The key is RSA, 1024 bits.', expect.stringMatching(/t=y \("testing"\)/)]);
  });

  it('a different valid key written as PKCS#1 is called different, not incomplete', async () => {
    const pkcs1 = otherRsa.publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; p=${pkcs1}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/holds a different public key \(perhaps an older key/);
  });

  it('Mailroom’s Ed25519 key published without k=: error saying no k= means RSA', async () => {
    const c = await check({ [ED_NAME]: { TXT: [`v=DKIM1; p=${ED_KEY.publicKey}`] } }, [ED_KEY]);
    expect(c.status).toBe('error');
    expect(c.message).toBe(
      `The DKIM record at ${ED_NAME} has no k= tag, which means an RSA key, but Mailroom's key for selector ${ED_SELECTOR} is Ed25519.`,
    );
    expect(c.fix).toBe(`Replace its value with: ${ED_VALUE}`);
  });

  it('another Ed25519 key (32 bytes, valid) is different; a cut one is incomplete', async () => {
    const other = dkimPublicKeyValue(crypto.generateKeyPairSync('ed25519').publicKey);
    const c = await check({ [ED_NAME]: { TXT: [`v=DKIM1; k=ed25519; p=${other}`] } }, [ED_KEY]);
    expect(c.message).toMatch(/holds a different public key/);
    const cut = await check({ [ED_NAME]: { TXT: [`v=DKIM1; k=ed25519; p=${ED_KEY.publicKey.slice(0, 20)}`] } }, [
      ED_KEY,
    ]);
    expect(cut.message).toMatch(/incomplete or damaged public key/);
  });
});

describe('checkDkim: a record that is there but wrong', () => {
  it('a different key (an old one, or another service’s): error, fix is Mailroom’s exact value', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; p=${OTHER_P}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toBe(
      `The DKIM record at ${RSA_NAME} holds a different public key (perhaps an older key, or one from another service), so Mailroom's signatures will fail.`,
    );
    expect(c.fix).toBe(`Replace its value with exactly: ${RSA_VALUE}`);
    expectExplained(c, RSA_VALUE);
  });

  it('a truncated key (part of the paste missing): error that says the key may be incomplete', async () => {
    const cut = RSA_KEY.publicKey.slice(0, 250);
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; p=${cut}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/incomplete or damaged public key/);
    expect(c.message).toMatch(/part of the value may be missing/);
    expectExplained(c, RSA_VALUE);
  });

  it('k=ed25519 on Mailroom’s RSA key: error naming both key types', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=ed25519; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/k=ed25519, but Mailroom's key for selector mr202611 is RSA/);
    expectExplained(c, RSA_VALUE);
  });

  it('h=sha1 (a key limited to SHA-1): error, because Mailroom signs with sha256', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; h=sha1; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/allows only h=sha1, but Mailroom signs with sha256/);
    expect(c.fix).toMatch(/^Remove h=sha1 from the record/);
    expectExplained(c, RSA_VALUE);
  });

  it('h=sha1:sha256 (sha256 among the allowed hashes): ok', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; h=sha1:sha256; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('ok');
  });

  it('s=tlsrpt (a key for another service): error, because the key is not for email', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; s=tlsrpt; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/s=tlsrpt: the key is not for email/);
    expect(c.fix).toMatch(/^Remove s=tlsrpt from the record/);
    expectExplained(c, RSA_VALUE);
  });

  it.each(['email', '*', 'tlsrpt:email'])('s=%s (email allowed): ok', async (s) => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; s=${s}; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('ok');
  });

  it('an empty p= (the key was withdrawn): error that says so', async () => {
    const c = await check({ [RSA_NAME]: { TXT: ['v=DKIM1; k=rsa; p='] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/has an empty key \(p=\).*withdrawn/);
    expectExplained(c, RSA_VALUE);
  });

  it('no p= at all: error that says the public key is missing', async () => {
    const c = await check({ [RSA_NAME]: { TXT: ['v=DKIM1; k=rsa'] } });
    expect(c.status).toBe('error');
    expect(c.message).toBe(`The DKIM record at ${RSA_NAME} has no public key (p=).`);
    expectExplained(c, RSA_VALUE);
  });

  it('v=DKIM2: error that says the record must start with v=DKIM1', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM2; k=rsa; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/must start with v=DKIM1 \(found v=DKIM2\)/);
    expectExplained(c, RSA_VALUE);
  });

  it('v=DKIM1 not first in the record: error that says it must come first', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`k=rsa; v=DKIM1; p=${RSA_KEY.publicKey}`)] } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/must start with v=DKIM1 \(found it later in the record\)/);
    expectExplained(c, RSA_VALUE);
  });

  it('two DKIM records at the name: error, keep only one', async () => {
    const c = await check({
      [RSA_NAME]: { TXT: [txt(RSA_VALUE), txt(`v=DKIM1; k=rsa; p=${OTHER_P}`)] },
    });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/has 2 DKIM records.*signatures fail at random/);
    expect(c.fix).toBe(`Keep only one TXT record at ${RSA_NAME}, with the value: ${RSA_VALUE}`);
    expectExplained(c, RSA_VALUE);
  });

  it('a TXT record at the name that is not DKIM: error quoting it, fix replaces it', async () => {
    const c = await check({ [RSA_NAME]: { TXT: ['google-site-verification=abc123'] } });
    expect(c.status).toBe('error');
    expect(c.message).toBe(`The TXT record at ${RSA_NAME} is not a DKIM key: "google-site-verification=abc123".`);
    expect(c.fix).toBe(`Replace it with the value: ${RSA_VALUE}`);
    expectExplained(c, RSA_VALUE);
  });
});

describe('checkDkim: aliases', () => {
  it('a CNAME to a name that holds the key: ok, and a detail names the alias', async () => {
    const target = 'mr202611.keys.dns-host.example';
    const c = await check({
      [RSA_NAME]: { CNAME: target },
      [target]: { TXT: [txt(RSA_VALUE)] },
    });
    expect(c.status).toBe('ok');
    expect(c.message).toContain(`${RSA_NAME} (an alias for ${target})`);
    expect(c.details).toContain(`${RSA_NAME} is an alias (CNAME) for ${target}; the key is read from there.`);
  });

  it('a CNAME to a name with no record: error that says to delete the CNAME and publish the key', async () => {
    const target = 'gone.dns-host.example';
    const c = await check({ [RSA_NAME]: { CNAME: target } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(
      new RegExp(`points \\(CNAME\\) to ${target.replace(/\./g, '\\.')}, which has no DKIM record`),
    );
    expect(c.fix).toMatch(
      new RegExp(`^Delete the CNAME record at ${RSA_NAME.replace(/\./g, '\\.')}, then publish a TXT record`),
    );
    expectExplained(c, RSA_VALUE);
  });
});

describe('checkDkim: nothing there, or no answer', () => {
  it('nothing published: error, fix is the record to publish', async () => {
    const c = await check({});
    expect(c.status).toBe('error');
    expect(c.message).toBe(`There is no DKIM record at ${RSA_NAME}, so receivers cannot check Mailroom's signature.`);
    expect(c.fix).toBe(`Publish a TXT record named ${RSA_NAME} with the value: ${RSA_VALUE}`);
    expectExplained(c, RSA_VALUE);
  });

  it('nothing published yet, right after the wizard showed it: pending, check again later', async () => {
    const c = await check({}, [RSA_KEY], { pending: true });
    expect(c.status).toBe('pending');
    expect(c.message).toMatch(/not visible yet/);
    expect(c.fix).toMatch(/^Check again in a few minutes/);
    expectExplained(c, RSA_VALUE);
  });

  it('SERVFAIL for the name: error that points at the DNS host', async () => {
    const c = await check({ [RSA_NAME]: { behaviour: 'servfail' } });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/^Could not check the DKIM record at .*SERVFAIL/);
    expect(c.fix).toMatch(/DNS host/);
    expectExplained(c, null);
  });

  it('no answer at all (timeout): warning, check again', async () => {
    const c = await check({ [RSA_NAME]: { behaviour: 'timeout' } }, [RSA_KEY], { timeoutMs: 300 });
    expect(c.status).toBe('warning');
    expect(c.message).toBe(`Could not check the DKIM record at ${RSA_NAME}: the DNS server did not answer in time.`);
    expect(c.fix).toMatch(/^Check again in a minute/);
    expectExplained(c, null);
  });
});

describe('checkDkim: the keys Mailroom has', () => {
  it('no key at all: error that says to create one', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(RSA_VALUE)] } }, []);
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/no DKIM key for shop\.example.*unsigned/);
    expect(c.fix).toMatch(/^Create a key .*mailroom dkim generate shop\.example/);
    expectExplained(c, null);
  });

  it('RSA and Ed25519 keys, both published: ok, both selectors named', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(RSA_VALUE)] }, [ED_NAME]: { TXT: [ED_VALUE] } }, [RSA_KEY, ED_KEY]);
    expect(c.status).toBe('ok');
    expect(c.message).toContain(`selector ${RSA_SELECTOR}`);
    expect(c.message).toContain(`selector ${ED_SELECTOR}`);
  });

  it('RSA and Ed25519 keys, the Ed25519 record missing: error with the missing one’s message and fix', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(RSA_VALUE)] } }, [RSA_KEY, ED_KEY]);
    expect(c.status).toBe('error');
    expect(c.message).toBe(`There is no DKIM record at ${ED_NAME}, so receivers cannot check Mailroom's signature.`);
    expect(c.fix).toBe(`Publish a TXT record named ${ED_NAME} with the value: ${ED_VALUE}`);
    // The key that is fine is still reported, below.
    expect(c.details[0]).toMatch(new RegExp(`^DKIM is set up: .*selector ${RSA_SELECTOR}\\)\\.$`));
    expectExplained(c, ED_VALUE);
  });

  it('RSA wrong and Ed25519 not visible yet: the error wins over pending', async () => {
    const c = await check({ [RSA_NAME]: { TXT: [txt(`v=DKIM1; k=rsa; p=${OTHER_P}`)] } }, [RSA_KEY, ED_KEY], {
      pending: true,
    });
    expect(c.status).toBe('error');
    expect(c.message).toMatch(/different public key/);
    expect(c.fix).toContain(RSA_VALUE);
    expect(c.details.join('\n')).toMatch(/not visible yet/);
  });
});
