import crypto from 'node:crypto';
import type { DnsCheck } from '../../shared/domain/dns.ts';
import { dkimRecordName, dkimTxtValue } from '../dkim/keys.ts';
import type { DnsAnswer, DnsClient } from './dns-client.ts';
import { failedCheck, worst } from './status.ts';
import { clip, parseTagList, readTxt } from './txt.ts';

/** A key Mailroom signs with: the public half, as stored next to the private key. */
export interface OwnDkimKey {
  selector: string;
  algorithm: string;
  /** The p= value Mailroom publishes. */
  publicKey: string;
}

export interface DkimCheckOptions {
  /** The wizard showed the record recently: "not there yet" is propagation, not a mistake. */
  pending: boolean;
}

/**
 * Checks that the DKIM record at each selector Mailroom signs with publishes exactly
 * Mailroom's public key (RFC 6376 §3.6.1). "A record exists" is not enough: an old
 * key, a key from another service or a truncated paste all make every signature fail.
 */
export async function checkDkim(
  domain: string,
  keys: OwnDkimKey[],
  client: DnsClient,
  opts: DkimCheckOptions,
): Promise<DnsCheck> {
  if (keys.length === 0) {
    return {
      record: 'dkim',
      status: 'error',
      message: `Mailroom has no DKIM key for ${domain} yet, so your mail goes out unsigned and Gmail and Yahoo treat it as suspicious.`,
      fix: `Create a key in the wizard's "DKIM key" step (or run \`mailroom dkim generate ${domain}\`), then publish the record it shows.`,
      details: [],
    };
  }
  const results = await Promise.all(keys.map((key) => checkOneKey(domain, key, client, opts)));
  if (results.length === 1) return results[0] as DnsCheck;
  const status = worst(results.map((r) => r.status));
  const first = results.find((r) => r.status === status) as DnsCheck;
  return {
    record: 'dkim',
    status,
    message: status === 'ok' ? results.map((r) => r.message).join(' ') : first.message,
    fix: first.fix,
    details: results.flatMap((r) => (r === first ? r.details : [r.message, ...r.details])),
  };
}

