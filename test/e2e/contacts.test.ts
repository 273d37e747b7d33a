import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine.ts';
import { type Harness, openApp, rendererBuilt, startAppEngine, startHarness } from '../helpers/app-harness.ts';
import { runPython } from '../helpers/python.ts';
import { waitFor } from '../helpers/smtp-sink.ts';

// The Contacts section in Chromium over a real engine and real SQLite, by clicks only:
// 60 people and a suppression seeded through the service, then paging, adding one by
// hand, filtering, a bulk tag, lifting a suppression with a typed reason, a segment with
// its live count, lists, the do-not-send list and its export, and an erasure; each
// result checked in the database. Screenshots in light and dark.

let h: Harness;
let dataDir: string;
let engine: Engine;
let newsletter: number;

beforeAll(async () => {
  if (!rendererBuilt) return;
  let relayPort: number;
  ({ engine, dataDir, relayPort } = await startAppEngine('mailroom-contacts-e2e-'));
  newsletter = engine.contacts.createList('Newsletter').id;
  for (let i = 0; i < 60; i++) {
    engine.contacts.addContact({
      address: `person${i}@example.org`,
      firstName: `Person${i}`,
      lastName: i % 2 ? 'Martin' : 'Bernard',
      listIds: i < 40 ? [newsletter] : [],
      tags: i % 3 === 0 ? ['customer'] : [],
      basis: 'signed up on my website',
    });
  }
  engine.contacts.suppress('person7@example.org', 'unsubscribed', 'Unsubscribed through the link in a newsletter');
  // One message to person3 through the relay, so the drawer has a delivery to show.
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: relayPort,
    ignoreTLS: true,
    auth: { user: engine.settings.get('relay.username'), pass: (await engine.secrets.get('relay.password')) as string },
  });
  try {
    await transport.sendMail({
      from: 'news@example.com',
      to: 'person3@example.org',
      subject: 'March news',
      text: 'Hello',
    });
  } finally {
    transport.close();
  }
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  await engine?.close(2000);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const count = (sql: string, ...args: unknown[]) =>
  engine.db
    .prepare(sql)
    .pluck()
    .get(...args) as number;
const tagged = (tag: string) =>
  count('SELECT count(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = ?', tag);

