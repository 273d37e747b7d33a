import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  defaultSelector,
  dkimRecordName,
  dkimTxtValue,
  generateDkimKey,
  generateDkimKeyAsync,
  importDkimKey,
  splitTxtStrings,
  validateSelector,
} from '../../src/main/dkim/keys.ts';
import { MailroomError } from '../../src/shared/errors.ts';

/** The error a call throws, so code and sentence can both be checked. */
function thrown(fn: () => unknown): MailroomError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MailroomError);
    return err as MailroomError;
  }
  throw new Error('expected the call to throw');
}

/** A line of the base64 body of a PEM: errors must never quote key material. */
function pemBodyLine(pem: string): string {
  return pem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----')) ?? 'unreachable';
}

function signsAndVerifies(privateKeyPem: string, publicKey: string, algorithm: string): boolean {
  const data = Buffer.from('round trip');
  const priv = crypto.createPrivateKey(privateKeyPem);
  if (algorithm === 'ed25519') {
    // p= is the raw key: rebuild the SPKI around it (RFC 8410 prefix).
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKey, 'base64')]);
    const pub = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return crypto.verify(null, data, pub, crypto.sign(null, data, priv));
  }
  const pub = crypto.createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
  return crypto.verify('sha256', data, pub, crypto.sign('sha256', data, priv));
}

