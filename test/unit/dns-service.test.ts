import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/main/db/migrations/index.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { type DnsServer, startDnsServer } from '../helpers/dns-server.ts';

// The wizard's progress lives in SQLite (domain_setup): it must survive a restart,
// go away with the domain, and never let a damaged row break the dashboard.
let dataDir: string;
let engine: Engine;

const open = () => new Engine({ dataDir, secretStore: 'file', log: silentLogger });

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-dns-service-'));
  engine = open();
  engine.domains.add('shop.example');
});

afterEach(async () => {
  await engine.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const row = () =>
  engine.db.prepare("SELECT * FROM domain_setup WHERE domain = 'shop.example'").get() as
    | Record<string, unknown>
    | undefined;

describe('wizard progress per domain', () => {
  it('remembers step, route and report address across a restart, changing only what was given', async () => {
    engine.dns.saveProgress('Shop.Example', { step: 3, route: { kind: 'smarthost', preset: 'mailgun' } });
    engine.dns.saveProgress('shop.example', { reportAddress: ' dmarc@shop.example ' });
    engine.dns.saveProgress('shop.example', { step: 4 });
    await engine.close();
    engine = open();
    expect(row()).toMatchObject({
      step: 4,
      route: JSON.stringify({ kind: 'smarthost', preset: 'mailgun' }),
      report_address: 'dmarc@shop.example',
      records_shown: null,
    });
    // route: null goes back to following Settings; the rest stays.
    engine.dns.saveProgress('shop.example', { route: null });
    expect(row()).toMatchObject({ step: 4, route: null, report_address: 'dmarc@shop.example' });
  });

  it('refuses a domain that is not a sending domain, and writes nothing', () => {
    expect(() => engine.dns.saveProgress('other.example', { step: 2 })).toThrow(/not one of your sending domains/);
    expect(engine.db.prepare('SELECT count(*) FROM domain_setup').pluck().get()).toBe(0);
  });

  it('forgets the progress when the domain is removed', () => {
    engine.dns.saveProgress('shop.example', { step: 5, recordsShown: true });
    expect(row()).toBeDefined();
    engine.domains.remove('shop.example');
    expect(row()).toBeUndefined();
    engine.domains.add('shop.example');
    expect(engine.dns.readiness()).toMatchObject([{ domain: 'shop.example', state: 'unchecked' }]);
  });

  it('reads a damaged saved check as "not checked yet" instead of failing the dashboard', () => {
    engine.dns.saveProgress('shop.example', { step: 6 });
    for (const damaged of ['{not json', JSON.stringify({ domain: 'shop.example', checks: 'all fine' })]) {
      engine.db.prepare("UPDATE domain_setup SET last_check = ? WHERE domain = 'shop.example'").run(damaged);
      expect(engine.dns.readiness()).toMatchObject([{ domain: 'shop.example', state: 'unchecked', failing: [] }]);
    }
  });
});

// "Waiting for DNS" is for the records the wizard showed: once one changes (a new DKIM
// key from the window or the command line, another route in the wizard or in Settings,
// another report address), that record is wrong again if absent, until it is shown;
// the others keep their window.
describe('the propagation window follows the records shown', () => {
  let dns: DnsServer;
  beforeEach(async () => {
    // Nothing published but the zone: SPF, DKIM and DMARC are all absent.
    dns = await startDnsServer({ 'shop.example': { NS: ['ns1.host.example'], A: ['192.0.2.1'] } });
  });
  afterEach(async () => {
    await dns.close();
  });

  const statuses = async () => {
    const check = await engine.dns.check('shop.example', {
      servers: [{ host: '127.0.0.1', port: dns.port }],
      ip: '192.0.2.25',
    });
    const of = (r: string) => check.checks.find((c) => c.record === r)?.status;
    return { spf: of('spf'), dkim: of('dkim'), dmarc: of('dmarc') };
  };
  const allPending = { spf: 'pending', dkim: 'pending', dmarc: 'pending' };

  it('absent records are errors until shown, then waiting; showing again keeps the first showing', async () => {
    await engine.dkim.generate('shop.example');
    expect(await statuses()).toEqual({ spf: 'error', dkim: 'error', dmarc: 'error' });
    engine.dns.saveProgress('shop.example', { recordsShown: true });
    expect(await statuses()).toEqual(allPending);
    const first = row()?.records_shown;
    engine.dns.saveProgress('shop.example', { recordsShown: true });
    expect(row()?.records_shown).toBe(first);
  });

  it.each([
    [
      'a new DKIM key (as `mailroom dkim generate` makes it)',
      'dkim',
      () => engine.dkim.generate('shop.example', { selector: 'second' }),
    ],
    [
      'another route in the wizard',
      'spf',
      () => engine.dns.saveProgress('shop.example', { route: { kind: 'smarthost', preset: 'mailgun' } }),
    ],
    [
      'another provider in Settings, for a domain following Settings',
      'spf',
      () => engine.settings.setMany({ 'delivery.route': 'smarthost', 'smarthost.preset': 'mailgun' }),
    ],
    [
      'another report address',
      'dmarc',
      () => engine.dns.saveProgress('shop.example', { reportAddress: 'dmarc@shop.example' }),
    ],
  ] as const)(
    '%s: that record waits no longer until shown again; the others still wait',
    async (_what, record, change) => {
      await engine.dkim.generate('shop.example');
      engine.dns.saveProgress('shop.example', { recordsShown: true });
      expect(await statuses()).toEqual(allPending);
      const before = JSON.parse(String(row()?.records_shown));
      await new Promise((r) => setTimeout(r, 5)); // so a restarted window has a later time
      await change();
      expect(await statuses()).toEqual({ ...allPending, [record]: 'error' });
      engine.dns.saveProgress('shop.example', { recordsShown: true });
      expect(await statuses()).toEqual(allPending);
      // Only the changed record's window started again.
      const after = JSON.parse(String(row()?.records_shown));
      for (const r of ['spf', 'dkim', 'dmarc']) {
        if (r === record) expect(after[r].at).toBeGreaterThan(before[r].at);
        else expect(after[r]).toEqual(before[r]);
      }
      expect(after[record].for).not.toBe(before[record].for);
    },
  );

  it('a window running when Mailroom is upgraded from schema 4 carries over (migration 005)', async () => {
    await engine.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true });
    const raw = new Database(path.join(dataDir, 'mailroom.db'));
    for (const m of MIGRATIONS.slice(0, 4)) raw.exec(m.sql);
    raw.pragma('user_version = 4');
    raw.exec(`INSERT INTO sending_domains (domain, created_at) VALUES ('shop.example', 1);
      INSERT INTO domain_setup (domain, step, records_shown_at, updated_at) VALUES ('shop.example', 6, ${Date.now() - 3_600_000}, 1);`);
    raw.close();
    engine = open();
    expect(row()).toMatchObject({ step: 6, records_shown: expect.stringMatching(/^\{"legacyAt":\d+\}$/) });
    expect(row()).not.toHaveProperty('records_shown_at');
    // (This folder has no DKIM key, so DKIM is an error whatever the window.)
    expect(await statuses()).toEqual({ ...allPending, dkim: 'error' });
    // Shown again as they are: the carried-over time stays the first showing.
    const legacyAt = JSON.parse(String(row()?.records_shown)).legacyAt;
    engine.dns.saveProgress('shop.example', { recordsShown: true });
    const shown = JSON.parse(String(row()?.records_shown));
    for (const r of ['spf', 'dkim', 'dmarc']) expect(shown[r].at).toBe(legacyAt);
  });

  it('survives a restart; a damaged value reads as never shown', async () => {
    await engine.dkim.generate('shop.example');
    engine.dns.saveProgress('shop.example', { recordsShown: true });
    await engine.close();
    engine = open();
    expect(await statuses()).toEqual(allPending);
    engine.db.prepare("UPDATE domain_setup SET records_shown = '{oops' WHERE domain = 'shop.example'").run();
    expect(await statuses()).toEqual({ spf: 'error', dkim: 'error', dmarc: 'error' });
  });
});
