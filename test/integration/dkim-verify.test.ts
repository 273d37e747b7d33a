// Signatures made by our signer, checked by an independent verifier (dkimpy via
// python3-dkim), plus the key service over a real database and a file secret store.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/main/db/connection.ts';
import { DkimService } from '../../src/main/dkim/dkim-service.ts';
import { type DkimKeyMaterial, dkimTxtValue, generateDkimKey } from '../../src/main/dkim/keys.ts';
import { canonicalBody, DkimSigner, type SigningKey } from '../../src/main/dkim/sign.ts';
import { DomainsService } from '../../src/main/domains/domains-service.ts';
import { FileSecretStore } from '../../src/main/secrets/file-store.ts';
import { MailroomError } from '../../src/shared/errors.ts';
import { verifyDkim } from '../helpers/dkim-verify.ts';

const DOMAIN = 'example.com';

// Like tempDir() in helpers/engine.ts, without loading the whole engine for a key test.
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-test-'));
let rsa: DkimKeyMaterial;
let ed: DkimKeyMaterial;
let rsaKey: SigningKey;
let edKey: SigningKey;
let both: DkimSigner;
let txt: Record<string, string>;

beforeAll(() => {
  rsa = generateDkimKey('rsa-2048');
  ed = generateDkimKey('ed25519');
  rsaKey = {
    domain: DOMAIN,
    selector: 'r1',
    algorithm: 'rsa-2048',
    privateKey: crypto.createPrivateKey(rsa.privateKeyPem),
  };
  edKey = {
    domain: DOMAIN,
    selector: 'e1',
    algorithm: 'ed25519',
    privateKey: crypto.createPrivateKey(ed.privateKeyPem),
  };
  // Given Ed25519 first: the signer still puts RSA on top.
  both = new DkimSigner([edKey, rsaKey]);
  txt = {
    'r1._domainkey.example.com': dkimTxtValue('rsa-2048', rsa.publicKey),
    'e1._domainkey.example.com': dkimTxtValue('ed25519', ed.publicKey),
  };
});

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

const PLAIN = crlf(`From: Ann <ann@example.com>
To: Bob <bob@example.org>
Subject: Hello
Date: Tue, 3 Nov 2026 10:00:00 +0000
Message-ID: <plain.1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Bob,

this is a test.
`);

/** The signature header fields of a signed message, unfolded. */
function signatures(signed: Buffer): string[] {
  const head = signed.toString('latin1').split('\r\n\r\n')[0] ?? '';
  return head
    .replace(/\r\n[ \t]/g, ' ')
    .split('\r\n')
    .filter((l) => /^dkim-signature:/i.test(l));
}

function hTag(signature: string): string[] {
  const m = /[; ]h=([^;]*);/.exec(signature);
  return (m?.[1] ?? '').split(':').map((s) => s.trim());
}

async function expectVerified(message: Buffer, signer = both, selectors = ['r1', 'e1']): Promise<Buffer> {
  const signed = signer.sign(message);
  const results = await verifyDkim(signed, txt);
  expect(results.map((r) => r.selector)).toEqual(selectors);
  for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ domain: DOMAIN, ok: true });
  return signed;
}

