// DKIM keys: generating, importing, and the DNS TXT record that publishes the public half.
//
// RSA public keys are published as base64 of the DER SubjectPublicKeyInfo (RFC 6376
// §3.6.1); Ed25519 public keys as base64 of the raw 32-byte key (RFC 8463 §4.2).
// Private keys are always handed on as unencrypted PKCS#8 PEM, whatever came in.
import crypto, { type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { MailroomError } from '../../shared/errors.ts';

export type DkimAlgorithm = 'rsa-2048' | 'ed25519';
/** What a stored key says: 'rsa' is an imported RSA key of a size other than 2048 bits. */
export type StoredDkimAlgorithm = DkimAlgorithm | 'rsa';

export const DKIM_ALGORITHMS: readonly DkimAlgorithm[] = ['rsa-2048', 'ed25519'];

export interface DkimKeyMaterial {
  algorithm: StoredDkimAlgorithm;
  /** Unencrypted PKCS#8 PEM. Goes to the secret store and nowhere else. */
  privateKeyPem: string;
  /** The p= value of the TXT record. */
  publicKey: string;
  /** RSA modulus size; null for Ed25519. */
  bits: number | null;
}

const MIN_RSA_BITS = 1024;

export function isDkimAlgorithm(text: string): text is DkimAlgorithm {
  return (DKIM_ALGORITHMS as readonly string[]).includes(text);
}

/** Generates a key pair synchronously (RSA-2048 takes a noticeable fraction of a second). */
export function generateDkimKey(alg: DkimAlgorithm): DkimKeyMaterial {
  if (alg === 'ed25519') return describeKey(crypto.generateKeyPairSync('ed25519').privateKey);
  if (alg === 'rsa-2048') {
    return describeKey(crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 }).privateKey);
  }
  throw unknownAlgorithm(alg);
}

const generateKeyPair = promisify(crypto.generateKeyPair);

/** Same as generateDkimKey, without blocking the event loop while the key is made. */
export async function generateDkimKeyAsync(alg: DkimAlgorithm): Promise<DkimKeyMaterial> {
  if (alg === 'ed25519') return describeKey((await generateKeyPair('ed25519')).privateKey);
  if (alg === 'rsa-2048') {
    return describeKey((await generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 })).privateKey);
  }
  throw unknownAlgorithm(alg);
}

function unknownAlgorithm(alg: string): MailroomError {
  return new MailroomError(
    'VALIDATION',
    `"${alg}" is not a DKIM key type Mailroom can make. Use ${DKIM_ALGORITHMS.join(' or ')}.`,
  );
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Reads a private key the user already has (PEM: PKCS#1 "RSA PRIVATE KEY" or PKCS#8
 * "PRIVATE KEY"). Refusals never quote the input: it may be a private key.
 */
export function importDkimKey(pem: string): DkimKeyMaterial {
  const text = typeof pem === 'string' ? pem.trim() : '';
  if (!text) {
    throw new MailroomError('DKIM_KEY', 'The key file is empty. Give the PEM file that holds the private key.');
  }
  const labels = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] ?? '', block: m[0] }));
  const keyBlock = labels.find((b) => b.label === 'PRIVATE KEY' || b.label === 'RSA PRIVATE KEY');
  if (!keyBlock) throw refusalFor(labels.map((b) => b.label));
  if (/Proc-Type:\s*4,\s*ENCRYPTED/i.test(keyBlock.block)) throw encryptedKey();

  let key: KeyObject;
  try {
    key = crypto.createPrivateKey({ key: keyBlock.block, format: 'pem' });
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ERR_MISSING_PASSPHRASE') throw encryptedKey();
    throw new MailroomError(
      'DKIM_KEY',
      'The private key in that file could not be read: the PEM block is damaged or not an RSA or Ed25519 key. Export the key again as PEM and retry.',
    );
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new MailroomError(
        'DKIM_KEY',
        `That RSA key has only ${bits} bits; receivers ignore DKIM keys under ${MIN_RSA_BITS} bits. Use a 2048-bit key, or let Mailroom generate one.`,
      );
    }
  } else if (type !== 'ed25519') {
    throw new MailroomError(
      'DKIM_KEY',
      `That is ${type ? `an ${type.toUpperCase()}` : 'an unknown kind of'} key; DKIM signs with RSA or Ed25519 keys only. Give an RSA or Ed25519 private key, or let Mailroom generate one.`,
    );
  }
  const material = describeKey(key);
  // A key whose parts do not fit together parses fine and signs garbage: try it once.
  const probe = Buffer.from('mailroom dkim import check');
  const alg = type === 'rsa' ? 'sha256' : null;
  let works = false;
  try {
    works = crypto.verify(alg, probe, crypto.createPublicKey(key), crypto.sign(alg, probe, key));
  } catch {
    works = false;
  }
  if (!works) {
    throw new MailroomError(
      'DKIM_KEY',
      'That private key is inconsistent (it cannot make a signature its own public key accepts). Export it again, or let Mailroom generate a new one.',
    );
  }
  return material;
}

