// DKIM keys over the database (public half, metadata) and the secret store (private
// key, under dkim/<domain>/<selector>). Private key material never leaves this file
// except as KeyObjects inside a DkimSigner.
import crypto, { type KeyObject } from 'node:crypto';
import { dkimSecretName } from '../../shared/domain/secrets.ts';
import { MailroomError } from '../../shared/errors.ts';
import { ChangeWatch } from '../db/change-watch.ts';
import type { Db } from '../db/connection.ts';
import { type DomainsService, toAsciiDomain } from '../domains/domains-service.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import {
  type DkimAlgorithm,
  type DkimKeyMaterial,
  defaultSelector,
  dkimPublicKeyValue,
  dkimRecordName,
  dkimTxtValue,
  generateDkimKeyAsync,
  importDkimKey,
  isDkimAlgorithm,
  splitTxtStrings,
  validateSelector,
} from './keys.ts';
import { DkimSigner, type SigningKey } from './sign.ts';

export interface DkimRecord {
  domain: string;
  selector: string;
  algorithm: string;
  /** `selector._domainkey.domain` */
  name: string;
  /** The whole TXT value. */
  value: string;
  /** The value split into DNS character-strings of at most 255 characters. */
  strings: string[];
}

interface KeyRow {
  domain: string;
  selector: string;
  algorithm: 'rsa-2048' | 'rsa' | 'ed25519';
  bits: number | null;
  public_key: string;
  created_at: number;
}

interface CachedSigner {
  /** The keys the signer was built from; compared on every call so changes made by another process are seen. */
  fingerprint: string;
  signer: Promise<DkimSigner | null>;
}

export class DkimService {
  private readonly secrets: SecretStore;
  private readonly domains: DomainsService;
  private readonly cache = new Map<string, CachedSigner>();
  private readonly answered = new Map<string, Promise<DkimSigner | null>>();
  private readonly watch: ChangeWatch;
  /** Secret names this process is writing right now; a second write of the same one is refused. */
  private readonly pending = new Set<string>();
  private readonly byDomainStmt;
  private readonly oneStmt;
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly listStmt;
  private readonly keyedDomainsStmt;