describe('signatures verified by dkimpy (RSA-2048 and Ed25519)', () => {
  it('a plain message: RSA signature on top, then Ed25519, lines folded under 78 characters', async () => {
    const signed = await expectVerified(PLAIN);
    const text = signed.toString('latin1');
    expect(text).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.com;/);
    const sigs = signatures(signed);
    expect(sigs[0]).toMatch(/ a=rsa-sha256;.* s=r1;/);
    expect(sigs[1]).toMatch(/ a=ed25519-sha256;.* s=e1;/);
    const headerLines = (text.split('\r\n\r\n')[0] ?? '').split('\r\n');
    for (const line of headerLines) expect(line.length).toBeLessThanOrEqual(78);
    expect(text.endsWith(PLAIN.toString('latin1'))).toBe(true);
    // Each alone, too.
    await expectVerified(PLAIN, new DkimSigner([rsaKey]), ['r1']);
    await expectVerified(PLAIN, new DkimSigner([edKey]), ['e1']);
  });

  it('shares one body hash across the signatures and takes t= from opts.now', () => {
    const sigs = signatures(both.sign(PLAIN, { now: 1_800_000_000_123 }));
    const bh = sigs.map((s) => /bh=([^;]+);/.exec(s)?.[1]);
    expect(bh[0]).toBe(bh[1]);
    expect(bh[0]).toBe(crypto.createHash('sha256').update('Hello Bob,\r\n\r\nthis is a test.\r\n').digest('base64'));
    for (const s of sigs) expect(s).toContain(' t=1800000000;');
  });

  it('folded headers with tabs, WSP runs, trailing spaces and odd name case', async () => {
    await expectVerified(
      crlf(
        'FROM:   Ann \t <ann@example.com>  \n' +
          'to: Bob <bob@example.org>,\n\t\tCarol <carol@example.org> \t\n' +
          'Subject:\tA  subject \n   folded\tover \n\tthree lines   \n' +
          'Date: Tue, 3 Nov 2026 10:00:00 +0000\n' +
          'Message-id:<x.2@example.com>\n' +
          'Content-Type: text/plain;\n charset="utf-8"\n' +
          '\n' +
          'Body  with\t\ttabs  and   runs   \n' +
          '   leading space line\n' +
          ' \t \n' +
          'last line\t\n' +
          '\n\n\n',
      ),
    );
  });

  it('a body without a final CRLF, also with trailing spaces on that line', async () => {
    const signed = await expectVerified(
      crlf('From: ann@example.com\nTo: bob@example.org\nSubject: x\n\nno newline at the end'),
    );
    expect(signed.subarray(-2).toString()).toBe('\r\n');
    await expectVerified(crlf('From: ann@example.com\nTo: bob@example.org\n\nends in spaces   '));
    await expectVerified(crlf('From: ann@example.com\n\nline\n\t '));
  });

  it('an empty body, blank-line-only bodies and a message with no blank line', async () => {
    const emptyHash = crypto.createHash('sha256').update('').digest('base64');
    for (const msg of [
      crlf('From: ann@example.com\nTo: bob@example.org\nSubject: empty\n\n'),
      crlf('From: ann@example.com\nTo: bob@example.org\n\n\n\n  \n'),
      crlf('From: ann@example.com\nTo: bob@example.org\nSubject: headers only\n'),
    ]) {
      const signed = await expectVerified(msg);
      expect(signatures(signed)[0]).toContain(`bh=${emptyHash};`);
    }
    // The last header without its CRLF gets one, and the result verifies.
    await expectVerified(Buffer.from('From: ann@example.com\r\nSubject: no end'));
  });

  it('an 8-bit UTF-8 body and UTF-8 header text', async () => {
    await expectVerified(
      crlf(
        'From: =?utf-8?q?Ren=C3=A9e?= <renee@example.com>\nTo: Zoë <zoe@example.org>\nSubject: Grüße  aus Köln\n' +
          'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' +
          'Grüße aus Köln — ½ € 漢字 😀\u00a0nbsp  \nZweite Zeile\u00a0\n',
      ),
    );
  });

  it('duplicate To headers are all signed, bottom-up; From is oversigned', async () => {
    const msg = crlf(
      'From: ann@example.com\nTo: first@example.org\nSubject: two tos\nTo: second@example.org\nCc: c@example.org\n' +
        'Reply-To: r@example.com\nList-Unsubscribe: <https://example.com/u/1>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n' +
        'X-Not-Signed: yes\n\nbody\n',
    );
    const signed = await expectVerified(msg);
    const h = hTag(signatures(signed)[0] ?? '');
    expect(h).toEqual([
      'from',
      'from',
      'to',
      'to',
      'cc',
      'subject',
      'reply-to',
      'list-unsubscribe',
      'list-unsubscribe-post',
    ]);
    // Swapping the two To fields changes what was signed in each position.
    const swapped = Buffer.from(
      signed
        .toString('latin1')
        .replace('To: first@example.org', 'To: XXXXX@example.org')
        .replace('To: second@example.org', 'To: first@example.org')
        .replace('To: XXXXX@example.org', 'To: second@example.org'),
      'latin1',
    );
    for (const r of await verifyDkim(swapped, txt)) expect(r.ok).toBe(false);
  });

  it('long header lines, folded and unfolded', async () => {
    const recipients = Array.from({ length: 40 }, (_, i) => `Person Number ${i} <person.${i}@example.org>`);
    await expectVerified(
      crlf(
        `From: ann@example.com\nTo: ${recipients.join(',\n ')}\nCc: ${recipients.slice(0, 8).join(', ')}\n` +
          `Subject: ${'word '.repeat(150)}end\nMessage-ID: <${'x'.repeat(200)}@example.com>\n\n${'long line '.repeat(90)}\n`,
      ),
    );
  });

  it('a header added after signing that is not signed does not break it', async () => {
    const signed = both.sign(PLAIN);
    const added = Buffer.concat([Buffer.from('Received: from somewhere by mx\r\n'), signed]);
    for (const r of await verifyDkim(added, txt)) expect(r.ok).toBe(true);
  });

  it('fails when a body byte changes', async () => {
    const signed = both.sign(PLAIN);
    const text = signed.toString('latin1');
    const changed = Buffer.from(text.replace('this is a test.', 'this is a Test.'), 'latin1');
    expect(changed.equals(signed)).toBe(false);
    const results = await verifyDkim(changed, txt);
    expect(results).toHaveLength(2);
    for (const r of results) expect(r.ok).toBe(false);
  });

  it('fails when a From is added after signing, above or below the signed one', async () => {
    const signed = both.sign(PLAIN);
    const text = signed.toString('latin1');
    const evil = 'From: Mallory <mallory@evil.test>\r\n';
    const above = text.replace('From: Ann', `${evil}From: Ann`);
    const below = text.replace('\r\n\r\nHello', `\r\n${evil}\r\nHello`);
    for (const tampered of [above, below]) {
      const results = await verifyDkim(Buffer.from(tampered, 'latin1'), txt);
      expect(results).toHaveLength(2);
      for (const r of results) expect(r.ok).toBe(false);
    }
  });

  it('fails against a key record with a different public key', async () => {
    const signed = both.sign(PLAIN);
    const other = {
      'r1._domainkey.example.com': dkimTxtValue('rsa-2048', generateDkimKey('rsa-2048').publicKey),
      'e1._domainkey.example.com': dkimTxtValue('ed25519', generateDkimKey('ed25519').publicKey),
    };
    const results = await verifyDkim(signed, other);
    expect(results.map((r) => [r.selector, r.ok])).toEqual([
      ['r1', false],
      ['e1', false],
    ]);
    // The right records still verify the same bytes.
    for (const r of await verifyDkim(signed, txt)) expect(r.ok).toBe(true);
  });
});