async function checkOneKey(
  domain: string,
  key: OwnDkimKey,
  client: DnsClient,
  opts: DkimCheckOptions,
): Promise<DnsCheck> {
  const name = dkimRecordName(key.selector, domain);
  const expected = dkimTxtValue(key.algorithm, key.publicKey);
  const publish = `Publish a TXT record named ${name} with the value: ${expected}`;
  const result = (status: DnsCheck['status'], message: string, fix: string | null, details: string[] = []) => ({
    record: 'dkim' as const,
    status,
    message,
    fix,
    details,
  });

  const [txt, alias] = await Promise.all([client.txt(name), client.cname(name)]);
  const details: string[] = [];
  if (alias.kind === 'found')
    details.push(`${name} is an alias (CNAME) for ${alias.value}; the key is read from there.`);
  const where = alias.kind === 'found' ? `${name} (an alias for ${alias.value})` : name;

  if (txt.kind === 'failed') return lookupFailed(name, txt, details);
  if (txt.kind !== 'found') {
    if (alias.kind === 'found') {
      return result(
        'error',
        `${name} points (CNAME) to ${alias.value}, which has no DKIM record, so receivers cannot check Mailroom's signature.`,
        `Delete the CNAME record at ${name}, then ${publish.charAt(0).toLowerCase()}${publish.slice(1)}`,
        details,
      );
    }
    if (opts.pending) {
      return result(
        'pending',
        `The DKIM record at ${name} is not visible yet. New records usually appear within minutes, sometimes up to a few hours.`,
        `Check again in a few minutes. If it still does not show after an hour, make sure the record was saved exactly as shown. ${publish}`,
        details,
      );
    }
    return result(
      'error',
      `There is no DKIM record at ${name}, so receivers cannot check Mailroom's signature.`,
      publish,
      details,
    );
  }

  const candidates = txt.value.map(readTxt);
  const dkim = candidates.filter((c) => /^\s*v\s*=\s*DKIM1\b/i.test(c.text) || /(^|;)\s*p\s*=/.test(c.text));
  if (dkim.length === 0) {
    return result(
      'error',
      `The TXT record at ${where} is not a DKIM key: "${clip(candidates[0]?.text ?? '')}".`,
      `Replace it with the value: ${expected}`,
      details,
    );
  }
  if (dkim.length > 1) {
    return result(
      'error',
      `${where} has ${dkim.length} DKIM records. Receivers pick one of them, so signatures fail at random.`,
      `Keep only one TXT record at ${name}, with the value: ${expected}`,
      details,
    );
  }
  const record = dkim[0] as { text: string; quoted: boolean };
  if (record.quoted) {
    return result(
      'error',
      `The DKIM record at ${where} contains quote marks ("), which became part of the key, so it cannot be read.`,
      `Edit the record and remove the quote marks; the value should be exactly: ${expected}`,
      details,
    );
  }
  const tags = parseTagList(record.text);
  if (!tags.ok) {
    return result(
      'error',
      `The DKIM record at ${where} cannot be read: ${tags.error}.`,
      `Replace its value with: ${expected}`,
      details,
    );
  }
  const v = tags.tags.get('v');
  if (v !== undefined && (v !== 'DKIM1' || tags.order[0] !== 'v')) {
    return result(
      'error',
      `The DKIM record at ${where} must start with v=DKIM1 (found ${v === 'DKIM1' ? 'it later in the record' : `v=${v}`}).`,
      `Replace its value with: ${expected}`,
      details,
    );
  }
  const p = (tags.tags.get('p') ?? '').replace(/\s+/g, '');
  if (!tags.tags.has('p')) {
    return result(
      'error',
      `The DKIM record at ${where} has no public key (p=).`,
      `Replace its value with: ${expected}`,
      details,
    );
  }
  if (p === '') {
    return result(
      'error',
      `The DKIM record at ${where} has an empty key (p=), which means "this key was withdrawn": receivers reject the signature.`,
      `Replace its value with: ${expected}`,
      details,
    );
  }
  const k = (tags.tags.get('k') ?? 'rsa').toLowerCase();
  const wantK = key.algorithm === 'ed25519' ? 'ed25519' : 'rsa';
  if (k !== wantK) {
    const says = tags.tags.has('k') ? `says the key type is k=${k}` : 'has no k= tag, which means an RSA key';
    return result(
      'error',
      `The DKIM record at ${where} ${says}, but Mailroom's key for selector ${key.selector} is ${wantK === 'rsa' ? 'RSA' : 'Ed25519'}.`,
      `Replace its value with: ${expected}`,
      details,
    );
  }
  // h= and s= narrow what the key may be used for (RFC 6376 §3.6.1): Mailroom signs
  // email with sha256, so a key limited to other hashes or services fails every signature.
  const list = (tag: string) =>
    tags.tags
      .get(tag)
      ?.split(':')
      .map((x) => x.trim().toLowerCase());
  if (list('h') && !list('h')?.includes('sha256')) {
    return result(
      'error',
      `The DKIM record at ${where} allows only h=${tags.tags.get('h')}, but Mailroom signs with sha256, so receivers reject its signatures.`,
      `Remove h=${tags.tags.get('h')} from the record; the value should be exactly: ${expected}`,
      details,
    );
  }
  if (list('s') && !list('s')?.some((x) => x === '*' || x === 'email')) {
    return result(
      'error',
      `The DKIM record at ${where} says s=${tags.tags.get('s')}: the key is not for email, so receivers ignore it.`,
      `Remove s=${tags.tags.get('s')} from the record; the value should be exactly: ${expected}`,
      details,
    );
  }
  if (!sameKey(p, key.publicKey, wantK)) {
    const why =
      readKey(p, wantK) === null
        ? 'an incomplete or damaged public key (part of the value may be missing, or characters were changed while copying)'
        : 'a different public key (perhaps an older key, or one from another service)';
    return result(
      'error',
      `The DKIM record at ${where} holds ${why}, so Mailroom's signatures will fail.`,
      `Replace its value with exactly: ${expected}`,
      details,
    );
  }
  // The published key is ours (possibly written as PKCS#1): its size is our key's size.
  const bits = readKey(key.publicKey, wantK)?.asymmetricKeyDetails?.modulusLength ?? null;
  details.push(`The key is ${wantK === 'rsa' ? `RSA${bits === null ? '' : `, ${bits} bits`}` : 'Ed25519'}.`);
  if (list('t')?.includes('y')) {
    details.push(
      'The record has t=y ("testing"): some receivers treat signed mail as unsigned. Remove t=y when all is well.',
    );
  }
  if (wantK === 'rsa' && bits !== null && bits < 2048) {
    return result(
      'warning',
      `The DKIM record at ${where} matches Mailroom's key, but the key is only ${bits} bits; Gmail and others recommend 2048.`,
      'Make a new 2048-bit key in the wizard and publish its record; keep the old record until the new one shows green.',
      details,
    );
  }
  return result(
    'ok',
    `DKIM is set up: ${where} publishes the key Mailroom signs with (selector ${key.selector}).`,
    null,
    details,
  );
}

/** Same key: same bytes, or the same key written as PKCS#1 instead of SubjectPublicKeyInfo. */
function sameKey(published: string, ours: string, type: 'rsa' | 'ed25519'): boolean {
  if (published === ours) return true;
  const a = readKey(published, type);
  const b = readKey(ours, type);
  return a !== null && b !== null && a.equals(b);
}

/**
 * The public key a p= value holds, or null when it is not one: for RSA the DER
 * SubjectPublicKeyInfo (or PKCS#1), for Ed25519 the raw 32 bytes (RFC 8463).
 */
function readKey(p: string, type: 'rsa' | 'ed25519'): crypto.KeyObject | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p)) return null;
  const der = Buffer.from(p, 'base64');
  if (type === 'ed25519') {
    if (der.length !== 32) return null;
    try {
      return crypto.createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: der.toString('base64url') },
        format: 'jwk',
      });
    } catch {
      return null;
    }
  }
  for (const format of ['spki', 'pkcs1'] as const) {
    try {
      const key = crypto.createPublicKey({ key: der, format: 'der', type: format });
      if (key.asymmetricKeyType === 'rsa') return key;
    } catch {
      // not this encoding
    }
  }
  return null;
}

function lookupFailed(
  name: string,
  answer: Extract<DnsAnswer<unknown>, { kind: 'failed' }>,
  details: string[],
): DnsCheck {
  return failedCheck('dkim', `the DKIM record at ${name}`, answer, details);
}
