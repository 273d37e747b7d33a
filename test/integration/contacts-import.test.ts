import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeContactsFile } from '../../bench/make-contacts-file.ts';
import { suppressionHashKey } from '../../src/main/contacts/address.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import type { ExistingMode, ImportOptions, ImportProgress } from '../../src/shared/domain/contacts.ts';
import { dumpContacts } from '../helpers/contacts-dump.ts';
import { tempDir } from '../helpers/engine.ts';

// The import end to end through engine.imports: the real worker thread, real SQLite files.

let dir: string;
let engine: Engine;

beforeEach(() => {
  dir = tempDir('mailroom-import-');
  engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
});

afterEach(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const imp = (f: string, o: ImportOptions, onProgress?: (p: ImportProgress) => void) =>
  engine.imports.start(f, o, onProgress).done;

const MC_BASE =
  '"Email Address","First Name","Last Name",Address,"Phone Number",Birthday,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,GMTOFF,DSTOFF,TIMEZONE,CC,REGION';
const MC = {
  subscribed: `${MC_BASE},LAST_CHANGED,LEID,EUID,NOTES,TAGS`,
  unsubscribed: `${MC_BASE},UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS`,
  cleaned: `${MC_BASE},CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS`,
};

/** A Mailchimp export of that kind, one row per [address, first name]. */
function mailchimp(kind: keyof typeof MC, people: [string, string][]): string {
  const header = MC[kind];
  const cols = header.split(',').map((c) => c.replace(/"/g, ''));
  const rows = people.map(([email, first]) =>
    cols
      .map((c) => {
        if (c === 'Email Address') return email;
        if (c === 'First Name') return first;
        if (c === 'OPTIN_TIME') return '2024-03-01 10:00:00';
        if (c === 'OPTIN_IP') return '198.51.100.7';
        if (c === 'UNSUB_REASON') return 'No longer interested';
        if (c === 'CLEAN_CAMPAIGN_TITLE') return 'Spring sale';
        if (c === 'UNSUB_TIME' || c === 'CLEAN_TIME' || c === 'LAST_CHANGED') return '2025-01-02 03:04:05';
        if (c === 'TAGS') return '"""Member"",""2025 waiver"""';
        return '';
      })
      .join(','),
  );
  return `${header}\r\n${rows.join('\r\n')}\r\n`;
}

describe('counts and problems', () => {
  it('counts every kind of row exactly: case duplicates, invalid, blank and malformed rows', async () => {
    const f = file(
      'people.csv',
      [
        'Email,First Name,Last Name,Company',
        'ann@example.com,Ann,Lee,Acme', // 1 added
        'ANN@Example.com,Annie,,', // 2 duplicate of 1
        'Bob@Example.COM,Bob,,', // 3 added, kept as typed (key bob@example.com)
        'not-an-address,X,,', // 4 invalid
        ',,,', // 5 blank
        ',Nobody,,', // 6 no address
        'cat@example.com,Cat,,,Zed,Extra', // 7 malformed (two more filled cells)
        'mailto:dan@example.com,Dan,,', // 8 added, normalised
        'Bob@EXAMPLE.com,Robert,,', // 9 duplicate of 3
        '=HYPERLINK("x"),,,', // 10 invalid (and a formula)
        'eve@example.com,=1+1,,', // 11 added with a formula warning
      ].join('\r\n'),
    );
    const r = await imp(f, { list: 'News' });
    expect(r).toMatchObject({
      records: 11,
      blank: 1,
      added: 4,
      updated: 0,
      unchanged: 0,
      suppressed: 0,
      skipped: 6,
      dryRun: false,
      encoding: 'utf-8',
      delimiter: ',',
      mapping: { email: 0, first_name: 1, last_name: 2, company: 3 },
    });
    const kinds = r.problems.map((p) => `${p.record}:${p.kind}${p.sameAs ? `=${p.sameAs}` : ''}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        '2:duplicate=1',
        '4:invalid',
        '6:no-address',
        '7:malformed',
        '8:normalised',
        '9:duplicate=3',
        '10:invalid',
        '11:warning',
      ]),
    );
    expect(r.problems.find((p) => p.record === 7)?.line).toBe(8);
    const d = dumpContacts(dir);
    expect((d.contacts as { address: string; address_key: string }[]).map((c) => c.address)).toEqual([
      'ann@example.com',
      'Bob@Example.COM',
      'dan@example.com',
      'eve@example.com',
    ]);
    expect((d.contacts as { address_key: string }[])[1]?.address_key).toBe('bob@example.com');
    expect(d.list_members).toHaveLength(4);
    // The report is stored and downloadable.
    const stored = engine.imports.report(r.importId as number);
    expect(stored.report.problems).toEqual(r.problems);
    expect(stored.csv.startsWith('\ufeffRecord,Line,Problem')).toBe(true);
    expect(stored.csv).toContain("'=HYPERLINK"); // defused
  });

  it('a dry run computes the same counts against the real database and changes nothing', async () => {
    const f = file('a.csv', 'Email,First Name\r\nann@example.com,Ann\r\nbob@example.com,Bob\r\n');
    await imp(f, { list: 'News' });
    const g = file('b.csv', 'Email,First Name\r\nann@example.com,Annie\r\ncat@example.com,Cat\r\nbad,\r\n');
    const before = dumpContacts(dir);
    const importsBefore = engine.imports.list();
    const dry = await imp(g, { list: 'News', existing: 'overwrite', tags: ['new'], dryRun: true });
    expect(dumpContacts(dir)).toEqual(before);
    expect(engine.imports.list()).toEqual(importsBefore);
    expect(dry).toMatchObject({ importId: null, dryRun: true, added: 1, updated: 1, unchanged: 0, skipped: 1 });
    const real = await imp(g, { list: 'News', existing: 'overwrite', tags: ['new'] });
    expect({ ...real, importId: null, dryRun: true }).toEqual(dry);
  });

  it('warns about formula-looking cells only in the columns that are imported', async () => {
    const f = file(
      'phones.csv',
      'Email,First Name,Phone,City\r\nann@example.com,Ann,+33 1 23 45 67 89,=1+1\r\nbob@example.com,Bob,+44 20 7946 0000,Paris\r\n',
    );
    // Phone is not mapped: its +33 numbers are never stored, so they warn about nothing.
    const r = await imp(f, { list: 'News', mapping: { email: 0, first_name: 1, 'field:city': 3 } });
    expect(r.added).toBe(2);
    expect(r.problems.map((p) => `${p.record}:${p.kind}:${p.value}`)).toEqual(['1:warning:=1+1']);
    expect(r.problems[0]?.reason).toMatch(/^Column 4: starts like a spreadsheet formula/);
    // Mapped, the same phone column warns for each row.
    const again = await imp(f, { list: 'News', mapping: { email: 0, 'field:phone': 2 }, dryRun: true });
    expect(again.problems.map((p) => `${p.record}:${p.kind}:${p.value}`)).toEqual([
      '1:warning:+33 1 23 45 67 89',
      '2:warning:+44 20 7946 0000',
    ]);
  });
});

describe('all or nothing', () => {
  it('a failing import (a row that breaks the file mid-way) changes nothing', async () => {
    await imp(file('a.csv', 'Email\r\nann@example.com\r\n'), { list: 'News' });
    const before = dumpContacts(dir);
    // Valid rows first, then a quote that never closes: the reader fails after rows were staged.
    const rows = Array.from({ length: 20_000 }, (_, i) => `p${i}@example.com,x`).join('\r\n');
    const f = file('broken.csv', `Email,Name\r\n${rows}\r\nq@example.com,"never closed\r\n${'x,'.repeat(600_000)}`);
    await expect(imp(f, { list: 'News' })).rejects.toThrow();
    expect(dumpContacts(dir)).toEqual(before);
    expect(engine.imports.list()).toHaveLength(1);
  });

  it('a mapping to a column that does not exist is refused before anything is read', async () => {
    const f = file('a.csv', 'Email\r\nann@example.com\r\n');
    await expect(imp(f, { list: 'News', mapping: { email: 3 } })).rejects.toThrow(/column 4/);
    expect(dumpContacts(dir).contacts).toEqual([]);
  });

  it('Cancel during reading leaves everything as it was', async () => {
    await imp(file('a.csv', 'Email\r\nann@example.com\r\n'), { list: 'News' });
    const before = dumpContacts(dir);
    const big = path.join(dir, 'big.csv');
    await makeContactsFile(big, 150_000);
    let cancelledAt: ImportProgress | null = null;
    const job = engine.imports.start(big, { list: 'News' }, (p) => {
      if (!cancelledAt && p.phase === 'checking' && p.records > 5000) {
        cancelledAt = p;
        engine.imports.cancel(job.jobId);
      }
    });
    await expect(job.done).rejects.toMatchObject({ code: 'IMPORT_CANCELLED' });
    expect(cancelledAt).not.toBeNull();
    expect(dumpContacts(dir)).toEqual(before);
    expect(engine.imports.list()).toHaveLength(1);
    expect(engine.imports.cancel(job.jobId)).toBe(false);
  });
});

/** Seeds people with decisions: a per-list unsubscribe, a pending member, suppressions of each kind. */
function seed(): { news: number } {
  const db = engine.db;
  const now = 1_700_000_000_000;
  const news = Number(
    db.prepare('INSERT INTO lists (name, created_at, updated_at) VALUES (?, ?, ?)').run('News', now, now)
      .lastInsertRowid,
  );
  const contact = db.prepare(
    `INSERT INTO contacts (address, address_key, first_name, last_name, company, fields, consent_source, consent_at, created_at, updated_at)
     VALUES (?, ?, ?, '', '', jsonb(?), 'manual', ?, ?, ?)`,
  );
  const member = db.prepare(
    'INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at) VALUES (?, ?, ?, ?, ?)',
  );
  const add = (addr: string, first: string, status: string | null, fields: string | null = null) => {
    const id = Number(contact.run(addr, addr.toLowerCase(), first, fields, now, now, now).lastInsertRowid);
    if (status) member.run(news, id, status, now, now);
    return id;
  };
  add('unsub@example.com', 'Una', 'unsubscribed');
  add('pending@example.com', '', 'pending', '{"city":"Lyon"}');
  add('kept@example.com', 'Kim', 'subscribed', '{"city":"Gent"}');
  add('manual@example.com', 'Manu', null);
  const sup = db.prepare(
    'INSERT INTO suppressions (key, address, reason, source, detail, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  sup.run('manual@example.com', 'manual@example.com', 'manual', 'Added by hand', null, now);
  sup.run('bounced@example.com', 'bounced@example.com', 'bounced', 'Delivery', '550 no such user', now);
  sup.run(suppressionHashKey('erased@example.com'), null, 'erased', 'Contact erased', null, now);
  return { news };
}

/** The decisions that must survive: every suppression and every non-subscribed membership. */
function decisions() {
  const d = dumpContacts(dir, ['suppressions', 'list_members']);
  return {
    suppressions: d.suppressions ?? [],
    unsubscribes: (d.list_members as { status: string }[]).filter((m) => m.status !== 'subscribed'),
  };
}

function expectKept(before: ReturnType<typeof decisions>) {
  const now = decisions();
  // Nothing removed or changed; an import may only add suppressions.
  for (const s of before.suppressions) expect(now.suppressions).toContainEqual(s);
  expect(now.unsubscribes).toEqual(before.unsubscribes);
}

describe('suppression survival', () => {
  const everyone: [string, string][] = [
    ['Unsub@Example.com', 'U'],
    ['pending@example.com', 'P'],
    ['kept@example.com', 'K'],
    ['MANUAL@example.com', 'M'],
    ['bounced@example.com', 'B'],
    ['erased@example.com', 'E'],
    ['fresh@example.com', 'F'],
  ];
  const suppressedKeys = () =>
    (dumpContacts(dir, ['suppressions']).suppressions as { key: string }[]).map((s) => s.key);
  const statusOf = (addr: string) =>
    engine.db
      .prepare('SELECT m.status FROM list_members m JOIN contacts c ON c.id = m.contact_id WHERE c.address_key = ?')
      .pluck()
      .get(addr) ?? null;

  for (const existing of ['skip', 'fill', 'overwrite'] as ExistingMode[]) {
    it(`every order with --existing ${existing}, and Undo of each, keeps every suppression and unsubscribe`, async () => {
      seed();
      const start = decisions();
      const orders: { name: string; files: [keyof typeof MC, [string, string][]][] }[] = [
        {
          name: 'subscribed then unsubscribed',
          files: [
            ['subscribed', everyone],
            ['unsubscribed', [['fresh@example.com', 'F']]],
          ],
        },
        {
          name: 'unsubscribed then an older subscribed',
          files: [
            ['unsubscribed', [['late@example.com', 'L']]],
            ['subscribed', [...everyone, ['late@example.com', 'L']]],
          ],
        },
        {
          name: 'cleaned then subscribed',
          files: [
            ['cleaned', [['gone@example.com', 'G']]],
            ['subscribed', [...everyone, ['gone@example.com', 'G']]],
          ],
        },
      ];
      for (const order of orders) {
        const ids: number[] = [];
        for (const [kind, people] of order.files) {
          const before = decisions();
          const r = await imp(file(`${kind}.csv`, mailchimp(kind, people)), {
            list: 'News',
            existing,
            basis: 'moved from Mailchimp',
          });
          expectKept(before);
          ids.push(r.importId as number);
        }
        // Every suppressed address stays suppressed and off the list as subscribed.
        expect(statusOf('unsub@example.com')).toBe('unsubscribed');
        expect(statusOf('pending@example.com')).toBe('pending');
        for (const k of ['manual@example.com', 'bounced@example.com']) {
          expect(suppressedKeys()).toContain(k);
          expect(statusOf(k)).not.toBe('subscribed');
        }
        if (order.name.startsWith('unsubscribed')) {
          expect(suppressedKeys()).toContain('late@example.com');
          expect(statusOf('late@example.com')).toBeNull(); // kept as a suppressed contact, not subscribed
        }
        if (order.name.startsWith('cleaned')) {
          const gone = engine.db
            .prepare("SELECT reason, detail FROM suppressions WHERE key = 'gone@example.com'")
            .get();
          expect(gone).toEqual({ reason: 'bounced', detail: 'Spring sale' });
        }
        // An erased person is not brought back.
        expect(
          engine.db.prepare("SELECT count(*) FROM contacts WHERE address_key = 'erased@example.com'").pluck().get(),
        ).toBe(0);
        // Undo, newest first: the suppressions (also those the imports brought) and unsubscribes stay.
        for (const id of ids.reverse()) {
          const before = decisions();
          engine.imports.undo(id);
          expect(decisions().suppressions).toEqual(before.suppressions);
          expect(decisions().unsubscribes).toEqual(before.unsubscribes);
        }
        expectKept(start);
      }
    });
  }

  it('Mailchimp unsubscribed file: suppressions with the reason and the file, new addresses kept as suppressed contacts', async () => {
    seed();
    const r = await imp(
      file(
        'unsubscribed_email_audience_export_1.csv',
        mailchimp('unsubscribed', [
          ['new@example.com', 'N'],
          ['kept@example.com', 'K'],
        ]),
      ),
      {
        list: 'News',
      },
    );
    expect(r).toMatchObject({ recognised: 'mailchimp-unsubscribed', suppressed: 2, suppressionsAdded: 2, added: 1 });
    const s = engine.db
      .prepare("SELECT reason, source, detail, import_id FROM suppressions WHERE key = 'new@example.com'")
      .get();
    expect(s).toEqual({
      reason: 'unsubscribed',
      source: 'Imported from the file unsubscribed_email_audience_export_1.csv',
      detail: 'No longer interested',
      import_id: r.importId,
    });
    expect(statusOf('new@example.com')).toBeNull();
    expect(statusOf('kept@example.com')).toBe('subscribed'); // global suppression wins at send time; the list row is not rewritten
  });

  it('Mailchimp unsubscribed and cleaned files without their id columns are still suppressions, never subscribed', async () => {
    const r = await imp(
      file(
        'unsubscribed_members_export.csv',
        'Email Address,First Name,Last Name,OPTIN_TIME,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\r\n' +
          'gone@example.org,Pat,Lee,,"2025-03-03 03:03:03",Spring,OTHER\r\n',
      ),
      { list: 'News' },
    );
    expect(r).toMatchObject({ recognised: 'mailchimp-unsubscribed', suppressed: 1 });
    const c = await imp(
      file('cleaned.csv', 'Email Address,First Name,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE\r\nbounced@example.org,B,,\r\n'),
      { list: 'News' },
    );
    expect(c).toMatchObject({ recognised: 'mailchimp-cleaned', suppressed: 1 });
    expect(engine.db.prepare('SELECT key, reason FROM suppressions ORDER BY key').all()).toEqual([
      { key: 'bounced@example.org', reason: 'bounced' },
      { key: 'gone@example.org', reason: 'unsubscribed' },
    ]);
    expect(engine.db.prepare("SELECT count(*) FROM list_members WHERE status = 'subscribed'").pluck().get()).toBe(0);
  });

  it('Mailchimp subscribed file: OPTIN_TIME/OPTIN_IP become consent evidence with the basis, the file and its SHA-256; TAGS become tags', async () => {
    const f = file('subscribed_email_audience_export_1.csv', mailchimp('subscribed', [['ann@example.com', 'Ann']]));
    const r = await imp(f, { list: 'News', basis: 'moved from another newsletter service' });
    expect(r).toMatchObject({ recognised: 'mailchimp-subscribed', added: 1 });
    const ann = engine.db
      .prepare(
        "SELECT consent_source, consent_basis, consent_detail, import_id FROM contacts WHERE address_key = 'ann@example.com'",
      )
      .get() as Record<string, unknown>;
    expect(ann).toMatchObject({
      consent_source: 'import',
      consent_basis: 'moved from another newsletter service',
      import_id: r.importId,
    });
    expect(JSON.parse(ann.consent_detail as string)).toEqual({
      optinTime: '2024-03-01 10:00:00',
      optinIp: '198.51.100.7',
    });
    const imported = engine.db
      .prepare('SELECT file_name, file_sha256, file_size FROM imports WHERE id = ?')
      .get(r.importId);
    const { createHash } = await import('node:crypto');
    expect(imported).toEqual({
      file_name: 'subscribed_email_audience_export_1.csv',
      file_sha256: createHash('sha256').update(fs.readFileSync(f)).digest('hex'),
      file_size: fs.statSync(f).size,
    });
    const tags = engine.db.prepare('SELECT name FROM tags ORDER BY name').pluck().all();
    expect(tags).toEqual(['2025 waiver', 'Member']);
    expect(statusOf('ann@example.com')).toBe('subscribed');
  });

  it('Shopify "Accepts Email Marketing" = no: kept as a contact with the evidence, never subscribed', async () => {
    const f = file(
      'customers_export.csv',
      'Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Tags\r\n' +
        '\'7210448301122,Ann,Lee,ann@example.com,yes,Acme,"vip, horeca"\r\n' +
        "'7210448301123,Bob,Roe,bob@example.com,no,,\r\n",
    );
    const r = await imp(f, { list: 'News', basis: 'customers who bought from me' });
    expect(r).toMatchObject({ recognised: 'shopify', added: 2, declined: 1 });
    expect(statusOf('ann@example.com')).toBe('subscribed');
    expect(statusOf('bob@example.com')).toBeNull();
    const bob = engine.db
      .prepare(
        "SELECT consent_source, consent_basis, consent_detail, import_id FROM contacts WHERE address_key = 'bob@example.com'",
      )
      .get() as Record<string, unknown>;
    expect(bob).toMatchObject({
      consent_source: 'import',
      consent_basis: 'customers who bought from me',
      import_id: r.importId,
    });
    expect(JSON.parse(bob.consent_detail as string)).toEqual({ acceptsEmailMarketing: 'no' });
    const tags = engine.db
      .prepare(
        "SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id JOIN contacts c ON c.id = ct.contact_id WHERE c.address_key = 'ann@example.com' ORDER BY t.name",
      )
      .pluck()
      .all();
    expect(tags).toEqual(['horeca', 'vip']);
  });
});

describe('custom fields', () => {
  it('labels a new custom field as typed, or with its column header; an existing field keeps its label', async () => {
    engine.db
      .prepare("INSERT INTO contact_fields (key, label, type, created_at) VALUES ('city', 'City', 'text', 1)")
      .run();
    const f = file('people.csv', 'Email,Town,Kundennummer,Seit\r\nann@example.com,Gent,42,2020-01-31\r\n');
    await imp(f, {
      list: 'News',
      mapping: { email: 0, 'field:city': 1, 'field:customer_no': 2, 'field:since': 3 },
      fieldTypes: { customer_no: 'number', since: 'date' },
      fieldLabels: { city: 'Home town', customer_no: 'Customer number' },
    });
    expect(engine.db.prepare('SELECT key, label, type FROM contact_fields ORDER BY key').all()).toEqual([
      { key: 'city', label: 'City', type: 'text' },
      { key: 'customer_no', label: 'Customer number', type: 'number' },
      { key: 'since', label: 'Seit', type: 'date' },
    ]);
  });
});

describe('undo', () => {
  it('restores exactly the state before the import, for every --existing option', async () => {
    for (const existing of ['skip', 'fill', 'overwrite'] as ExistingMode[]) {
      await engine.close();
      fs.rmSync(dir, { recursive: true, force: true });
      dir = tempDir('mailroom-import-');
      engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
      seed();
      engine.db
        .prepare("INSERT INTO contact_fields (key, label, type, created_at) VALUES ('city', 'City', 'text', 1)")
        .run();
      const before = dumpContacts(dir);
      const f = file(
        'people.csv',
        'Email,First Name,City,Since,Tags\r\n' +
          'pending@example.com,Pat,Paris,2020-01-31,a\r\n' + // fill: first name; overwrite: city too
          'kept@example.com,Kimberly,,31.12.2021,b\r\n' +
          'unsub@example.com,Una,Rome,,\r\n' +
          'new@example.com,Ned,Nice,2019-05-05,"a, c"\r\n',
      );
      const r = await imp(f, {
        list: 'News',
        existing,
        tags: ['spring'],
        mapping: { email: 0, first_name: 1, 'field:city': 2, 'field:since': 3, tags: 4 },
        fieldTypes: { since: 'date' },
      });
      expect(r.added).toBe(1);
      const after = dumpContacts(dir);
      expect(after).not.toEqual(before);
      if (existing !== 'skip') {
        const kept = (after.contacts as { address: string; first_name: string; fields: string }[]).find(
          (c) => c.address === 'kept@example.com',
        );
        expect(kept?.first_name).toBe(existing === 'overwrite' ? 'Kimberly' : 'Kim');
        expect(JSON.parse(kept?.fields as string)).toEqual({ city: 'Gent', since: '2021-12-31' });
      }
      engine.imports.undo(r.importId as number);
      expect(dumpContacts(dir)).toEqual(before);
      expect(engine.imports.list()[0]).toMatchObject({ id: r.importId, state: 'undone' });
      expect(() => engine.imports.undo(r.importId as number)).toThrow(/already undone/);
    }
  });

  it('is refused while a later import is committed, with a sentence', async () => {
    const a = await imp(file('a.csv', 'Email\r\nann@example.com\r\n'), { list: 'News' });
    await imp(file('b.csv', 'Email\r\nbob@example.com\r\n'), { list: 'News' });
    expect(() => engine.imports.undo(a.importId as number)).toThrow(/b\.csv \(number 2\) came after this one/);
  });
});

describe('a deleted list keeps its unsubscribes', () => {
  it('importing onto a list made again with the same name keeps who unsubscribed from it', async () => {
    const f = file('list.csv', 'Email\r\nann@example.com\r\nbob@example.com\r\n');
    await imp(f, { list: 'Newsletter' });
    const c = engine.contacts;
    const ann = c.contactId('ann@example.com');
    const bob = c.contactId('bob@example.com');
    c.unsubscribe([ann], c.listByName('Newsletter').id);
    const old = c.listByName('Newsletter').id;
    c.removeList(old);

    // Hidden everywhere a list is listed or shown.
    expect(c.listLists().map((l) => l.name)).toEqual([]);
    expect(() => c.listByName('Newsletter')).toThrow(/no list called/);
    expect(c.getContact(ann).contact.lists).toEqual([]);

    const r = await imp(f, { list: 'Newsletter' });
    const list = c.listLists();
    expect(list.map((l) => [l.id, l.name, l.subscribed, l.unsubscribed, l.pending])).toEqual([
      [old, 'Newsletter', 1, 1, 0],
    ]);
    const status = (id: number) =>
      engine.db.prepare('SELECT status FROM list_members WHERE list_id = ? AND contact_id = ?').pluck().get(old, id);
    expect(status(ann)).toBe('unsubscribed');
    expect(status(bob)).toBe('subscribed');

    // Undo of that import hides the list again, its unsubscribe still kept.
    engine.imports.undo(r.importId as number);
    expect(c.listLists()).toEqual([]);
    expect(status(ann)).toBe('unsubscribed');
    // Made again by hand: it comes back; renaming another list to a deleted one's name is refused.
    c.removeList(c.createList('Newsletter').id);
    const other = c.createList('Other');
    expect(() => c.renameList(other.id, 'newsletter')).toThrow(/deleted list was called "Newsletter"/);
    expect(c.createList('Newsletter').id).toBe(old);
    expect(status(ann)).toBe('unsubscribed');
  });
});

describe('unreadable characters', () => {
  function bin(name: string, b: Buffer): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, b);
    return p;
  }
  const utf16 = (s: string) => Buffer.from(s, 'utf16le');
  const lone = (hi: number) => Buffer.from([hi & 0xff, hi >> 8]);

  it('never stores U+FFFD; a lone surrogate or U+FFFD leaves the row out with a sentence', async () => {
    // vCard 2.1 labelled UTF-8 over Windows-1252 bytes: read as Windows-1252.
    const v = await imp(
      file(
        'a.vcf',
        'BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=FCller;J=F6rg\r\nEMAIL;INTERNET:jm@x.com\r\nEND:VCARD\r\n',
      ),
      { list: 'L' },
    );
    expect(v.added).toBe(1);
    expect(engine.db.prepare('SELECT first_name, last_name FROM contacts').get()).toEqual({
      first_name: 'Jörg',
      last_name: 'Müller',
    });
    // An encoding outside the offered ones is refused with a sentence.
    const sj = bin(
      'b.csv',
      Buffer.concat([Buffer.from('Email,First Name\nsj@x.com,M'), Buffer.from([0xfc, 0x80, 0x0a])]),
    );
    await expect(imp(sj, { list: 'L', encoding: 'shift_jis' })).rejects.toThrow(/does not know the text encoding/);
    // UTF-16 with a lone surrogate in a name, and a literal U+FFFD in UTF-8.
    const u = await imp(
      bin(
        'c.txt',
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          utf16('Email\tFirst Name\r\nls@x.com\tA'),
          lone(0xd800),
          utf16('B\r\n'),
        ]),
      ),
      { list: 'L' },
    );
    expect(u.added).toBe(0);
    expect(u.problems.map((p) => [p.kind, p.reason])).toEqual([
      [
        'malformed',
        "Column 2: a character could not be read (U+FFFD): pick the file's encoding in the preview. Left out.",
      ],
    ]);
    const lit = await imp(file('e.csv', 'Email,First Name\nlit@x.com,M\ufffdller\n'), { list: 'L' });
    expect(lit.added).toBe(0);
    expect(lit.problems[0]?.kind).toBe('malformed');
    // Two addresses with lone surrogates: a report, not an internal error.
    const two = await imp(
      bin(
        'd.txt',
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          utf16('Email\r\na'),
          lone(0xd800),
          utf16('b@x.com\r\na'),
          lone(0xd801),
          utf16('b@x.com\r\n'),
        ]),
      ),
      { list: 'L' },
    );
    expect(two.added).toBe(0);
    expect(two.problems.map((p) => [p.kind, p.value])).toEqual([
      ['invalid', 'a?b@x.com'],
      ['invalid', 'a?b@x.com'],
    ]);
    expect(two.problems[0]?.reason).toMatch(/could not be read: choose the file's encoding/);
    // Nothing in any table holds U+FFFD.
    const fffd = (sql: string) => engine.db.prepare(sql).pluck().get();
    expect(
      fffd(`SELECT count(*) FROM contacts WHERE instr(address || first_name || last_name || company, char(65533)) > 0`),
    ).toBe(0);
    expect(
      fffd(`SELECT count(*) FROM import_problems WHERE instr(coalesce(value, '') || reason, char(65533)) > 0`),
    ).toBe(0);
    expect(() => engine.contacts.addContact({ address: 'm\ufffdller@x.com' })).toThrow(/could not be read/);
    expect(() => engine.contacts.addContact({ address: 'a\ud800b@x.com' })).toThrow(/could not be read/);
  });
});