describe.skipIf(!rendererBuilt)('contacts in Chromium', () => {
  it('pages, adds, filters, tags, lifts a suppression, builds a segment, manages lists and erases', async () => {
    const app = await openApp(h, engine);
    const { page } = app;
    const total = page.getByTestId('contacts-total');
    try {
      await page.getByTestId('nav-/contacts').click();
      // Keyset paging over the 60 people.
      await total.getByText('1–50 of 60').waitFor();
      await page.getByTestId('contacts-next').click();
      await total.getByText('51–60 of 60').waitFor();
      await page.getByTestId('contacts-previous').click();
      await total.getByText('1–50 of 60').waitFor();
      await app.screenshot('contacts-01-table');

      // Add one by hand: on the list, with a tag and the reason they agreed.
      await page.getByTestId('contacts-add').click();
      await page.getByTestId('add-address').fill('  Zoé <zoe@Example.org> ');
      await page.getByTestId('add-first-name').fill('Zoé');
      await page.getByTestId('add-lists').click();
      await page.getByRole('listbox', { name: 'Lists' }).getByRole('option', { name: 'Newsletter' }).click();
      await page.keyboard.press('Escape');
      await page.getByTestId('add-tags').fill('vip');
      await page.keyboard.press('Enter');
      await page.getByTestId('add-basis').fill('asked at the shop counter');
      await page.getByTestId('add-save').click();
      const drawer = page.getByTestId('contact-drawer');
      await drawer.getByTestId('drawer-lists').getByText('Newsletter').waitFor();
      await drawer.getByTestId('drawer-tags').getByText('vip').waitFor();
      await drawer.getByTestId('drawer-consent').getByText('asked at the shop counter').waitFor();
      const zoe = engine.db
        .prepare('SELECT address_key, first_name, consent_source, consent_basis FROM contacts WHERE first_name = ?')
        .get('Zoé');
      expect(zoe).toEqual({
        address_key: 'zoe@example.org',
        first_name: 'Zoé',
        consent_source: 'manual',
        consent_basis: 'asked at the shop counter',
      });
      await app.screenshot('contacts-02-added');
      // Edit by hand from the drawer.
      await drawer.getByTestId('drawer-edit').click();
      await page.getByTestId('edit-first-name').fill('Zoë');
      await page.getByTestId('edit-save').click();
      await waitFor(
        () => count("SELECT count(*) FROM contacts WHERE first_name = 'Zoë' AND address_key = 'zoe@example.org'") === 1,
        5000,
        'the edit',
      );
      // Tags in place: one added, one removed.
      await drawer.getByTestId('drawer-tag-input').fill('friend');
      await drawer.getByTestId('drawer-add-tag').click();
      await drawer.getByTestId('drawer-tags').getByText('friend').waitFor();
      await drawer.getByRole('button', { name: 'Remove the tag vip' }).click();
      await drawer.getByTestId('drawer-tags').getByText('vip').waitFor({ state: 'detached' });
      expect(tagged('friend')).toBe(1);
      expect(tagged('vip')).toBe(0);
      await page.keyboard.press('Escape');
      await total.getByText('1–50 of 61').waitFor();

      // The drawer of someone mail was sent to shows that delivery from the log.
      await page.getByTestId('contacts-search').fill('person3@');
      await total.getByText('1–1 of 1').waitFor();
      await page.locator('[data-testid^="contact-row-"]').first().click();
      await drawer.getByTestId('drawer-deliveries').getByText('March news').waitFor();
      await app.screenshot('contacts-03-drawer-deliveries');
      await page.keyboard.press('Escape');

      // Filters: search, list, tag, suppression.
      await page.getByTestId('contacts-search').fill('');
      await total.getByText('1–50 of 61').waitFor();
      await page.getByTestId('contacts-filter-list').selectOption({ label: 'Newsletter' });
      await total.getByText('1–41 of 41').waitFor();
      await page.getByTestId('contacts-filter-tag').selectOption({ label: 'customer' });
      await total.getByText('1–14 of 14').waitFor();
      await page.getByTestId('contacts-filter-list').selectOption({ label: 'All lists' });
      await page.getByTestId('contacts-filter-tag').selectOption({ label: 'Any tag' });
      await page.getByTestId('contacts-filter-suppressed').selectOption('yes');
      await total.getByText('1–1 of 1').waitFor();
      await app.screenshot('contacts-04-filtered');

      // Beyond one page: tick the page, then choose everyone the filter matches, and tag them all.
      await page.getByTestId('contacts-filter-suppressed').selectOption('');
      await page.getByRole('combobox', { name: 'Rows per page' }).selectOption('25');
      await total.getByText('1–25 of 61').waitFor();
      await page.getByRole('checkbox', { name: 'Select every row on this page' }).check();
      await page.getByTestId('contacts-choose-matching').click();
      await page.getByTestId('contacts-select-matching').getByText('All 61 contacts that match are chosen').waitFor();
      await page.getByTestId('bulk-tag').click();
      await page.getByRole('dialog').getByText('Add a tag: 61 people').waitFor();
      await page.getByRole('dialog').getByTestId('bulk-tag').fill('everyone');
      await page.getByTestId('bulk-confirm').click();
      await waitFor(() => tagged('everyone') === 61, 5000, 'the tag over the whole filter');
      await page.getByTestId('contacts-filter-suppressed').selectOption('yes');
      await total.getByText('1–1 of 1').waitFor();

      // Lift the suppression: refused without a reason, done with one, and recorded.
      await page.locator('[data-testid^="contact-row-"]').first().click();
      await drawer.getByTestId('drawer-suppression').getByText('Unsubscribed through the link').waitFor();
      await drawer.getByTestId('drawer-remove-suppression').click();
      await page.getByTestId('remove-suppression-confirm').click();
      await page.getByRole('alert').getByText('Write why this address may receive mail again').waitFor();
      expect(count('SELECT count(*) FROM suppressions WHERE address = ?', 'person7@example.org')).toBe(1);
      await page.getByTestId('remove-suppression-reason').fill('She wrote to ask for the newsletter again');
      await app.screenshot('contacts-05-remove-suppression');
      await page.getByTestId('remove-suppression-confirm').click();
      await drawer.getByTestId('drawer-no-suppression').waitFor();
      expect(count('SELECT count(*) FROM suppressions WHERE address = ?', 'person7@example.org')).toBe(0);
      expect(
        count(
          "SELECT count(*) FROM suppression_events WHERE action = 'removed' AND reason LIKE '%ask for the newsletter again%'",
        ),
      ).toBe(1);
      await page.keyboard.press('Escape');

      // Bulk tag the people whose first name starts with Person1 (Person1, Person10–19).
      await page.getByTestId('contacts-filter-suppressed').selectOption('');
      await page.getByTestId('contacts-search').fill('Person1');
      await total.getByText('1–11 of 11').waitFor();
      await page.getByRole('checkbox', { name: 'Select every row on this page' }).check();
      await page.getByTestId('bulk-tag').click();
      await page.getByTestId('bulk-tag').last().waitFor();
      await page.getByRole('dialog').getByTestId('bulk-tag').fill('lyon');
      await page.getByTestId('bulk-confirm').click();
      await waitFor(() => tagged('lyon') === 11, 5000, 'the bulk tag');
      await page.locator('[data-testid="contact-tags"]', { hasText: 'lyon' }).nth(10).waitFor();
      await app.screenshot('contacts-06-bulk-tagged');

      // Unsubscribe one person from the list: they stay a contact, marked unsubscribed there.
      await page.getByTestId('contacts-search').fill('person2@');
      await total.getByText('1–1 of 1').waitFor();
      await page.getByRole('checkbox', { name: 'Select person2@example.org' }).check();
      await page.getByTestId('bulk-unsubscribe').click();
      await page.getByTestId('bulk-unsubscribe-list').selectOption({ label: 'Newsletter' });
      await page.getByTestId('bulk-confirm').click();
      await waitFor(
        () =>
          count(
            "SELECT count(*) FROM list_members m JOIN contacts c ON c.id = m.contact_id WHERE c.address = 'person2@example.org' AND m.status = 'unsubscribed'",
          ) === 1,
        5000,
        'the unsubscribe',
      );

      // A segment: tagged lyon AND on the Newsletter list, with its live count.
      await page.getByTestId('contacts-tab-segments').click();
      await page.getByTestId('segment-add-tag').click();
      await page.getByTestId('segment-tag').selectOption({ label: 'lyon' });
      await page.getByTestId('segment-count').getByText('11 people').waitFor();
      await page.getByRole('button', { name: '+ List condition' }).click();
      // Person1 and Person10–19 are all below 40, so all on the list.
      await page.getByTestId('segment-count').getByText('11 people').waitFor();
      await page.getByTestId('segment-match').getByText('any of these').click();
      await page.getByTestId('segment-count').getByText('40 people').waitFor();
      await page.getByTestId('segment-match').getByText('all of these').click();
      await page.getByTestId('segment-count').getByText('11 people').waitFor();
      await page.getByTestId('segment-name').fill('Lyon readers');
      await page.getByTestId('segment-save').click();
      await page.getByTestId('segment-row-Lyon readers').waitFor();
      expect(count('SELECT count(*) FROM segments')).toBe(1);
      await app.screenshot('contacts-07-segment');

      // Export the segment: its 11 people, with their tags, read back by Python's csv.
      await page.getByTestId('contacts-tab-export').click();
      const segmentCsv = path.join(dataDir, 'lyon.csv');
      app.desktop.savePath = segmentCsv;
      await page.getByTestId('export-segment-button').click();
      await waitFor(() => fs.existsSync(segmentCsv), 10_000, 'the segment export');
      const segmentRows = JSON.parse(
        await runPython(
          'import csv,sys,json\nprint(json.dumps(list(csv.reader(open(sys.stdin.read(),encoding="utf-8-sig",newline="")))))',
          segmentCsv,
          'the CSV reader',
        ),
      ) as string[][];
      expect(segmentRows).toHaveLength(12);
      expect(segmentRows.slice(1).every((r) => r.some((cell) => cell.includes('lyon')))).toBe(true);
      await app.screenshot('contacts-08-export');

      // Lists: create one; delete the Newsletter list and keep its people.
      await page.getByTestId('contacts-tab-lists').click();
      await page.getByTestId('list-name').fill('Customers');
      await page.getByTestId('list-create').click();
      await page.getByTestId('list-row-Customers').waitFor();
      await page.getByTestId('list-row-Newsletter').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByText('stay in your contacts').waitFor();
      await app.screenshot('contacts-09-delete-list');
      await page.getByTestId('list-remove-confirm').click();
      await page.getByTestId('list-row-Newsletter').waitFor({ state: 'detached' });
      expect(count('SELECT count(*) FROM contacts')).toBe(61);

      // The do-not-send list: add one, then export it and read it back with Python's csv.
      await page.getByTestId('contacts-tab-suppressions').click();
      await page.getByTestId('suppressions-add').click();
      await page.getByTestId('suppressions-add-address').fill('angry@example.net');
      await page.getByTestId('suppressions-add-confirm').click();
      await page.getByTestId('suppression-row-angry@example.net').waitFor();
      await app.screenshot('contacts-10-suppressions');
      const csv = path.join(dataDir, 'do-not-send.csv');
      app.desktop.savePath = csv;
      await page.getByTestId('suppressions-export').click();
      await waitFor(() => fs.existsSync(csv), 10_000, 'the suppressions export');
      const read = await runPython(
        'import csv,sys,json\nrows=list(csv.DictReader(open(sys.stdin.read(),encoding="utf-8-sig",newline="")))\nprint(json.dumps(rows))',
        csv,
        'the CSV reader',
      );
      const rows = JSON.parse(read) as Record<string, string>[];
      expect(rows.some((r) => Object.values(r).includes('angry@example.net'))).toBe(true);

      // Erase one person: the warning explains it; the contact goes, a hashed suppression stays.
      await page.getByTestId('contacts-tab-contacts').click();
      await page.getByTestId('contacts-search').fill('person5@');
      await total.getByText('1–1 of 1').waitFor();
      await page.getByRole('checkbox', { name: 'Select person5@example.org' }).check();
      await page.getByTestId('bulk-delete').click();
      await page.getByTestId('bulk-delete-explained').getByText('scrambled fingerprint').waitFor();
      await app.screenshot('contacts-11-erase');
      await page.getByTestId('bulk-confirm').click();
      await total.getByText('No contacts match.').waitFor();
      expect(count('SELECT count(*) FROM contacts WHERE address_key = ?', 'person5@example.org')).toBe(0);
      expect(count("SELECT count(*) FROM suppressions WHERE key LIKE 'sha256:%' AND address IS NULL")).toBe(1);
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('draws the main contacts pages in dark mode', async () => {
    const app = await openApp(h, engine, { route: '/contacts', colorScheme: 'dark' });
    const { page } = app;
    try {
      await page.getByTestId('contacts-total').getByText(/of 60/).waitFor();
      await app.screenshot('contacts-12-table-dark');
      await page.locator('[data-testid^="contact-row-"]').first().click();
      await page.getByTestId('drawer-consent').waitFor();
      await app.screenshot('contacts-13-drawer-dark');
      await page.keyboard.press('Escape');
      await page.getByTestId('contacts-tab-segments').click();
      await page.getByTestId('segment-row-Lyon readers').waitFor();
      await app.screenshot('contacts-14-segments-dark');
      await page.getByTestId('contacts-tab-import').click();
      await page.getByTestId('undo-last-import').or(page.getByTestId('import-choose')).first().waitFor();
      await app.screenshot('import-09-start-dark');
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