describe('relaxed body canonicalisation', () => {
  it('matches RFC 6376 §3.4.4 on the cases that differ between implementations', () => {
    const c = (s: string) => canonicalBody(Buffer.from(s, 'latin1')).toString('latin1');
    expect(c('')).toBe('');
    expect(c('\r\n')).toBe('');
    expect(c('\r\n\r\n \t\r\n')).toBe('');
    expect(c('a')).toBe('a\r\n');
    expect(c('a  \t')).toBe('a\r\n');
    expect(c(' a \t b \r\n\r\n')).toBe(' a b\r\n');
    expect(c('a\r\n\r\nb\r\n\r\n')).toBe('a\r\n\r\nb\r\n');
    expect(c('plain\r\ntext\r\n')).toBe('plain\r\ntext\r\n');
  });
});

describe('DkimService over a database and a file secret store', () => {
  let dir: string;
  let db: Db;
  let domains: DomainsService;
  let secretsFile: string;
  let service: DkimService;

  afterEach(() => {
    db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function setUp(): void {
    dir = tempDir();
    db = openDatabase(path.join(dir, 'mailroom.db'));
    domains = new DomainsService(db);
    domains.add(DOMAIN);
    secretsFile = path.join(dir, 'secrets.json');
    service = new DkimService(db, new FileSecretStore(secretsFile), domains);
  }

  function storedSecrets(): Record<string, string> {
    return (JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as { secrets: Record<string, string> }).secrets;
  }

  it('generate → signerFor → verifies with the records the service printed', async () => {
    setUp();
    const rsaRec = await service.generate('Example.COM');
    const edRec = await service.generate(DOMAIN, { algorithm: 'ed25519' });
    expect(rsaRec).toMatchObject({ domain: DOMAIN, algorithm: 'rsa-2048' });
    expect(rsaRec.selector).toMatch(/^mr\d{6}$/);
    expect(edRec.selector).toBe(`${rsaRec.selector}e`);
    expect(rsaRec.name).toBe(`${rsaRec.selector}._domainkey.example.com`);
    expect(rsaRec.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
    expect(edRec.value).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    expect(rsaRec.strings.join('')).toBe(rsaRec.value);
    for (const s of rsaRec.strings) expect(s.length).toBeLessThanOrEqual(255);
    expect(service.record(DOMAIN, rsaRec.selector)).toEqual(rsaRec);

    const signer = await service.signerFor(DOMAIN);
    expect(signer).not.toBeNull();
    expect(await service.signerFor('EXAMPLE.com')).toBe(signer);
    const results = await verifyDkim((signer as DkimSigner).sign(PLAIN), {
      [rsaRec.name]: rsaRec.value,
      [edRec.name]: edRec.value,
    });
    expect(results).toEqual([
      { domain: DOMAIN, selector: rsaRec.selector, ok: true },
      { domain: DOMAIN, selector: edRec.selector, ok: true },
    ]);

    // A newer RSA key replaces the old one in a new signer.
    const newer = await service.generate(DOMAIN, { selector: 'Next' });
    expect(newer.selector).toBe('next');
    const next = await service.signerFor(DOMAIN);
    expect(next).not.toBe(signer);
    const sigs = signatures((next as DkimSigner).sign(PLAIN));
    expect(sigs.map((s) => /s=([^;]+);/.exec(s)?.[1])).toEqual(['next', edRec.selector]);

    expect(service.list().map((k) => [k.selector, k.algorithm, k.bits])).toEqual([
      [rsaRec.selector, 'rsa-2048', 2048],
      [edRec.selector, 'ed25519', null],
      ['next', 'rsa-2048', 2048],
    ]);
  });

  it('refuses an existing selector, an unknown domain and a bad selector', async () => {
    setUp();
    await service.generate(DOMAIN, { selector: 's1', algorithm: 'ed25519' });
    const dup = await service.generate(DOMAIN, { selector: 'S1' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(MailroomError);
    expect(dup).toMatchObject({ code: 'DKIM_KEY_EXISTS' });
    expect((dup as Error).message).toMatch(/another --selector/);
    const pem = generateDkimKey('ed25519').privateKeyPem;
    await expect(service.import(DOMAIN, 's1', pem)).rejects.toMatchObject({ code: 'DKIM_KEY_EXISTS' });

    const unknown = await service.generate('other.test').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'DOMAIN_UNKNOWN' });
    expect((unknown as Error).message).toMatch(/mailroom domains add other\.test/);
    await expect(service.import('other.test', 's2', pem)).rejects.toMatchObject({ code: 'DOMAIN_UNKNOWN' });
    await expect(service.generate(DOMAIN, { selector: 'bad_sel' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(service.list()).toHaveLength(1);
    expect(Object.keys(storedSecrets())).toEqual(['dkim/example.com/s1']);
  });

  it('two generates of one selector at once: one wins, its key signs', async () => {
    setUp();
    const settled = await Promise.allSettled([
      service.generate(DOMAIN, { selector: 'race', algorithm: 'ed25519' }),
      service.generate(DOMAIN, { selector: 'race', algorithm: 'ed25519' }),
    ]);
    const won = settled.filter((r) => r.status === 'fulfilled');
    const lost = settled.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['DKIM_KEY_EXISTS']);
    const rec = (won[0] as PromiseFulfilledResult<{ name: string; value: string }>).value;
    const signer = await service.signerFor(DOMAIN);
    expect(await verifyDkim((signer as DkimSigner).sign(PLAIN), { [rec.name]: rec.value })).toEqual([
      { domain: DOMAIN, selector: 'race', ok: true },
    ]);
  });

  it('keeps the private key only in the secret store', async () => {
    setUp();
    const rec = await service.generate(DOMAIN, { selector: 'keep' });
    const pem = storedSecrets()['dkim/example.com/keep'] ?? '';
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(crypto.createPrivateKey(pem).asymmetricKeyDetails?.modulusLength).toBe(2048);

    const rows = db.prepare('SELECT * FROM dkim_keys').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    const bodyLines = pem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
    for (const value of Object.values(rows[0] ?? {})) {
      expect(String(value)).not.toMatch(/PRIVATE/);
      for (const line of bodyLines) expect(String(value)).not.toContain(line);
    }
    expect(rows[0]?.public_key).toBe(rec.value.split('p=')[1]);
    // Nor anywhere in the database files.
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('mailroom.db'))) {
      const bytes = fs.readFileSync(path.join(dir, f)).toString('latin1');
      for (const line of bodyLines.slice(1, -1)) expect(bytes).not.toContain(line);
    }
    // Nor in what the service returns.
    expect(JSON.stringify([rec, service.list(), service.record(DOMAIN, 'keep')])).not.toContain(bodyLines[1]);
  });

  it('imports a PEM, removes keys, and reports sending domains without a key', async () => {
    setUp();
    domains.add('other.test');
    expect(service.domainsWithoutKey()).toEqual([DOMAIN, 'other.test']);
    const key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const rec = await service.import(DOMAIN, 'imp', key.export({ type: 'pkcs1', format: 'pem' }).toString());
    expect(rec.value).toBe(dkimTxtValue('rsa-2048', rsaP(key)));
    expect(service.domainsWithoutKey()).toEqual(['other.test']);
    const signer = await service.signerFor(DOMAIN);
    const results = await verifyDkim((signer as DkimSigner).sign(PLAIN), { [rec.name]: rec.value });
    expect(results).toEqual([{ domain: DOMAIN, selector: 'imp', ok: true }]);

    await service.remove(DOMAIN, 'IMP');
    expect(service.list()).toEqual([]);
    expect(storedSecrets()).toEqual({});
    expect(await service.signerFor(DOMAIN)).toBeNull();
    expect(() => service.record(DOMAIN, 'imp')).toThrow(/no DKIM key with selector "imp"/);
    await expect(service.remove(DOMAIN, 'imp')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leaves out a key whose private half is missing from the store', async () => {
    setUp();
    const rsaRec = await service.generate(DOMAIN, { selector: 'r' });
    const edRec = await service.generate(DOMAIN, { selector: 'e', algorithm: 'ed25519' });
    const store = new FileSecretStore(secretsFile);
    await store.delete('dkim/example.com/r');
    // A fresh service, as after a restart.
    const fresh = new DkimService(db, store, domains);
    const signer = await fresh.signerFor(DOMAIN);
    const signed = (signer as DkimSigner).sign(PLAIN);
    expect(await verifyDkim(signed, { [rsaRec.name]: rsaRec.value, [edRec.name]: edRec.value })).toEqual([
      { domain: DOMAIN, selector: 'e', ok: true },
    ]);
    await store.delete('dkim/example.com/e');
    expect(await new DkimService(db, store, domains).signerFor(DOMAIN)).toBeNull();
    expect(await fresh.signerFor('not-a-sending-domain.test')).toBeNull();
  });

  it('sees keys another process added, and deletes the secret when the row cannot be written', async () => {
    setUp();
    expect(await service.signerFor(DOMAIN)).toBeNull();
    // Another process: its own connection to the same file.
    const otherDb = openDatabase(path.join(dir, 'mailroom.db'));
    const other = new DkimService(otherDb, new FileSecretStore(secretsFile), new DomainsService(otherDb));
    await other.generate(DOMAIN, { selector: 'elsewhere', algorithm: 'ed25519' });
    otherDb.close();
    expect(await service.signerFor(DOMAIN)).not.toBeNull();

    db.exec("CREATE TEMP TRIGGER refuse BEFORE INSERT ON dkim_keys BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
    const err = await service.generate(DOMAIN, { selector: 'fails', algorithm: 'ed25519' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DKIM_KEY' });
    expect((err as Error).message).not.toMatch(/PRIVATE KEY/);
    expect(Object.keys(storedSecrets())).toEqual(['dkim/example.com/elsewhere']);
  });
});

function rsaP(key: crypto.KeyObject): string {
  return crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
}