function encryptedKey(): MailroomError {
  return new MailroomError(
    'DKIM_KEY',
    'That private key is protected with a passphrase. Remove the passphrase first (for example: openssl pkey -in key.pem -out key-plain.pem) and import the plain file.',
  );
}

function refusalFor(labels: string[]): MailroomError {
  if (labels.includes('ENCRYPTED PRIVATE KEY')) return encryptedKey();
  if (labels.some((l) => l.endsWith('PUBLIC KEY'))) {
    return new MailroomError(
      'DKIM_KEY',
      'That is a public key; signing needs the private key. Give the file that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----.',
    );
  }
  if (labels.some((l) => l.includes('CERTIFICATE'))) {
    return new MailroomError(
      'DKIM_KEY',
      'That is a certificate, not a private key. Give the file that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----.',
    );
  }
  if (labels.includes('OPENSSH PRIVATE KEY')) {
    return new MailroomError(
      'DKIM_KEY',
      'That is an OpenSSH key file. Convert it to PEM first (for example: ssh-keygen -p -m PEM -f <file>) or let Mailroom generate a key.',
    );
  }
  if (labels.includes('EC PRIVATE KEY')) {
    return new MailroomError(
      'DKIM_KEY',
      'That is an EC (ECDSA) key; DKIM signs with RSA or Ed25519 keys only. Give an RSA or Ed25519 private key, or let Mailroom generate one.',
    );
  }
  return new MailroomError(
    'DKIM_KEY',
    'No private key was found in that input. Give a PEM file that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----.',
  );
}

function describeKey(key: KeyObject): DkimKeyMaterial {
  const privateKeyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKey = dkimPublicKeyValue(key);
  if (key.asymmetricKeyType === 'ed25519') return { algorithm: 'ed25519', privateKeyPem, publicKey, bits: null };
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return { algorithm: bits === 2048 ? 'rsa-2048' : 'rsa', privateKeyPem, publicKey, bits };
}

/**
 * The p= value for a key (private or public): base64 of the DER SubjectPublicKeyInfo
 * for RSA, base64 of the raw 32-byte public key for Ed25519.
 */
export function dkimPublicKeyValue(key: KeyObject): string {
  const pub = key.type === 'public' ? key : crypto.createPublicKey(key);
  if (pub.asymmetricKeyType === 'ed25519') {
    const x = pub.export({ format: 'jwk' }).x;
    if (!x) throw new MailroomError('DKIM_KEY', 'The Ed25519 public key could not be derived. Generate the key again.');
    return Buffer.from(x, 'base64url').toString('base64');
  }
  return pub.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** The whole TXT value: `v=DKIM1; k=rsa; p=…` (k=ed25519 for Ed25519 keys). */
export function dkimTxtValue(algorithm: string, publicKey: string): string {
  const k = algorithm === 'ed25519' ? 'ed25519' : 'rsa';
  return `v=DKIM1; k=${k}; p=${publicKey}`;
}

/** Splits a TXT value into character-strings of at most `max` characters (DNS allows 255). */
export function splitTxtStrings(value: string, max = 255): string[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  if (value.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < value.length; i += max) out.push(value.slice(i, i + max));
  return out;
}

export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`.toLowerCase();
}

const SELECTOR_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/**
 * Checks an RFC 6376 selector (dot-separated labels of letters, digits and inner
 * hyphens, each at most 63 characters) and returns it in lower case.
 */
export function validateSelector(s: string): string {
  const selector = typeof s === 'string' ? s.trim() : '';
  const fail = (why: string) =>
    new MailroomError(
      'VALIDATION',
      `"${selector}" is not a usable DKIM selector: ${why}. Use letters, digits and hyphens, for example mr2026 or mail-1.`,
    );
  if (!selector) throw new MailroomError('VALIDATION', 'The DKIM selector is empty. Give one such as mr2026.');
  if (selector.length > 200) throw fail('it is too long');
  for (const label of selector.split('.')) {
    if (label.length === 0) throw fail('it has an empty part between dots');
    if (label.length > 63) throw fail('a part between dots is longer than 63 characters');
    if (!SELECTOR_LABEL.test(label)) {
      throw fail(
        /^-|-$/.test(label)
          ? 'a part may not start or end with a hyphen'
          : 'it may only contain letters, digits, hyphens and dots',
      );
    }
  }
  return selector.toLowerCase();
}

/** `mr<year><month>` (UTC), with an `e` suffix for Ed25519: mr202611, mr202611e. */
export function defaultSelector(alg: DkimAlgorithm | StoredDkimAlgorithm, now: Date = new Date()): string {
  const month = String(now.getUTCMonth() + 1).padStart(2, '0');
  return `mr${now.getUTCFullYear()}${month}${alg === 'ed25519' ? 'e' : ''}`;
}
