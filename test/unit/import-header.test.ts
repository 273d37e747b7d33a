import fs from 'node:fs';
import path from 'node:path';
import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { contactRow, contactsFileCounts, makeContactsFile } from '../../bench/make-contacts-file.ts';
import {
  autoMap,
  MAPPING_TARGETS,
  RECOGNISED_LABELS,
  recogniseHeader,
} from '../../src/main/contacts/import/header-map.ts';
import { readAll } from '../../src/main/contacts/import/read-file.ts';
import { readVcard } from '../../src/main/contacts/import/vcard.ts';
import { tempDir } from '../helpers/engine.ts';

// Header recognition and auto-mapping beyond the fixtures' own headers, the vCard reader
// against ical.js (an independent parser, for 3.0) and on 2.1 variants, and the large-file
// generator the import benchmark uses.

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/contacts');

describe('recogniseHeader', () => {
  it('recognises older Mailchimp exports (LATITUDE/LONGITUDE, no TAGS)', () => {
    const old = [
      'Email Address',
      'First Name',
      'Last Name',
      'MEMBER_RATING',
      'OPTIN_TIME',
      'OPTIN_IP',
      'CONFIRM_TIME',
      'CONFIRM_IP',
      'LATITUDE',
      'LONGITUDE',
      'GMTOFF',
      'DSTOFF',
      'TIMEZONE',
      'CC',
      'REGION',
      'LAST_CHANGED',
      'LEID',
      'EUID',
      'NOTES',
    ];
    expect(recogniseHeader(old)).toBe('mailchimp-subscribed');
    expect(recogniseHeader([...old.slice(0, 15), 'UNSUB_TIME', 'LEID', 'EUID'])).toBe('mailchimp-unsubscribed');
  });

  it('needs more than one telling column', () => {
    expect(recogniseHeader(['Email', 'First Name'])).toBeNull();
    expect(recogniseHeader(['Email Address', 'LEID'])).toBeNull();
    expect(recogniseHeader(['E-mail Address', 'First Name', 'Last Name'])).toBeNull();
    expect(recogniseHeader([])).toBeNull();
  });

  it('has a sentence for every kind it can name', () => {
    for (const k of [
      'mailchimp-subscribed',
      'mailchimp-unsubscribed',
      'mailchimp-cleaned',
      'outlook',
      'outlook-de',
      'google',
      'google-old',
      'shopify',
      'vcard',
    ]) {
      expect(RECOGNISED_LABELS[k], k).toBeTruthy();
    }
  });
});

describe('autoMap', () => {
  it('maps the common spreadsheet words in English, German and French', () => {
    const cases: Array<[string[], Record<string, number>]> = [
      [['Mail', 'Prénom', 'Nom', 'Société'], { email: 0, first_name: 1, last_name: 2, company: 3 }],
      [['Courriel', 'Given Name', 'Surname'], { email: 0, first_name: 1, last_name: 2 }],
      [['Adresse e-mail', 'Family Name'], { email: 0, last_name: 1 }],
      [
        ['E-Mail-Adresse', 'Vorname', 'Nachname', 'Firma', 'Kategorien'],
        { email: 0, first_name: 1, last_name: 2, company: 3, tags: 4 },
      ],
      [['  EMAIL ', 'TAGS'], { email: 0, tags: 1 }],
      [['Email Address', 'Labels'], { email: 0, tags: 1 }],
      [['E-mail 1 - Value', 'Organization Name'], { email: 0, company: 1 }],
      [
        ['Default Address Company', 'Email', 'Accepts Email Marketing'],
        { company: 0, email: 1, accepts_email_marketing: 2 },
      ],
      [
        ['OPTIN_TIME', 'OPTIN_IP', 'CONFIRM_TIME', 'CONFIRM_IP'],
        { optin_time: 0, optin_ip: 1, confirm_time: 2, confirm_ip: 3 },
      ],
    ];
    for (const [header, mapping] of cases) expect(autoMap(header), header.join('|')).toEqual(mapping);
  });

  it('works from positions: of two Email columns the first is the default, and a better name wins over order', () => {
    expect(autoMap(['Name', 'Email', 'Email'])).toEqual({ email: 1 });
    // Outlook: "E-mail Address" is the address even though "E-mail Display Name" and others follow.
    expect(autoMap(['E-mail 2 Address', 'E-mail Address']).email).toBe(1);
  });

  it('maps a single unnamed-looking column to the address, and nothing else unasked', () => {
    expect(autoMap(['Adressen'])).toEqual({ email: 0 });
    expect(autoMap(['City', 'Phone', 'Birthday'])).toEqual({});
  });

  it('documents every target', () => {
    expect(Object.keys(MAPPING_TARGETS)).toEqual([
      'email',
      'first_name',
      'last_name',
      'company',
      'tags',
      'optin_time',
      'optin_ip',
      'confirm_time',
      'confirm_ip',
      'accepts_email_marketing',
      'unsub_reason',
      'unsub_time',
      'clean_campaign_title',
      'clean_time',
    ]);
  });
});