describe('generateDkimKey', () => {
  it('makes an RSA-2048 key: PKCS#8 private key, p= is the DER SubjectPublicKeyInfo', () => {
    const k = generateDkimKey('rsa-2048');
    expect(k.algorithm).toBe('rsa-2048');
    expect(k.bits).toBe(2048);
    expect(k.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const pub = crypto.createPublicKey({ key: Buffer.from(k.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(signsAndVerifies(k.privateKeyPem, k.publicKey, k.algorithm)).toBe(true);
  });

  it('makes an Ed25519 key whose p= is the raw 32-byte public key (RFC 8463)', async () => {
    const k = await generateDkimKeyAsync('ed25519');
    expect(k.algorithm).toBe('ed25519');
    expect(k.bits).toBeNull();
    expect(k.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const raw = Buffer.from(k.publicKey, 'base64');
    expect(raw.length).toBe(32);
    const spki = crypto.createPublicKey(k.privateKeyPem).export({ type: 'spki', format: 'der' });
    expect(spki.subarray(-32).equals(raw)).toBe(true);
    expect(signsAndVerifies(k.privateKeyPem, k.publicKey, k.algorithm)).toBe(true);
  });

  it('refuses an algorithm it does not know', () => {
    expect(thrown(() => generateDkimKey('dsa' as 'ed25519')).code).toBe('VALIDATION');
  });
});

describe('importDkimKey', () => {
  const rsa2048 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const rsa1024 = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  const ed = crypto.generateKeyPairSync('ed25519').privateKey;

  it('reads PKCS#1 RSA and hands back PKCS#8 with the same public key', () => {
    const generated = generateDkimKey('rsa-2048');
    const pkcs1 = crypto.createPrivateKey(generated.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs1).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const k = importDkimKey(pkcs1);
    expect(k).toMatchObject({ algorithm: 'rsa-2048', bits: 2048, publicKey: generated.publicKey });
    expect(k.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(importDkimKey(generated.privateKeyPem)).toEqual(k);
  });

  it('reads PKCS#8 RSA of another size as "rsa", 1024 bits being the smallest accepted', () => {
    const k = importDkimKey(rsa1024.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(k.algorithm).toBe('rsa');
    expect(k.bits).toBe(1024);
    expect(signsAndVerifies(k.privateKeyPem, k.publicKey, k.algorithm)).toBe(true);
  });

  it('reads an Ed25519 PKCS#8 key, with surrounding text and CRLF line ends', () => {
    const pem = ed.export({ type: 'pkcs8', format: 'pem' }).toString();
    const k = importDkimKey(`my dkim key\r\n${pem.replace(/\n/g, '\r\n')}\r\n`);
    expect(k.algorithm).toBe('ed25519');
    expect(k.bits).toBeNull();
    expect(k.publicKey).toBe(
      crypto.createPublicKey(ed).export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64'),
    );
  });

  it('accepts a file holding the key together with a certificate', () => {
    const pem = rsa2048.export({ type: 'pkcs8', format: 'pem' }).toString();
    const file = `-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n${pem}`;
    expect(importDkimKey(file).algorithm).toBe('rsa-2048');
  });

  it('refuses an RSA key under 1024 bits, saying so', () => {
    const pem = crypto
      .generateKeyPairSync('rsa', { modulusLength: 512 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const err = thrown(() => importDkimKey(pem));
    expect(err.code).toBe('DKIM_KEY');
    expect(err.message).toMatch(/only 512 bits.*2048-bit key/);
    expect(err.message).not.toContain(pemBodyLine(pem));
  });

  it('refuses public keys (SPKI and PKCS#1)', () => {
    for (const type of ['spki', 'pkcs1'] as const) {
      const pem = crypto.createPublicKey(rsa2048).export({ type, format: 'pem' }).toString();
      const err = thrown(() => importDkimKey(pem));
      expect(err.code).toBe('DKIM_KEY');
      expect(err.message).toMatch(/public key; signing needs the private key/);
    }
  });

  it('refuses passphrase-protected keys (PKCS#8 and traditional PEM), saying how to decrypt', () => {
    const pkcs8 = rsa2048.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' });
    const pkcs1 = rsa2048.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' });
    for (const pem of [pkcs8.toString(), pkcs1.toString()]) {
      const err = thrown(() => importDkimKey(pem));
      expect(err.code).toBe('DKIM_KEY');
      expect(err.message).toMatch(/passphrase.*openssl pkey/);
      expect(err.message).not.toContain(pemBodyLine(pem));
    }
  });

  it('refuses a certificate, an EC key and garbage, each with its own sentence', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUSomething\n-----END CERTIFICATE-----\n';
    expect(thrown(() => importDkimKey(cert)).message).toMatch(/certificate, not a private key/);
    const ec = crypto
      .generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'sec1', format: 'pem' })
      .toString();
    expect(thrown(() => importDkimKey(ec)).message).toMatch(/EC \(ECDSA\) key; DKIM signs with RSA or Ed25519/);
    const ecPkcs8 = crypto
      .generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(thrown(() => importDkimKey(ecPkcs8)).message).toMatch(/RSA or Ed25519 keys only/);
    expect(thrown(() => importDkimKey('hello world')).message).toMatch(/No private key was found/);
    expect(thrown(() => importDkimKey('')).message).toMatch(/empty/);
    const damaged =
      '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIHRleHQgaW4gYmFzZTY0\n-----END PRIVATE KEY-----\n';
    const err = thrown(() => importDkimKey(damaged));
    expect(err.code).toBe('DKIM_KEY');
    expect(err.message).toMatch(/could not be read/);
    expect(err.message).not.toContain('bm90IGEga2V5');
  });
});

describe('TXT record', () => {
  it('builds the value with k=rsa or k=ed25519', () => {
    expect(dkimTxtValue('rsa-2048', 'AAA')).toBe('v=DKIM1; k=rsa; p=AAA');
    expect(dkimTxtValue('rsa', 'AAA')).toBe('v=DKIM1; k=rsa; p=AAA');
    expect(dkimTxtValue('ed25519', 'BBB')).toBe('v=DKIM1; k=ed25519; p=BBB');
  });

  it('splits an RSA-2048 value into strings of at most 255 characters', () => {
    const value = dkimTxtValue('rsa-2048', generateDkimKey('rsa-2048').publicKey);
    expect(value.length).toBeGreaterThan(255);
    const strings = splitTxtStrings(value);
    expect(strings.length).toBe(2);
    expect(strings[0]?.length).toBe(255);
    expect(strings.join('')).toBe(value);
    expect(splitTxtStrings('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(splitTxtStrings('abc', 3)).toEqual(['abc']);
    expect(splitTxtStrings('')).toEqual(['']);
  });

  it('names the record selector._domainkey.domain', () => {
    expect(dkimRecordName('mr202611', 'example.com')).toBe('mr202611._domainkey.example.com');
    expect(dkimRecordName('Sel.A', 'Example.COM')).toBe('sel.a._domainkey.example.com');
  });
});

describe('selectors', () => {
  it('accepts RFC 6376 selectors and returns them in lower case', () => {
    expect(validateSelector('mr202611')).toBe('mr202611');
    expect(validateSelector('MR2026-a.Region1')).toBe('mr2026-a.region1');
    expect(validateSelector('1')).toBe('1');
    expect(validateSelector('a'.repeat(63))).toBe('a'.repeat(63));
  });

  it('refuses what is not a selector, with a sentence', () => {
    for (const bad of ['', ' ', '-a', 'a-', 'a..b', '.a', 'a.', 'a_b', 'a b', 'sél', 'a'.repeat(64), 'a/b']) {
      const err = thrown(() => validateSelector(bad));
      expect(err.code).toBe('VALIDATION');
      expect(err.message).toMatch(/selector/);
    }
  });

  it('defaults to mr<year><month>, with an e for Ed25519', () => {
    const nov = new Date(Date.UTC(2026, 10, 15, 12));
    expect(defaultSelector('rsa-2048', nov)).toBe('mr202611');
    expect(defaultSelector('ed25519', nov)).toBe('mr202611e');
    expect(defaultSelector('rsa-2048', new Date(Date.UTC(2027, 0, 3)))).toBe('mr202701');
    expect(validateSelector(defaultSelector('ed25519'))).toBe(defaultSelector('ed25519'));
  });
});