describe('--existing skip', () => {
  it("changes no existing contact: the file's tags go to new people only, the chosen tags and the list to everyone", async () => {
    const c = engine.contacts;
    const other = c.createList('Other');
    c.addContact({ address: 'hanna@example.se', firstName: 'Hannah', listIds: [other.id] });
    const r = await imp(path.resolve('test/fixtures/contacts/shopify.csv'), {
      list: 'Shop',
      existing: 'skip',
      tags: ['from-shop'],
    });
    // Hanna existed: her name stays, she gets the chosen tag and the list, not the file's vip/horeca.
    expect(r).toMatchObject({ records: 3, added: 2, updated: 0, unchanged: 1, declined: 1 });
    const hanna = c.getContact('hanna@example.se').contact;
    expect([hanna.firstName, hanna.lastName, hanna.tags]).toEqual(['Hannah', '', ['from-shop']]);
    expect(hanna.lists.map((l) => l.name).sort()).toEqual(['Other', 'Shop']);
    expect(c.getContact('noor@example.com').contact.tags.sort()).toEqual(['from-shop', 'newsletter']);
    // The same file with fill: Hanna's empty last name is filled and the file's tags reach her (updated); the others are as they were.
    const f = await imp(path.resolve('test/fixtures/contacts/shopify.csv'), { list: 'Shop', existing: 'fill' });
    expect(f).toMatchObject({ added: 0, updated: 1, unchanged: 2 });
    expect(c.getContact('hanna@example.se').contact.tags.sort()).toEqual(['from-shop', 'horeca', 'vip']);
  });
});