  constructor(db: Db, secrets: SecretStore, domains: DomainsService) {
    this.watch = new ChangeWatch(db);
    this.secrets = secrets;
    this.domains = domains;
    // Newest first; rowid breaks ties between keys made in the same millisecond.
    this.byDomainStmt = db.prepare(
      'SELECT domain, selector, algorithm, bits, public_key, created_at FROM dkim_keys WHERE domain = ? ORDER BY created_at DESC, rowid DESC',
    );
    this.oneStmt = db.prepare(
      'SELECT domain, selector, algorithm, bits, public_key, created_at FROM dkim_keys WHERE domain = ? AND selector = ?',
    );
    this.insertStmt = db.prepare(
      'INSERT INTO dkim_keys (domain, selector, algorithm, bits, public_key, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.deleteStmt = db.prepare('DELETE FROM dkim_keys WHERE domain = ? AND selector = ?');
    this.listStmt = db.prepare(
      'SELECT domain, selector, algorithm, bits, public_key, created_at FROM dkim_keys ORDER BY domain, created_at, rowid',
    );
    this.keyedDomainsStmt = db.prepare('SELECT DISTINCT lower(domain) FROM dkim_keys').pluck();
  }

  /** Makes a new key pair for one of the sending domains and returns the TXT record to publish. */
  async generate(domain: string, opts: { selector?: string; algorithm?: DkimAlgorithm } = {}): Promise<DkimRecord> {
    const d = this.sendingDomain(domain);
    const algorithm = opts.algorithm ?? 'rsa-2048';
    if (!isDkimAlgorithm(algorithm)) {
      throw new MailroomError('VALIDATION', `"${algorithm}" is not a DKIM key type. Use rsa-2048 or ed25519.`);
    }
    const selector = opts.selector === undefined ? defaultSelector(algorithm) : validateSelector(opts.selector);
    this.refuseExisting(d, selector);
    return this.store(d, selector, await generateDkimKeyAsync(algorithm));
  }

  /** Stores a private key the user already has (PEM) under the given selector. */
  async import(domain: string, selector: string, pem: string): Promise<DkimRecord> {
    const d = this.sendingDomain(domain);
    const s = validateSelector(selector);
    this.refuseExisting(d, s);
    return this.store(d, s, importDkimKey(pem));
  }

  list(): (DkimRecord & { createdAt: number; bits: number | null })[] {
    return (this.listStmt.all() as KeyRow[]).map((row) => ({
      ...toRecord(row),
      createdAt: row.created_at,
      bits: row.bits,
    }));
  }

  record(domain: string, selector: string): DkimRecord {
    return toRecord(this.findRow(domain, selector));
  }

  /** Deletes the row first, then the private key: a crash in between leaves no key that signs. */
  async remove(domain: string, selector: string): Promise<void> {
    const row = this.findRow(domain, selector);
    this.deleteStmt.run(row.domain, row.selector);
    this.cache.delete(row.domain.toLowerCase());
    this.answered.delete(row.domain.toLowerCase());
    await this.secrets.delete(dkimSecretName(row.domain, row.selector));
  }

  /**
   * A signer with the newest RSA key and the newest Ed25519 key of the domain, or null
   * when the domain has no key whose private half is in the secret store (the caller
   * sends unsigned and says so). Built once and reused while the keys stay the same.
   */
  /**
   * The signer for a domain. Answered from memory while nothing changed: this
   * process drops its entries when it changes keys, and a commit by another process
   * (the CLI) clears them all (SQLite's data_version).
   */
  signerFor(domain: string): Promise<DkimSigner | null> {
    const d = toAsciiDomain(domain);
    if (!d) return Promise.resolve(null);
    if (this.watch.changed()) this.answered.clear();
    let answer = this.answered.get(d);
    if (!answer) {
      answer = this.lookUpSigner(d);
      this.answered.set(d, answer);
      answer.catch(() => {
        if (this.answered.get(d) === answer) this.answered.delete(d);
      });
    }
    return answer;
  }

  private async lookUpSigner(d: string): Promise<DkimSigner | null> {
    const rows = this.newestPerAlgorithm(d);
    if (rows.length === 0) {
      this.cache.delete(d);
      return null;
    }
    const fingerprint = rows.map((r) => `${r.selector}\0${r.algorithm}\0${r.created_at}\0${r.public_key}`).join('\n');
    const cached = this.cache.get(d);
    if (cached && cached.fingerprint === fingerprint) return cached.signer;
    const entry: CachedSigner = { fingerprint, signer: this.buildSigner(rows) };
    this.cache.set(d, entry);
    try {
      return await entry.signer;
    } catch (err) {
      // A secret store that failed (keychain locked) is asked again next time.
      if (this.cache.get(d) === entry) this.cache.delete(d);
      throw err;
    }
  }

  /** The public halves the signer uses for a domain: its newest RSA key and newest Ed25519 key. */
  signingKeys(domain: string): { selector: string; algorithm: string; publicKey: string }[] {
    const d = toAsciiDomain(domain);
    if (!d) return [];
    return this.newestPerAlgorithm(d).map((r) => ({
      selector: r.selector.toLowerCase(),
      algorithm: r.algorithm,
      publicKey: r.public_key,
    }));
  }

  /** Sending domains that have no DKIM key at all. */
  domainsWithoutKey(): string[] {
    const keyed = new Set(this.keyedDomainsStmt.all() as string[]);
    return this.domains.list().filter((d) => !keyed.has(d));
  }

  private newestPerAlgorithm(domain: string): KeyRow[] {
    const rows = this.byDomainStmt.all(domain) as KeyRow[];
    const rsa = rows.find((r) => r.algorithm !== 'ed25519');
    const ed = rows.find((r) => r.algorithm === 'ed25519');
    return [rsa, ed].filter((r): r is KeyRow => r !== undefined);
  }

  private async buildSigner(rows: KeyRow[]): Promise<DkimSigner | null> {
    const keys: SigningKey[] = [];
    for (const row of rows) {
      const pem = await this.secrets.get(dkimSecretName(row.domain, row.selector));
      if (!pem) continue;
      const privateKey = parsePrivateKey(pem, row);
      if (!privateKey) continue;
      keys.push({
        domain: row.domain.toLowerCase(),
        selector: row.selector.toLowerCase(),
        algorithm: row.algorithm,
        privateKey,
      });
    }
    return keys.length > 0 ? new DkimSigner(keys) : null;
  }

  private async store(domain: string, selector: string, key: DkimKeyMaterial): Promise<DkimRecord> {
    const secret = dkimSecretName(domain, selector);
    // Two calls for the same selector in this process (a double click) must not
    // overwrite each other's secret; the loser is refused before it writes anything.
    if (this.pending.has(secret)) throw exists(domain, selector);
    this.refuseExisting(domain, selector);
    this.pending.add(secret);
    try {
      await this.secrets.set(secret, key.privateKeyPem);
      const createdAt = Date.now();
      try {
        this.insertStmt.run(domain, selector, key.algorithm, key.bits, key.publicKey, createdAt);
      } catch (err) {
        // The row is what makes a key exist: without it the secret is dropped again.
        await this.secrets.delete(secret).catch(() => false);
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw exists(domain, selector);
        throw new MailroomError(
          'DKIM_KEY',
          `The DKIM key for ${domain} could not be saved (${(err as Error).message}). Nothing was kept; try again.`,
        );
      }
      this.cache.delete(domain);
      this.answered.delete(domain);
      return toRecord({
        domain,
        selector,
        algorithm: key.algorithm,
        bits: key.bits,
        public_key: key.publicKey,
        created_at: createdAt,
      });
    } finally {
      this.pending.delete(secret);
    }
  }

  private sendingDomain(input: string): string {
    const d = toAsciiDomain(input);
    const list = this.domains.list();
    if (!d || !list.includes(d)) {
      const shown = d ?? input.trim();
      throw new MailroomError(
        'DOMAIN_UNKNOWN',
        `${shown} is not one of your sending domains (${list.join(', ') || 'there are none yet'}). Add it first with \`mailroom domains add ${shown}\`.`,
      );
    }
    return d;
  }

  private refuseExisting(domain: string, selector: string): void {
    if (this.oneStmt.get(domain, selector)) throw exists(domain, selector);
  }

  private findRow(domain: string, selector: string): KeyRow {
    const d = toAsciiDomain(domain) ?? domain.trim().toLowerCase();
    const s = selector.trim().toLowerCase();
    const row = this.oneStmt.get(d, s) as KeyRow | undefined;
    if (!row) {
      throw new MailroomError(
        'NOT_FOUND',
        `There is no DKIM key with selector "${s}" for ${d}. See the keys with \`mailroom dkim list\`.`,
      );
    }
    return row;
  }
}

function exists(domain: string, selector: string): MailroomError {
  return new MailroomError(
    'DKIM_KEY_EXISTS',
    `${domain} already has a DKIM key with selector "${selector}". Choose another --selector, or remove the old key first.`,
  );
}

function toRecord(row: KeyRow): DkimRecord {
  const domain = row.domain.toLowerCase();
  const selector = row.selector.toLowerCase();
  const value = dkimTxtValue(row.algorithm, row.public_key);
  return {
    domain,
    selector,
    algorithm: row.algorithm,
    name: dkimRecordName(selector, domain),
    value,
    strings: splitTxtStrings(value),
  };
}

/** The stored key, if it parses and belongs to the row's public key; otherwise null (unsigned). */
function parsePrivateKey(pem: string, row: KeyRow): KeyObject | null {
  try {
    const key = crypto.createPrivateKey({ key: pem, format: 'pem' });
    const expected = row.algorithm === 'ed25519' ? 'ed25519' : 'rsa';
    if (key.asymmetricKeyType !== expected) return null;
    return dkimPublicKeyValue(key) === row.public_key ? key : null;
  } catch {
    return null;
  }
}
