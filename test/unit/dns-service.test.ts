import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';

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
      records_shown_at: null,
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
