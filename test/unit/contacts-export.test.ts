import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { tempDir } from '../helpers/engine.ts';
import { runPython } from '../helpers/python.ts';

// The CSV export read back by Python's csv module: a BOM, CRLF, formula-looking cells
// defused, non-ASCII names intact, and the columns a person needs to leave with their data.

let dir: string;
let engine: Engine;

beforeEach(() => {
  dir = tempDir();
  engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
});
afterEach(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Python reads the file with utf-8-sig (BOM) and the csv module; prints rows as JSON. */
async function readBack(
  file: string,
): Promise<{ bom: boolean; crlf: boolean; rows: Record<string, string>[]; header: string[] }> {
  const script = `
import csv, json, sys
path = sys.stdin.read().strip()
raw = open(path, 'rb').read()
bom = raw.startswith(b'\\xef\\xbb\\xbf')
with open(path, newline='', encoding='utf-8-sig') as f:
    r = csv.reader(f)
    header = next(r)
    records = list(r)
    rows = [dict(zip(header, row)) for row in records]
# Every record ends in CRLF; a bare LF appears only inside a quoted cell.
inside = sum(cell.count('\\n') for row in records for cell in row)
crlf = raw.endswith(b'\\r\\n') and raw.count(b'\\r\\n') == len(records) + 1 and raw.count(b'\\n') == len(records) + 1 + inside
print(json.dumps({'bom': bom, 'crlf': crlf, 'header': header, 'rows': rows}))
`;
  return JSON.parse(await runPython(script, file, 'csv reader'));
}

describe('contacts export', () => {
  it('writes a list with status, lists, tags, fields, suppression and consent that Python reads back', async () => {
    const c = engine.contacts;
    const news = c.createList('News');
    const other = c.createList('Clients, "VIP"');
    c.createField('city', 'City', 'text');
    c.createField('orders', 'Orders', 'number');
    const a = c.addContact({
      address: 'zoë@exämple.de',
      firstName: 'Zoë',
      lastName: 'Ångström-Łukasz',
      company: '=HYPERLINK("http://evil.example","click")',
      listIds: [news.id, other.id],
      tags: ['+vip', 'Köln'],
      fields: { city: '@Lyon', orders: 3 },
      basis: 'signed up on my website',
    });
    c.addContact({ address: 'bob@example.com', firstName: '-2+3', lastName: 'Line\nbreak', listIds: [news.id] });
    c.addContact({ address: 'not-on-list@example.com' });
    c.unsubscribe([a.contact.id], news.id);
    c.suppress('bob@example.com', 'bounced', 'test');
    const file = path.join(dir, 'news.csv');
    const r = await c.exportContacts({ listId: news.id }, file);
    expect(r.rows).toBe(2);
    const got = await readBack(file);
    expect(got.bom).toBe(true);
    expect(got.crlf).toBe(true);
    expect(got.header).toEqual([
      'email',
      'first_name',
      'last_name',
      'company',
      'status',
      'lists',
      'tags',
      'city',
      'orders',
      'suppressed',
      'consent_basis',
      'consent_source',
      'consent_at',
    ]);
    const [bob, zoe] = got.rows;
    expect(zoe).toMatchObject({
      email: 'zoë@exämple.de',
      first_name: 'Zoë',
      last_name: 'Ångström-Łukasz',
      company: `'=HYPERLINK("http://evil.example","click")`,
      status: 'unsubscribed',
      lists: 'Clients, "VIP":subscribed; News:unsubscribed',
      tags: "'+vip; Köln",
      city: "'@Lyon",
      orders: '3',
      suppressed: '',
      consent_basis: 'signed up on my website',
      consent_source: 'manual',
    });
    expect(Date.parse(zoe?.consent_at as string)).toBeGreaterThan(0);
    expect(bob).toMatchObject({
      email: 'bob@example.com',
      first_name: "'-2+3",
      last_name: 'Line\nbreak',
      status: 'subscribed',
      suppressed: 'bounced',
    });
  });

  it('exports a segment, a filter and everyone, in pages, newest first', async () => {
    const c = engine.contacts;
    c.createField('city', 'City', 'text');
    for (let i = 0; i < 1200; i++)
      c.addContact({ address: `p${i}@example.com`, fields: { city: i % 2 ? 'Lyon' : 'Paris' } });
    const seg = c.createSegment('Lyon', { conditions: [{ kind: 'field', field: 'city', op: 'is', value: 'Lyon' }] });
    const all = path.join(dir, 'all.csv');
    const lyon = path.join(dir, 'lyon.csv');
    const filtered = path.join(dir, 'p1.csv');
    expect((await c.exportContacts({}, all)).rows).toBe(1200);
    expect((await c.exportContacts({ segmentId: seg.id }, lyon)).rows).toBe(600);
    expect((await c.exportContacts({ filter: { text: 'p1' } }, filtered)).rows).toBe(311);
    const rows = (await readBack(all)).rows;
    expect(rows.map((r) => r.email)).toEqual(Array.from({ length: 1200 }, (_, i) => `p${1199 - i}@example.com`));
    expect(new Set((await readBack(lyon)).rows.map((r) => r.city))).toEqual(new Set(['Lyon']));
  });

  it('a bad source writes no file', async () => {
    const file = path.join(dir, 'x.csv');
    await expect(engine.contacts.exportContacts({ listId: 99 }, file)).rejects.toThrow(/no list #99/);
    await expect(engine.contacts.exportContacts({ segmentId: 99 }, file)).rejects.toThrow(/no segment #99/);
    await expect(engine.contacts.exportContacts({}, path.join(dir, 'missing', 'x.csv'))).rejects.toThrow(
      /Could not save/,
    );
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.csv') || f.endsWith('.part'))).toEqual([]);
  });
});

describe('suppressions export', () => {
  it('writes every entry; an erased one shows only its hash', async () => {
    const c = engine.contacts;
    c.suppress('=cmd@example.com', 'complaint', 'feedback loop', '+detail');
    const a = c.addContact({ address: 'gone@example.com' });
    c.removeContacts([a.contact.id]);
    const file = path.join(dir, 'supp.csv');
    expect((await c.exportSuppressions(file)).rows).toBe(2);
    const got = await readBack(file);
    expect(got.bom && got.crlf).toBe(true);
    expect(got.header).toEqual(['email', 'hashed_key', 'reason', 'source', 'detail', 'at']);
    const byReason = Object.fromEntries(got.rows.map((r) => [r.reason, r]));
    expect(byReason.complaint).toMatchObject({ email: "'=cmd@example.com", hashed_key: '', detail: "'+detail" });
    expect(byReason.erased?.email).toBe('');
    expect(byReason.erased?.hashed_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('gone@');
  });
});
