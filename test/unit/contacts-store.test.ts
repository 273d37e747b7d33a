import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { suppressionHashKey } from '../../src/main/contacts/address.ts';
import type { ContactsService } from '../../src/main/contacts/contacts-service.ts';
import type { Db } from '../../src/main/db/connection.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { contactDetailSchema } from '../../src/shared/domain/contacts.ts';
import { MailroomError } from '../../src/shared/errors.ts';
import { tempDir } from '../helpers/engine.ts';

// Lists, contacts, erasure, suppressions and bulk actions over a real SQLite file.

let dir: string;
let engine: Engine;
let db: Db;
let c: ContactsService;

beforeEach(() => {
  dir = tempDir();
  engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  db = engine.db;
  c = engine.contacts;
});
afterEach(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Everything a refused call must leave unchanged. */
function snapshot() {
  const all = (sql: string) => db.prepare(sql).all();
  return {
    contacts: all(
      'SELECT id, address, address_key, first_name, last_name, company, json(fields) AS f FROM contacts ORDER BY id',
    ),
    lists: all('SELECT * FROM lists ORDER BY id'),
    members: all('SELECT * FROM list_members ORDER BY list_id, contact_id'),
    tags: all('SELECT * FROM contact_tags ORDER BY contact_id, tag_id'),
    suppressions: all('SELECT * FROM suppressions ORDER BY key'),
    events: all('SELECT * FROM suppression_events ORDER BY id'),
    fields: all('SELECT * FROM contact_fields ORDER BY id'),
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MailroomError) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('lists', () => {
  it('creates, renames and lists with counts; refuses a taken name in any case', () => {
    const a = c.createList('Newsletter');
    c.createList('Customers');
    expect(code(() => c.createList('newsletter'))).toMatch(/^NAME_TAKEN: There is already a list called "Newsletter"/);
    expect(code(() => c.createList('   '))).toMatch(/^VALIDATION/);
    expect(code(() => c.renameList(a.id, 'CUSTOMERS'))).toMatch(/^NAME_TAKEN/);
    c.renameList(a.id, 'News');
    expect(c.listLists().map((l) => l.name)).toEqual(['Customers', 'News']);
  });

  it('deleting a list keeps its people and their suppressions', () => {
    const l = c.createList('Old');
    const keep = c.createList('Keep');
    const a = c.addContact({ address: 'a@example.com', listIds: [l.id, keep.id], tags: ['x'] });
    const b = c.addContact({ address: 'b@example.com', listIds: [l.id] });
    c.unsubscribe([b.contact.id]);
    c.suppress('gone@example.com', 'bounced', 'test');
    const r = c.removeList(l.id);
    expect(r.members).toBe(2);
    expect(c.listLists().map((x) => x.name)).toEqual(['Keep']);
    expect(c.getContact(a.contact.id).contact.lists.map((x) => x.name)).toEqual(['Keep']);
    expect(c.getContact(a.contact.id).contact.tags).toEqual(['x']);
    expect(c.getContact('b@example.com').suppression?.reason).toBe('unsubscribed');
    expect(c.isSuppressed('GONE@example.com')?.reason).toBe('bounced');
  });
});

describe('contacts', () => {
  it('adds a contact by hand with consent evidence, lists, tags and typed fields', () => {
    const l = c.createList('Customers');
    c.createField('city', 'City', 'text');
    c.createField('orders', 'Orders', 'number');
    c.createField('since', 'Customer since', 'date');
    const d = c.addContact({
      address: '  Élodie.Durand@Example.COM ',
      firstName: 'Élodie',
      lastName: 'Durand',
      listIds: [l.id],
      tags: ['VIP', 'vip'],
      fields: { city: 'Lyon', orders: '12', since: '2023-04-05' },
      basis: 'bought from me',
    });
    contactDetailSchema.parse(d);
    expect(d.contact.address).toBe('Élodie.Durand@Example.COM');
    expect(d.contact.addressKey).toBe('élodie.durand@example.com');
    expect(d.contact.fields).toEqual({ city: 'Lyon', orders: 12, since: '2023-04-05' });
    expect(d.contact.tags).toEqual(['VIP']);
    expect(d.contact.lists).toEqual([{ id: l.id, name: 'Customers', status: 'subscribed' }]);
    expect(d.consent).toMatchObject({ source: 'manual', basis: 'bought from me', import: null });
  });

  it('refuses an invalid address with its reason, a duplicate naming the contact, bad field values; changing nothing', () => {
    c.createField('orders', 'Orders', 'number');
    c.createField('since', 'Since', 'date');
    const first = c.addContact({ address: 'anna@example.com' });
    const before = snapshot();
    expect(code(() => c.addContact({ address: 'anna@@example.com' }))).toMatch(
      /^ADDRESS_INVALID: "anna@@example.com" is not/,
    );
    expect(code(() => c.addContact({ address: 'ANNA@EXAMPLE.com', tags: ['new'] }))).toBe(
      `CONTACT_EXISTS: anna@example.com is already a contact (#${first.contact.id}, added ${new Date(first.contact.createdAt).toISOString().slice(0, 10)}); edit that one instead.`,
    );
    expect(code(() => c.addContact({ address: 'b@example.com', fields: { orders: 'many' } }))).toMatch(/holds numbers/);
    expect(code(() => c.addContact({ address: 'b@example.com', fields: { since: '31.12.2023' } }))).toMatch(
      /YYYY-MM-DD/,
    );
    expect(code(() => c.addContact({ address: 'b@example.com', fields: { town: 'x' } }))).toMatch(
      /no custom field "town"/,
    );
    expect(code(() => c.addContact({ address: 'b@example.com', listIds: [42], tags: ['t'] }))).toMatch(/no list #42/);
    expect(snapshot()).toEqual(before);
  });

  it('edits a contact: names, fields (null removes), and an address typo, refusing a taken address', () => {
    c.createField('city', 'City', 'text');
    const a = c.addContact({ address: 'anna@exmaple.com', fields: { city: 'Lyon' } });
    c.addContact({ address: 'bob@example.com' });
    const u = c.updateContact(a.contact.id, { firstName: 'Anna', fields: { city: null }, address: 'Anna@Example.com' });
    expect(u.contact).toMatchObject({
      firstName: 'Anna',
      fields: {},
      address: 'Anna@Example.com',
      addressKey: 'anna@example.com',
    });
    expect(code(() => c.updateContact(a.contact.id, { address: 'BOB@example.com' }))).toMatch(/^CONTACT_EXISTS/);
  });

  it('shows deliveries to the address from the delivery log, with the subject, in any case', () => {
    const a = c.addContact({ address: 'anna@example.com' });
    const msg = (subject: string) =>
      Number(
        db
          .prepare(
            `INSERT INTO messages (source, queue_id, mail_from, subject, size, body, created_at) VALUES ('relay', ?, 'me@shop.test', ?, 1, x'00', ?)`,
          )
          .run(`q${subject}`, subject, Date.now()).lastInsertRowid,
      );
    const deliver = (m: number, to: string, status: string) =>
      db
        .prepare(
          `INSERT INTO deliveries (message_id, recipient, domain, status, attempts, next_attempt_at, created_at, updated_at, last_response)
           VALUES (?, ?, 'example.com', ?, 1, 0, ?, ?, '250 ok')`,
        )
        .run(m, to, status, Date.now(), Date.now());
    deliver(msg('Spring sale'), 'Anna@Example.com', 'delivered');
    deliver(msg('Summer sale'), 'anna@example.com', 'bounced');
    deliver(msg('Other'), 'bob@example.com', 'delivered');
    const d = c.getContact(a.contact.id);
    expect(d.deliveries.map((x) => [x.subject, x.status])).toEqual([
      ['Summer sale', 'bounced'],
      ['Spring sale', 'delivered'],
    ]);
  });
});

describe('search', () => {
  it('finds names that start with a non-ASCII capital from the word typed in small letters, and the reverse', () => {
    const e = c.addContact({ address: 'e@example.com', firstName: 'Élodie', lastName: 'Durand' }).contact.id;
    const o = c.addContact({ address: 'o@example.com', firstName: 'Paul', lastName: 'Öztürk' }).contact.id;
    const m = c.addContact({ address: 'm@example.com', firstName: 'Anna', lastName: 'müller' }).contact.id;
    c.addContact({ address: 'x@example.com', firstName: 'Elodie', lastName: 'Other' });
    const ids = (text: string) => c.queryContacts({ filter: { text } }).rows.map((r) => r.id);
    expect(ids('élodie')).toEqual([e]);
    expect(ids('ÉLO')).toEqual([e]);
    expect(ids('öz')).toEqual([o]);
    expect(ids('Müll')).toEqual([m]);
    expect(ids('élodie dur')).toEqual([e]);
  });
});

describe('erasure', () => {
  it('deletes the contact and keeps a hashed suppression that blocks the address in another case or IDN form', () => {
    const l = c.createList('News');
    const a = c.addContact({ address: 'Jörg@Bücher.example', listIds: [l.id], tags: ['t'] });
    const key = a.contact.addressKey;
    expect(key).toBe('jörg@xn--bcher-kva.example');
    const r = c.removeContacts([a.contact.id]);
    expect(r.changed).toBe(1);
    expect(db.prepare('SELECT count(*) FROM contacts').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM list_members').pluck().get()).toBe(0);
    const rows = db.prepare('SELECT key, address, reason FROM suppressions').all();
    expect(rows).toEqual([{ key: suppressionHashKey(key), address: null, reason: 'erased' }]);
    // Nothing readable is left: the address appears in no row of any table.
    const dump = JSON.stringify([snapshot(), db.prepare('SELECT * FROM suppression_events').all()]);
    expect(dump).not.toMatch(/j(ö|o)rg/i);
    // Re-adding the erased address, in another form, is refused with a sentence.
    for (const form of ['JÖRG@BÜCHER.EXAMPLE', 'jörg@xn--bcher-kva.example']) {
      expect(code(() => c.addContact({ address: form }))).toMatch(
        /^ADDRESS_ERASED: .* was deleted \(erased\).*lift it first/,
      );
    }
    expect(c.isSuppressed('jörg@bücher.example')?.reason).toBe('erased');
    expect(c.suppress('jörg@bücher.example', 'manual', 'test').added).toBe(false);
    // Lifting it takes the address typed again and a reason; then it can come back.
    expect(code(() => c.unsuppress('jörg@bücher.example', '  '))).toMatch(/^VALIDATION: Say why/);
    c.unsuppress('Jörg@bücher.example', 'asked to be added again, by email on 3 May');
    expect(c.addContact({ address: 'jörg@bücher.example' }).suppression).toBeNull();
    const events = db.prepare('SELECT action, reason FROM suppression_events ORDER BY id').all();
    expect(events).toEqual([
      { action: 'erased', reason: 'erased' },
      { action: 'removed', reason: 'asked to be added again, by email on 3 May' },
    ]);
  });

  it('keeps the original reason of an existing suppression, hashed', () => {
    const a = c.addContact({ address: 'x@example.com' });
    c.suppress('x@example.com', 'complaint', 'feedback loop', 'ARF report');
    c.removeContacts({ filter: { text: 'x@' } });
    expect(db.prepare('SELECT key, address, reason, source FROM suppressions').all()).toEqual([
      { key: suppressionHashKey(a.contact.addressKey), address: null, reason: 'complaint', source: 'feedback loop' },
    ]);
    expect(db.prepare("SELECT count(*) FROM suppression_events WHERE key = 'x@example.com'").pluck().get()).toBe(0);
  });
});

describe('suppressions', () => {
  it('adding never weakens: an existing entry stays exactly as it was and the call says so', () => {
    c.suppress('a@example.com', 'complaint', 'feedback loop');
    const before = snapshot();
    const r = c.suppress('A@EXAMPLE.COM', 'manual', 'by hand');
    expect(r.added).toBe(false);
    expect(r.message).toMatch(/already on the do-not-send list \(complaint/);
    expect(snapshot()).toEqual(before);
    expect(code(() => c.suppress('a@example.com', 'erased', 'x'))).toMatch(/^VALIDATION/);
    expect(code(() => c.suppress('not an address', 'manual', 'x'))).toMatch(/^ADDRESS_INVALID/);
  });

  it('removing needs a stated reason, is recorded, and leaves per-list unsubscribes alone', () => {
    const l = c.createList('News');
    const a = c.addContact({ address: 'a@example.com', listIds: [l.id] });
    c.unsubscribe([a.contact.id], l.id);
    c.unsubscribe([a.contact.id]);
    expect(c.getContact(a.contact.id).suppression).toMatchObject({ reason: 'unsubscribed', source: 'marked by hand' });
    expect(code(() => c.unsuppress('a@example.com', ''))).toMatch(/^VALIDATION/);
    expect(code(() => c.unsuppress('b@example.com', 'why'))).toMatch(/^NOT_FOUND/);
    c.unsuppress('a@example.com', 'phoned to ask for the newsletter again');
    const d = c.getContact(a.contact.id);
    expect(d.suppression).toBeNull();
    expect(d.contact.lists).toEqual([{ id: l.id, name: 'News', status: 'unsubscribed' }]);
    expect(db.prepare('SELECT action, reason FROM suppression_events ORDER BY id').all()).toEqual([
      { action: 'added', reason: 'unsubscribed' },
      { action: 'removed', reason: 'phoned to ask for the newsletter again' },
    ]);
  });

  it('lists newest first with keyset pages, every entry once', () => {
    for (let i = 0; i < 250; i++) {
      db.prepare("INSERT INTO suppressions (key, address, reason, source, at) VALUES (?, ?, 'bounced', 't', ?)").run(
        `u${i}@example.com`,
        `u${i}@example.com`,
        1000 + Math.floor(i / 10), // ties on `at`
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = c.listSuppressions({ limit: 30, cursor });
      seen.push(...page.rows.map((r) => r.address as string));
      if (!page.next) break;
      cursor = page.next;
    }
    expect(seen.length).toBe(250);
    expect(new Set(seen).size).toBe(250);
    const ats = seen.map((a) => 1000 + Math.floor(Number(a.slice(1, a.indexOf('@'))) / 10));
    expect(ats).toEqual([...ats].sort((x, y) => y - x));
    expect(
      c
        .listSuppressions({ search: 'u24' })
        .rows.map((r) => r.address)
        .sort(),
    ).toEqual(
      [
        'u24@example.com',
        'u240@example.com',
        'u241@example.com',
        'u242@example.com',
        'u243@example.com',
        'u244@example.com',
        'u245@example.com',
        'u246@example.com',
        'u247@example.com',
        'u248@example.com',
        'u249@example.com',
      ].sort(),
    );
  });
});

describe('bulk actions', () => {
  it('act on ticked rows or on everything a filter matches, in one transaction', () => {
    const news = c.createList('News');
    const other = c.createList('Other');
    const ids = Array.from(
      { length: 30 },
      (_, i) => c.addContact({ address: `p${i}@example.com`, listIds: i < 20 ? [news.id] : [] }).contact.id,
    );
    expect(c.tag({ filter: { listId: news.id } }, 'member').changed).toBe(20);
    expect(c.addToList({ filter: { tagId: c.listTags()[0]?.id } }, other.id).changed).toBe(20);
    expect(c.addToList(ids, other.id).changed).toBe(10);
    c.unsubscribe([ids[0] as number], other.id);
    // An unsubscribe on the list survives adding to it again and removing from it.
    expect(c.addToList([ids[0] as number], other.id).changed).toBe(0);
    const r = c.removeFromList(ids, other.id);
    expect(r.changed).toBe(29);
    expect(r.message).toMatch(/1 contact who unsubscribed from it stay/);
    expect(db.prepare('SELECT contact_id, status FROM list_members WHERE list_id = ?').all(other.id)).toEqual([
      { contact_id: ids[0], status: 'unsubscribed' },
    ]);
    expect(c.setListStatus(ids.slice(0, 5), news.id, 'pending').changed).toBe(5);
    expect(c.untag({ filter: { text: 'p1' } }, 'member').changed).toBe(11);
    expect(c.listTags()[0]?.contacts).toBe(9);
    // A failing action changes nothing: an unknown list after rows were read.
    const before = snapshot();
    expect(code(() => c.addToList({ filter: {} }, 999))).toMatch(/^NOT_FOUND/);
    expect(code(() => c.tag([1, -2], 'x'))).toMatch(/^VALIDATION/);
    expect(snapshot()).toEqual(before);
  });
});

describe('remembered counts', () => {
  it('segment and list counts follow changes made here and by another connection', () => {
    const l = c.createList('News');
    c.createField('city', 'City', 'text');
    const def = { conditions: [{ kind: 'field' as const, field: 'city', op: 'is' as const, value: 'Lyon' }] };
    expect(c.countSegment(def)).toBe(0);
    c.addContact({ address: 'a@example.com', fields: { city: 'Lyon' }, listIds: [l.id] });
    expect(c.countSegment(def)).toBe(1);
    expect(c.listLists()[0]?.subscribed).toBe(1);
    const other = new Database(path.join(dir, 'mailroom.db'));
    try {
      other
        .prepare(
          `INSERT INTO contacts (id, address, address_key, fields, consent_source, consent_at, created_at, updated_at)
           VALUES (99, 'b@example.com', 'b@example.com', jsonb('{"city":"Lyon"}'), 'manual', 1, 1, 1)`,
        )
        .run();
      other
        .prepare(
          "INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at) VALUES (?, 99, 'pending', 1, 1)",
        )
        .run(l.id);
    } finally {
      other.close();
    }
    expect(c.countSegment(def)).toBe(2);
    expect(c.listLists()[0]).toMatchObject({ subscribed: 1, pending: 1 });
  });
});

describe('fields', () => {
  it('creates, renames (the key stays) and refuses bad keys', () => {
    const f = c.createField('customer_since', 'Customer since', 'date');
    expect(code(() => c.createField('Customer Since', 'x', 'date'))).toMatch(/^VALIDATION/);
    expect(code(() => c.createField('email', 'x', 'text'))).toMatch(/^NAME_TAKEN/);
    expect(code(() => c.createField('customer_since', 'x', 'text'))).toMatch(/^NAME_TAKEN/);
    expect(c.renameField('customer_since', 'Client since')).toEqual({ ...f, label: 'Client since' });
    expect(c.listFields().map((x) => x.key)).toEqual(['customer_since']);
  });
});
