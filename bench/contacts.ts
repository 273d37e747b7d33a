// Contacts benchmark: are the contacts page, segment counts and the audience count fast
// with 1,000,000 contacts?
//
//   node bench/contacts.ts                   seed a temp data folder with 1,000,000 contacts, time, delete it
//   node bench/contacts.ts --data DIR        seed DIR if it has no contacts yet, else reuse it; keep it afterwards
//   node bench/contacts.ts --contacts 100000 a smaller table
//   node bench/contacts.ts --runs 5 --plans  runs per case (median); --plans prints SQLite's plan of each page query
//   node bench/contacts.ts --json            the figures as one JSON object on stdout
//
// The seed is written straight into SQLite in one transaction (not through the import):
// addresses over 5,000 domains, 200 first names, 500 last names, custom fields city (50
// cities, Lyon 2 %), customer_since (dates 2015–2025) and orders (a number); lists
// "Newsletter" (60 % of contacts: 93 % subscribed, 5 % unsubscribed, 2 % pending),
// "Customers" (20 %) and "VIP" (1 %); tags "customer" (30 %), "events" (5 %), "press"
// (0.05 %); 20,000 suppressions. Every case goes through engine.contacts, the same
// service the window and the CLI call. Goals (issue 14): first page < 50 ms, segment
// count < 200 ms.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { countSegmentNow } from '../src/main/contacts/segments.ts';
import type { Db } from '../src/main/db/connection.ts';
import { Engine } from '../src/main/engine/engine.ts';
import { silentLogger } from '../src/main/engine/log.ts';
import type { ContactQuery, SegmentDefinition } from '../src/shared/domain/contacts.ts';

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string' },
    contacts: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    plans: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(opts.contacts);
const RUNS = Math.max(1, Number(opts.runs));
const say = (s: string) => {
  if (!opts.json) console.log(s);
};

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = Array.from(
  { length: 200 },
  (_, i) => `${['Anna', 'Marc', 'Lea', 'Paul', 'Eva', 'Jonas', 'Marie', 'Luc'][i % 8]}${i >= 8 ? i : ''}`,
);
const LAST = Array.from(
  { length: 500 },
  (_, i) => `${['Martin', 'Müller', 'Dupont', 'Schmidt', 'Bernard'][i % 5]}${i >= 5 ? i : ''}`,
);
const CITIES = ['Lyon', ...Array.from({ length: 49 }, (_, i) => `City${i}`)];