describe('vCard', () => {
  it('reads the Apple 3.0 fixture as ical.js does', async () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'apple.vcf'), 'utf8');
    const cards = (ICAL.parse(text) as unknown[]).map((j) => new ICAL.Component(j as never));
    const { rows } = await readAll(path.join(FIXTURES, 'apple.vcf'));
    expect(rows).toHaveLength(cards.length);
    cards.forEach((c, i) => {
      const emails = c.getAllProperties('email').map((p) => String(p.getFirstValue()));
      const n = (c.getFirstPropertyValue('n') as unknown as string[]) ?? [];
      const org = (c.getFirstPropertyValue('org') as unknown as string[] | null)?.[0] ?? '';
      const cats = c.getAllProperties('categories').flatMap((p) => p.getValues().map(String));
      const cells = rows[i]!.cells;
      expect([cells[0], ...(cells[5] ? cells[5].split(' ::: ') : [])].filter(Boolean)).toEqual(emails);
      expect([cells[2], cells[1]]).toEqual([n[0] ?? '', n[1] ?? '']);
      expect(cells[3]).toBe(org);
      expect(cells[4]).toBe(cats.join(', '));
    });
  });

  it('decodes 2.1 quoted-printable in other charsets, and takes the name from FN when N is missing', () => {
    const text = [
      'BEGIN:VCARD',
      'VERSION:2.1',
      'FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Fran=E7oise M=FCller',
      'EMAIL;PREF;INTERNET:fm@example.fr',
      'ORG;ENCODING=QUOTED-PRINTABLE;CHARSET=windows-1252:=80 & Co=2E=',
      ' KG',
      'PHOTO;ENCODING=BASE64;TYPE=JPEG:',
      '  /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGBwkHBwcH',
      '  CAkHBwcHCQ==',
      '',
      'END:VCARD',
    ].join('\r\n');
    const r = readVcard(text);
    expect(r.rows).toEqual([{ line: 1, cells: ['fm@example.fr', 'Françoise', 'Müller', '€ & Co. KG', '', ''] }]);
  });

  it('reads vCard 4.0 PREF=1 and quoted TYPE lists, and base64 names', () => {
    const name = Buffer.from('Żak;Łucja', 'utf8').toString('base64');
    const text = [
      'BEGIN:VCARD',
      'VERSION:4.0',
      'EMAIL;TYPE="home,internet":home@example.pl',
      'EMAIL;TYPE=work;PREF=1:work@example.pl',
      `N;ENCODING=B;CHARSET=UTF-8:${name}`,
      'END:VCARD',
    ].join('\n');
    expect(readVcard(text).rows[0]!.cells).toEqual(['work@example.pl', 'Łucja', 'Żak', '', '', 'home@example.pl']);
  });

  it('reads a 2.1 file saved in Windows-1252 without quoted-printable', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'ansi.vcf');
    fs.writeFileSync(
      file,
      Buffer.from(
        'BEGIN:VCARD\r\nVERSION:2.1\r\nN:Gr\xf6\xdf;J\xfcrgen\r\nEMAIL:jg@example.de\r\nEND:VCARD\r\n',
        'latin1',
      ),
    );
    const { source, rows } = await readAll(file);
    expect(source.layout).toMatchObject({ format: 'vcard', encoding: 'windows-1252' });
    expect(rows[0]!.cells.slice(0, 3)).toEqual(['jg@example.de', 'Jürgen', 'Größ']);
  });
});

describe('bench/make-contacts-file.ts', () => {
  it('writes N rows with exactly the duplicates and invalid rows it reports', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'big.csv');
    const counts = await makeContactsFile(file, 5000);
    expect(counts).toMatchObject({ rows: 5000, duplicates: 500, invalid: 25, unique: 4475 });
    expect(counts.bytes).toBe(fs.statSync(file).size);
    const { source, rows } = await readAll(file);
    expect(source.header).toEqual(['Email', 'First Name', 'Last Name', 'Company', 'City', 'Customer Since']);
    expect(rows).toHaveLength(5000);
    expect(rows.every((r) => r.cells.length === 6 && !r.extra)).toBe(true);
    const seen = new Set<string>();
    let dups = 0;
    let caseOnly = 0;
    const exact = new Set<string>();
    let noAt = 0;
    for (const r of rows) {
      const a = r.cells[0]!;
      if (!/^[^@\s]+@[^@\s]+\.[a-z0-9]+$/i.test(a) || a.includes('.@')) {
        noAt++;
        continue;
      }
      if (seen.has(a.toLowerCase())) {
        dups++;
        if (!exact.has(a)) caseOnly++;
      }
      seen.add(a.toLowerCase());
      exact.add(a);
    }
    expect(dups).toBe(counts.duplicates);
    expect(caseOnly).toBe(counts.duplicates); // every duplicate differs from its original by case only
    expect(noAt).toBe(counts.invalid);
    expect(contactsFileCounts(1_000_000)).toEqual({
      rows: 1_000_000,
      duplicates: 100_000,
      invalid: 5000,
      unique: 895_000,
    });
    expect(contactRow(9)[0]).toBe(contactRow(4)[0]!.toUpperCase());
  });
});
