import type { Db } from '../../src/main/db/connection.ts';

// A seeded contacts table for the contacts tests, written straight into SQLite, and the
// same people as plain objects so a test can compute every answer by brute force.

export interface Person {
  id: number;
  address: string;
  key: string;
  first: string;
  last: string;
  company: string;
  city: string | null;
  since: string | null;
  orders: number | null;
  /** list id -> status */
  lists: Map<number, Status>;
  tags: Set<number>;
  suppressed: string | null;
}

export interface Seeded {
  people: Person[];
  lists: { news: number; customers: number; empty: number };
  tags: { vip: number; rare: number };
}

const FIRST = ['Anna', 'Marc', 'Marcel', 'Lea', 'Paul', 'annabel', 'Zoe'];
const LAST = ['Martin', 'Dupont', 'Marchand', 'Smith', 'Annan', 'Brown'];
const CITIES = ['Lyon', 'lyon', 'Paris', 'Berlin', 'Lyons'];
const STATUSES = ['subscribed', 'unsubscribed', 'pending'] as const;
type Status = (typeof STATUSES)[number];

/** `n` contacts with lists, tags, fields and suppressions spread by their number. */
export function seedContacts(db: Db, n: number): Seeded {
  const now = Date.UTC(2026, 0, 1);
  const people: Person[] = [];
  db.transaction(() => {
    const list = db.prepare('INSERT INTO lists (name, created_at, updated_at) VALUES (?, ?, ?)');
    const news = Number(list.run('Newsletter', now, now).lastInsertRowid);
    const customers = Number(list.run('Customers', now, now).lastInsertRowid);
    list.run('Empty', now, now);
    const vip = Number(db.prepare("INSERT INTO tags (name) VALUES ('vip')").run().lastInsertRowid);
    const rare = Number(db.prepare("INSERT INTO tags (name) VALUES ('rare')").run().lastInsertRowid);
    const field = db.prepare('INSERT INTO contact_fields (key, label, type, created_at) VALUES (?, ?, ?, ?)');
    field.run('city', 'City', 'text', now);
    field.run('customer_since', 'Customer since', 'date', now);
    field.run('orders', 'Orders', 'number', now);
    const c = db.prepare(
      `INSERT INTO contacts (id, address, address_key, first_name, last_name, company, fields, consent_source,
        consent_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, jsonb(?), 'manual', ?, ?, ?)`,
    );
    const m = db.prepare(
      'INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    const t = db.prepare('INSERT INTO contact_tags (contact_id, tag_id) VALUES (?, ?)');
    const s = db.prepare("INSERT INTO suppressions (key, address, reason, source, at) VALUES (?, ?, ?, 'test', ?)");
    for (let i = 1; i <= n; i++) {
      const key = `user${i}@ex${i % 7}.org`;
      const p: Person = {
        id: i,
        address: i % 2 ? key : key.toUpperCase(),
        key,
        first: FIRST[i % FIRST.length] as string,
        last: LAST[(i * 7) % LAST.length] as string,
        company: i % 9 === 0 ? 'Acme' : '',
        city: i % 6 === 0 ? null : (CITIES[i % CITIES.length] as string),
        since:
          i % 8 === 0
            ? null
            : `${2015 + (i % 11)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
        orders: i % 5 === 0 ? null : i % 40,
        lists: new Map(),
        tags: new Set(),
        suppressed: null,
      };
      const fields: Record<string, string | number> = {};
      if (p.city !== null) fields.city = p.city;
      if (p.since !== null) fields.customer_since = p.since;
      if (p.orders !== null) fields.orders = p.orders;
      c.run(i, p.address, key, p.first, p.last, p.company, JSON.stringify(fields), now, now + i, now + i);
      if (i % 3 === 0) p.lists.set(news, STATUSES[i % 9 === 0 ? 1 : i % 27 === 3 ? 2 : 0] as Status);
      if (i % 5 === 0) p.lists.set(customers, STATUSES[i % 4 === 0 ? 2 : 0] as Status);
      for (const [l, st] of p.lists) m.run(l, i, st, now, now);
      if (i % 4 === 0) p.tags.add(vip);
      if (i % 97 === 0) p.tags.add(rare);
      for (const tg of p.tags) t.run(i, tg);
      if (i % 11 === 0) {
        p.suppressed = ['unsubscribed', 'bounced', 'complaint', 'manual', 'imported'][i % 5] as string;
        s.run(key, p.address, p.suppressed, now);
      }
      people.push(p);
    }
  })();
  const ids = db.prepare('SELECT id, name FROM lists').all() as { id: number; name: string }[];
  const tagIds = db.prepare('SELECT id, name FROM tags').all() as { id: number; name: string }[];
  const byName = (rows: { id: number; name: string }[], name: string) =>
    (rows.find((r) => r.name === name) as { id: number }).id;
  return {
    people,
    lists: { news: byName(ids, 'Newsletter'), customers: byName(ids, 'Customers'), empty: byName(ids, 'Empty') },
    tags: { vip: byName(tagIds, 'vip'), rare: byName(tagIds, 'rare') },
  };
}