describe('Outlook', () => {
  it('an Exchange ("EX") entry is reported as what it is, not as a bad address', async () => {
    for (const name of ['outlook.csv', 'outlook-de.csv']) {
      const r = await imp(path.resolve('test/fixtures/contacts', name), { list: 'L', dryRun: true });
      const ex = r.problems.filter((p) => p.value?.trim().toLowerCase().startsWith('/o='));
      expect(ex.length, name).toBe(name === 'outlook.csv' ? 1 : 0);
      for (const p of ex) {
        expect(p.kind).toBe('invalid');
        expect(p.reason).toMatch(/^This is an Exchange address \(an internal Outlook directory path\)/);
      }
    }
  });
});

describe('erasure', () => {
  it('takes the erased address out of every import report', async () => {
    const r = await imp(file('f.csv', 'Email,First Name\n  bob@x.com ,Bob\nBOB@x.com,Bobby\nann@x.com,Ann\n'), {
      list: 'L',
    });
    expect(r.problems.map((p) => p.value)).toEqual(['  bob@x.com ', 'BOB@x.com']);
    engine.contacts.removeContacts([engine.contacts.contactId('bob@x.com')]);
    const after = engine.imports.report(r.importId as number);
    expect(after.report.problems.map((p) => [p.kind, p.value])).toEqual([
      ['normalised', null],
      ['duplicate', null],
    ]);
    expect(JSON.stringify(after.report).toLowerCase()).not.toContain('bob@x.com');
    expect(after.csv.toLowerCase()).not.toContain('bob@x.com');
  });
});

describe('international addresses and notes about the file', () => {
  it('imports an international address with a warning that says what it needs, and keeps the reader notes in the report', async () => {
    const f = file(
      'intl.csv',
      'Email,First Name\r\njörg@example.com,Jörg\r\nbob@müller.de,Bob\r\nann@example.com,Ann\r\n',
    );
    const r = await imp(f, { list: 'Newsletter' });
    expect(r.added).toBe(3);
    const warnings = r.problems.filter((p) => p.kind === 'warning');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ record: 1, line: 2, value: 'jörg@example.com' });
    expect(warnings[0]!.reason).toContain('SMTPUTF8');
    expect(warnings[1]).toMatchObject({ record: 2, line: 3, value: 'bob@müller.de' });
    expect(warnings[1]!.reason).toContain('xn--mller-kva.de');
    expect(r.notes).toEqual([]);

    // A Central European file read as Windows-1252: the reader's suggestion reaches the report, now and later.
    const cz = await imp(path.resolve('test/fixtures/contacts/quirk-windows-1250.csv'), { list: 'Newsletter' });
    expect(cz.notes.join(' ')).toMatch(/1250|Central European/);
    expect(engine.imports.report(cz.importId!).report.notes).toEqual(cz.notes);
  });
});
