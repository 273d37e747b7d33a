import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine.ts';
import {
  ARTIFACTS,
  type Harness,
  openApp,
  rendererBuilt,
  startAppEngine,
  startHarness,
} from '../helpers/app-harness.ts';
import { waitFor } from '../helpers/smtp-sink.ts';

// The import wizard in Chromium over a real engine, real SQLite and the real import
// worker, by clicks only: a file from a European Excel (Windows-1252, semicolons, two
// columns named E-Mail) is chosen through the open dialog, read, re-read, mapped (with a
// new custom field), tried, imported with progress, its report downloaded, and undone;
// then a 250,000-row file is cancelled mid-import and nothing has changed.

let h: Harness;
let dataDir: string;
let engine: Engine;

const EXCEL_ROWS = [
  'E-Mail;Vorname;Nachname;Stadt;E-Mail',
  'anna@example.de;Anna;Müller;Köln;anna.alt@example.de',
  'bob@example.de;Bob;Šimek;Paris €;',
  'not-an-address;X;Y;Z;',
  ';Nobody;Here;Lyon;',
  'ANNA@example.de;Anna;Dup;Bonn;',
  'chloe@example.fr;Chloé;Lefèvre;Lyon;',
];

beforeAll(async () => {
  if (!rendererBuilt) return;
  ({ engine, dataDir } = await startAppEngine('mailroom-import-e2e-'));
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
const contacts = () => count('SELECT count(*) FROM contacts');

describe.skipIf(!rendererBuilt)('import wizard in Chromium', () => {
  it('reads a Windows-1252 semicolon file, maps it, tries it, imports it with progress and undoes it', async () => {
    const file = path.join(dataDir, 'Kunden März.csv');
    fs.writeFileSync(file, iconv.encode(`${EXCEL_ROWS.join('\r\n')}\r\n`, 'windows-1252'));
    const app = await openApp(h, engine, { route: '/contacts' });
    const { page } = app;
    try {
      await page.getByTestId('contacts-tab-import').click();

      // Cancelling the open dialog leaves the wizard where it was.
      app.desktop.openPath = null;
      await page.getByTestId('import-choose').click();
      await waitFor(() => app.calls.includes('imports.chooseFile'), 5000, 'the open dialog');
      expect(app.calls).not.toContain('imports.preview');

      // Choose: the path stays in main; the preview shows the decoded text.
      app.desktop.openPath = file;
      await page.getByTestId('import-choose').click();
      const table = page.getByTestId('import-preview-table');
      await table.getByText('Müller').waitFor();
      await table.getByText('Paris €').waitFor();
      await table.getByText('Šimek').waitFor();
      expect(await page.getByTestId('import-encoding').inputValue()).toBe('windows-1252');
      expect(await page.getByTestId('import-delimiter').inputValue()).toBe(';');
      await page.getByTestId('import-note').first().waitFor();
      await app.screenshot('import-01-preview');

      // Reading it as UTF-8 or with commas is shown as what it is, and can be put back.
      await page.getByTestId('import-delimiter').selectOption(',');
      await table.getByText('E-Mail;Vorname;Nachname;Stadt;E-Mail').waitFor();
      await page.getByTestId('import-delimiter').selectOption(';');
      await table.getByText('Müller').waitFor();
      await page.getByTestId('import-encoding').selectOption('utf-8');
      await page.locator('select[data-testid="import-encoding"]:not([disabled])').waitFor();
      await page.getByTestId('import-encoding').selectOption('windows-1252');
      await table.getByText('Köln').waitFor();
      await page.getByTestId('import-next').click();

      // Map: the two E-Mail columns are told apart; the first is the address.
      const mapping = page.getByTestId('mapping-table');
      await mapping.getByText('E-Mail (column 1)').waitFor();
      await mapping.getByText('E-Mail (column 5)').waitFor();
      expect(await page.getByTestId('mapping-0').inputValue()).toBe('email');
      expect(await page.getByTestId('mapping-4').inputValue()).toBe('');
      // Stadt becomes a new text field "City".
      await page.getByTestId('mapping-3').selectOption('__new__');
      await page.getByTestId('new-field-label').fill('City');
      await page.getByTestId('new-field-create').click();
      expect(await page.getByTestId('mapping-3').inputValue()).toBe('field:city');
      await app.screenshot('import-02-mapping');
      // Looking at another tab keeps the wizard where it was.
      await page.getByTestId('contacts-tab-lists').click();
      await page.getByTestId('list-name').waitFor();
      await page.getByTestId('contacts-tab-import').click();
      expect(await page.getByTestId('mapping-3').inputValue()).toBe('field:city');
      await page.getByTestId('import-next').click();

      // Options: a new list, a tag, the consent basis, and the note about suppressions.
      await page.getByTestId('import-suppression-note').waitFor();
      expect(await page.getByTestId('import-next').isDisabled()).toBe(true);
      await page.getByTestId('import-new-list').fill('Kunden');
      await page.getByTestId('import-tags').fill('messe-2026');
      await page.keyboard.press('Enter');
      await page.getByLabel('They are customers who bought from me').check();
      await page.getByTestId('import-existing-fill').check();
      await app.screenshot('import-03-options');

      // Trial run: every count and every problem row, and nothing saved.
      await page.getByTestId('import-next').click();
      await page.getByTestId('dry-run-note').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('count-records').innerText()).toContain('6');
      expect(await page.getByTestId('count-added').innerText()).toContain('3');
      expect(await page.getByTestId('count-skipped').innerText()).toContain('3');
      const problems = page.getByTestId('problem-row');
      expect(await problems.count()).toBe(3);
      const kinds = await problems.evaluateAll((rows) =>
        rows.map((r) => (r as unknown as { dataset: { kind: string } }).dataset.kind),
      );
      expect(kinds).toEqual(['invalid', 'no-address', 'duplicate']);
      await page.getByTestId('problems-table').getByText('not-an-address').waitFor();
      await page
        .getByTestId('problems-table')
        .getByText(/same address as record 1/)
        .waitFor();
      expect(contacts()).toBe(0);
      expect(count('SELECT count(*) FROM lists')).toBe(0);
      await app.screenshot('import-04-dry-run');

      // Import: progress events arrive (no polling), then the report.
      const before = app.calls.length;
      await page.getByTestId('import-go').click();
      await page.getByTestId('import-done').waitFor({ timeout: 30_000 });
      const during = app.calls.slice(before);
      expect(during.filter((c) => c === 'imports.result')).toHaveLength(1);
      expect(contacts()).toBe(3);
      const chloe = engine.db
        .prepare(
          `SELECT c.first_name, c.last_name, json_extract(c.fields, '$.city') AS city, c.consent_basis, l.name AS list
           FROM contacts c JOIN list_members m ON m.contact_id = c.id JOIN lists l ON l.id = m.list_id
           WHERE c.address = ?`,
        )
        .get('chloe@example.fr') as Record<string, string>;
      expect(chloe).toEqual({
        first_name: 'Chloé',
        last_name: 'Lefèvre',
        city: 'Lyon',
        consent_basis: 'They are customers who bought from me',
        list: 'Kunden',
      });
      expect(
        count("SELECT count(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = 'messe-2026'"),
      ).toBe(3);
      expect(count("SELECT count(*) FROM contacts WHERE json_extract(fields, '$.city') = 'Paris €'")).toBe(1);
      // The new field has the name typed in the wizard, not the column's header (Stadt).
      expect(engine.db.prepare("SELECT label FROM contact_fields WHERE key = 'city'").pluck().get()).toBe('City');
      await app.screenshot('import-05-report');

      // The report downloads through the save dialog, every problem in it.
      const reportFile = path.join(dataDir, 'report.csv');
      app.desktop.savePath = reportFile;
      await page.getByTestId('import-download-report').click();
      await page.getByText(/3 rows saved to/).waitFor({ timeout: 10_000 });
      const report = fs.readFileSync(reportFile, 'utf8');
      expect(report.startsWith('\ufeff')).toBe(true);
      expect(report.trim().split('\r\n')).toHaveLength(4);
      expect(report).toContain('not-an-address');

      // Undo, after a confirmation: the three people go, the list stays empty.
      await page.getByTestId('import-undo').click();
      await page.getByTestId('import-undo-confirm').click();
      await waitFor(() => contacts() === 0, 10_000, 'the undo');
      expect(count("SELECT state = 'undone' FROM imports")).toBe(1);
      await page.getByTestId('import-choose').waitFor();
      await app.screenshot('import-06-undone');
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('recognises a Mailchimp unsubscribed export and puts its people on the do-not-send list', async () => {
    const file = path.resolve('test/fixtures/contacts/mailchimp-unsubscribed.csv');
    const app = await openApp(h, engine, { route: '/contacts' });
    const { page } = app;
    try {
      await page.getByTestId('contacts-tab-import').click();
      app.desktop.openPath = file;
      await page.getByTestId('import-choose').click();
      await page.getByTestId('import-recognised').getByText('Mailchimp export of unsubscribed people').waitFor();
      await page.getByTestId('import-next').click();
      // Mailchimp's columns are mapped already, consent evidence included.
      expect(await page.getByTestId('mapping-0').inputValue()).toBe('email');
      expect(await page.getByTestId('mapping-7').inputValue()).toBe('optin_time');
      await page.getByTestId('import-next').click();
      await page.getByText('These people asked not to get mail').waitFor();
      await page.getByLabel('Moved from another newsletter service').check();
      await app.screenshot('import-10-mailchimp-unsubscribed');
      await page.getByTestId('import-next').click();
      await page.getByTestId('dry-run-note').waitFor({ timeout: 30_000 });
      expect(count('SELECT count(*) FROM suppressions')).toBe(0);
      await page.getByTestId('import-go').click();
      await page.getByTestId('import-done').waitFor({ timeout: 30_000 });
      for (const address of ['anna.mueller@example.de', 'gone@example.org']) {
        expect(count('SELECT count(*) FROM suppressions WHERE address = ?', address)).toBe(1);
        expect(count('SELECT count(*) FROM contacts WHERE address = ?', address)).toBe(1);
      }
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('cancels a 250,000-row import and leaves every list as it was', async () => {
    // Big enough that the import is still reading when Cancel is clicked (about 5 s here).
    const rows = ['Email,First Name,Last Name,Company,City,Phone'];
    for (let i = 0; i < 250_000; i++) {
      rows.push(`person${i}@example.com,First${i},Last${i},Company ${i % 100},City ${i % 50},01 23 ${i}`);
    }
    const file = path.join(dataDir, 'everyone.csv');
    fs.writeFileSync(file, `${rows.join('\r\n')}\r\n`);
    const before = {
      contacts: contacts(),
      lists: count('SELECT count(*) FROM lists'),
      imports: count('SELECT count(*) FROM imports'),
    };
    const app = await openApp(h, engine, { route: '/contacts' });
    const { page } = app;
    try {
      await page.getByTestId('contacts-tab-import').click();
      app.desktop.openPath = file;
      await page.getByTestId('import-choose').click();
      await page.getByTestId('import-preview-table').getByText('person0@example.com').waitFor();
      await page.getByTestId('import-next').click();
      await page.getByTestId('import-next').click();
      await page.getByTestId('import-new-list').fill('Everyone');
      await page.getByLabel('They signed up on my website').check();
      await page.getByTestId('import-next').click();
      await page.getByTestId('dry-run-note').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('count-added').innerText()).toContain('250,000');

      // Import, and Cancel while it works: the bar has moved, then nothing is saved.
      await page.getByTestId('import-go').click();
      await page.getByTestId('import-running').waitFor();
      await page.getByTestId('import-progress-text').getByText(/rows/).waitFor();
      // The visible part only: a full-page capture takes longer than a fast import.
      await page.screenshot({ path: path.join(ARTIFACTS, 'import-07-progress.png') });
      await page.getByTestId('import-cancel').click();
      await page
        .getByTestId('import-run-error')
        .getByText(/nothing was changed/i)
        .first()
        .waitFor({ timeout: 60_000 });
      await app.screenshot('import-08-cancelled');
      expect({
        contacts: contacts(),
        lists: count('SELECT count(*) FROM lists'),
        imports: count('SELECT count(*) FROM imports'),
      }).toEqual(before);
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  }, 300_000);
});