function seed(db: Db) {
  const rand = rng(7);
  const now = Date.now();
  const t0 = performance.now();
  db.pragma('synchronous = OFF');
  db.transaction(() => {
    const insList = db.prepare('INSERT INTO lists (name, created_at, updated_at) VALUES (?, ?, ?)');
    for (const n of ['Newsletter', 'Customers', 'VIP']) insList.run(n, now, now);
    for (const t of ['customer', 'events', 'press']) db.prepare('INSERT INTO tags (name) VALUES (?)').run(t);
    const f = db.prepare('INSERT INTO contact_fields (key, label, type, created_at) VALUES (?, ?, ?, ?)');
    f.run('city', 'City', 'text', now);
    f.run('customer_since', 'Customer since', 'date', now);
    f.run('orders', 'Orders', 'number', now);
    const c = db.prepare(
      `INSERT INTO contacts (id, address, address_key, first_name, last_name, company, fields, consent_source, consent_basis,
        consent_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', jsonb(?), 'manual', 'bench', ?, ?, ?)`,
    );
    const m = db.prepare(
      'INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    const t = db.prepare('INSERT INTO contact_tags (contact_id, tag_id) VALUES (?, ?)');
    const s = db.prepare(
      "INSERT OR IGNORE INTO suppressions (key, address, reason, source, at) VALUES (?, ?, ?, 'bench', ?)",
    );
    const reasons = ['unsubscribed', 'bounced', 'complaint', 'manual', 'imported'];
    for (let i = 1; i <= N; i++) {
      const first = FIRST[Math.floor(rand() * FIRST.length)] as string;
      const last = LAST[Math.floor(rand() * LAST.length)] as string;
      const addr = `${first.toLowerCase()}.${i}@domain${i % 5000}.example`;
      const city = rand() < 0.02 ? 'Lyon' : (CITIES[1 + Math.floor(rand() * 49)] as string);
      const since = `${2015 + Math.floor(rand() * 11)}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-15`;
      c.run(
        i,
        addr,
        addr,
        first,
        last,
        JSON.stringify({ city, customer_since: since, orders: Math.floor(rand() * 50) }),
        now,
        now,
        now,
      );
      const r = rand();
      if (r < 0.6) m.run(1, i, rand() < 0.93 ? 'subscribed' : rand() < 0.7 ? 'unsubscribed' : 'pending', now, now);
      if (rand() < 0.2) m.run(2, i, 'subscribed', now, now);
      if (rand() < 0.01) m.run(3, i, 'subscribed', now, now);
      if (rand() < 0.3) t.run(i, 1);
      if (rand() < 0.05) t.run(i, 2);
      if (rand() < 0.0005) t.run(i, 3);
      if (rand() < 0.02) s.run(addr, addr, reasons[i % reasons.length], now);
    }
  })();
  db.pragma('synchronous = FULL');
  say(`seeded ${N.toLocaleString('en')} contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;

async function main() {
  const dir = opts.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-contacts-'));
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  const db = engine.db;
  try {
    if ((db.prepare('SELECT count(*) FROM contacts').pluck().get() as number) === 0) seed(db);
    const c = engine.contacts;
    const list = (name: string) => c.listByName(name).id;
    const tag = (name: string) => (c.listTags().find((t) => t.name === name) as { id: number }).id;
    const figures: Record<string, { cold: number; median: number; cpu: number; rows: number | string }> = {};
    // Wall time, and this process's CPU time (user + system): on a shared machine the
    // wall time includes waiting for a core, the CPU time does not.
    const time = (name: string, fn: () => number | string) => {
      const t0 = performance.now();
      const rows = fn();
      const cold = performance.now() - t0;
      const runs: number[] = [];
      const cpus: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const c0 = process.cpuUsage();
        const t1 = performance.now();
        fn();
        runs.push(performance.now() - t1);
        const c1 = process.cpuUsage(c0);
        cpus.push((c1.user + c1.system) / 1000);
      }
      figures[name] = { cold, median: median(runs), cpu: median(cpus), rows };
      say(
        `${name.padEnd(48)} ${median(runs).toFixed(1).padStart(8)} ms  (CPU ${median(cpus).toFixed(1)} ms; cold ${cold.toFixed(1)} ms; ${rows})`,
      );
    };
    const page = (q: ContactQuery) => () => {
      const p = c.queryContacts(q);
      return `${p.rows.length} rows, total ${p.total.capped ? '>' : ''}${p.total.count}`;
    };
    say(
      `\nmedian of ${RUNS} (and the first, cold run), ${N.toLocaleString('en')} contacts; load average ${(os.loadavg()[0] ?? 0).toFixed(2)} on ${os.cpus().length} cores\n`,
    );
    time('first page, no filter', page({}));
    time('first page, list Newsletter', page({ filter: { listId: list('Newsletter') } }));
    time(
      'first page, list Newsletter, unsubscribed',
      page({ filter: { listId: list('Newsletter'), status: 'unsubscribed' } }),
    );
    time('first page, list VIP', page({ filter: { listId: list('VIP') } }));
    time('first page, tag customer', page({ filter: { tagId: tag('customer') } }));
    time('first page, tag press', page({ filter: { tagId: tag('press') } }));
    time('first page, text "mar"', page({ filter: { text: 'mar' } }));
    time('first page, text "anna12.5"', page({ filter: { text: 'anna12.5' } }));
    time('first page, text "dupont3"', page({ filter: { text: 'dupont3' } }));
    time('first page, suppressed', page({ filter: { suppressed: true } }));
    time(
      'first page, list Customers + tag events',
      page({ filter: { listId: list('Customers'), tagId: tag('events') } }),
    );
    const second = c.queryContacts({ filter: { listId: list('Newsletter') } }).next;
    if (second) time('second page, list Newsletter', page({ filter: { listId: list('Newsletter') }, cursor: second }));
    // Uncached: engine.contacts.countSegment remembers a count until the database changes.
    const seg = (def: SegmentDefinition) => () => countSegmentNow(db, def);
    time(
      'segment count: city is Lyon',
      seg({ match: 'all', conditions: [{ kind: 'field', field: 'city', op: 'is', value: 'Lyon' }] }),
    );
    time(
      'segment count: customer_since before 2024-01-01',
      seg({
        match: 'all',
        conditions: [{ kind: 'field', field: 'customer_since', op: 'before', value: '2024-01-01' }],
      }),
    );
    time(
      'segment count: list Customers AND tag events',
      seg({
        match: 'all',
        conditions: [
          { kind: 'list', listId: list('Customers'), status: 'subscribed', negate: false },
          { kind: 'tag', tagId: tag('events'), negate: false },
        ],
      }),
    );
    const lyon =
      c.listSegments().find((s) => s.name === 'Lyon') ??
      c.createSegment('Lyon', {
        conditions: [{ kind: 'field', field: 'city', op: 'is', value: 'Lyon' }],
      });
    time('audience: Newsletter + segment Lyon', () => {
      const a = c.audienceCount({ listIds: [list('Newsletter')], segmentIds: [lyon.id] });
      return `${a.count} in, ${a.excluded.unsubscribed} unsubscribed, ${a.excluded.pending} pending, ${Object.values(a.excluded.suppressed).reduce((x, y) => x + y, 0)} suppressed`;
    });
    time('lists with counts (remembered after the cold run)', () => `${c.listLists().length} lists`);
    if (opts.json) console.log(JSON.stringify({ contacts: N, runs: RUNS, figures }));
  } finally {
    await engine.close();
    if (!opts.data) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
