import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine.ts';
import { type Harness, openApp, rendererBuilt, startAppEngine, startHarness } from '../helpers/app-harness.ts';
import { waitFor } from '../helpers/smtp-sink.ts';

// The delivery log screen in Chromium over a real engine: 120 deliveries taken in
// through the relay, then paged, filtered, searched, cancelled, retried and exported
// with clicks, each result checked against the database.

const MESSAGES = 60;
const FORMULA_SUBJECT = '=HYPERLINK("http://evil.example","Click")';

let h: Harness;
let dataDir: string;
let engine: Engine;

beforeAll(async () => {
  if (!rendererBuilt) return;
  let relayPort: number;
  ({ engine, dataDir, relayPort } = await startAppEngine('mailroom-log-e2e-'));
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: relayPort,
    ignoreTLS: true,
    pool: true,
    auth: { user: engine.settings.get('relay.username'), pass: (await engine.secrets.get('relay.password')) as string },
  });
  try {
    for (let i = 0; i < MESSAGES; i++) {
      await transport.sendMail({
        from: 'news@example.com',
        to: [`reader${i}@gmail.example`, `member${i}@club.example`],
        subject: i === 7 ? FORMULA_SUBJECT : `Invoice ${i}`,
        text: `Hello ${i}`,
      });
    }
  } finally {
    transport.close();
  }
  // Outcomes as the dispatcher records them, for the first ten gmail deliveries.
  engine.db
    .prepare(
      `UPDATE deliveries SET status = 'bounced', last_code = 550, last_response = '550 5.1.1 No such user', updated_at = ?
       WHERE recipient IN (${Array.from({ length: 10 }, (_, i) => `'reader${i}@gmail.example'`).join(',')})`,
    )
    .run(Date.now());
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  await engine?.close(2000);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const statusOf = (recipient: string) =>
  engine.db.prepare('SELECT status FROM deliveries WHERE recipient = ?').pluck().get(recipient);

describe.skipIf(!rendererBuilt)('delivery log in Chromium', () => {
  it('pages, filters, searches, cancels, retries and exports', async () => {
    const app = await openApp(h, engine, { route: '/log' });
    const { page } = app;
    try {
      // Paging with the keyset cursor, forward and back.
      await page.getByTestId('log-total').getByText('1–50 of 120').waitFor();
      await page.getByTestId('log-next').click();
      await page.getByTestId('log-total').getByText('51–100 of 120').waitFor();
      await page.getByTestId('log-next').click();
      await page.getByTestId('log-total').getByText('101–120 of 120').waitFor();
      expect(await page.getByTestId('log-next').isDisabled()).toBe(true);
      await page.getByTestId('log-previous').click();
      await page.getByTestId('log-total').getByText('51–100 of 120').waitFor();
      await page.getByTestId('log-first').click();
      await page.getByTestId('log-total').getByText('1–50 of 120').waitFor();

      // Status filter.
      await page.getByTestId('log-status').click();
      await page.getByRole('option', { name: 'Bounced' }).click();
      await page.keyboard.press('Escape');
      await page.getByTestId('log-total').getByText('1–10 of 10').waitFor();
      const statuses = await page
        .locator('[data-testid^="log-row-"]')
        .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { status: string } }).dataset.status));
      expect(new Set(statuses)).toEqual(new Set(['bounced']));
      await app.screenshot('12-delivery-log-bounced');

      // The drawer shows the refusal.
      await page.locator('[data-testid^="log-row-"]').first().click();
      await page.getByTestId('drawer-status').getByText('Bounced').waitFor();
      await page.keyboard.press('Escape');

      // Domain and text (the text filter is literal: "Invoice 1" matches 1, 10–19).
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.getByTestId('log-total').getByText('1–50 of 120').waitFor();
      await page.getByTestId('log-domain').fill('club.example');
      await page.getByTestId('log-total').getByText('1–50 of 60').waitFor();
      await page.getByTestId('log-text').fill('Invoice 1');
      await page.getByTestId('log-total').getByText('1–11 of 11').waitFor();
      await app.screenshot('13-delivery-log-search');

      // Cancel two queued deliveries (with a confirmation); the rows and the database follow.
      await page.getByRole('checkbox', { name: 'Select member1@club.example' }).check();
      await page.getByRole('checkbox', { name: 'Select member10@club.example' }).check();
      await page.getByTestId('log-cancel').click();
      await page.getByTestId('confirm-cancel').click();
      await waitFor(() => statusOf('member10@club.example') === 'cancelled', 5000, 'the cancel');
      expect(statusOf('member1@club.example')).toBe('cancelled');
      expect(statusOf('member11@club.example')).toBe('queued');
      await page.locator('[data-status="cancelled"]').nth(1).waitFor();

      // Retry now on a waiting delivery makes it due now.
      const later = Date.now() + 3_600_000;
      engine.db
        .prepare("UPDATE deliveries SET status = 'deferred', next_attempt_at = ? WHERE recipient = ?")
        .run(later, 'member12@club.example');
      await page.getByTestId('log-text').fill('Invoice 12');
      await page.getByTestId('log-total').getByText('1–1 of 1').waitFor();
      await page.getByRole('checkbox', { name: 'Select member12@club.example' }).check();
      await page.getByTestId('log-retry').click();
      await waitFor(
        () =>
          (engine.db
            .prepare('SELECT next_attempt_at FROM deliveries WHERE recipient = ?')
            .pluck()
            .get('member12@club.example') as number) < later,
        5000,
        'the retry',
      );

      // Export: everything (not just this page), and a formula in a cell is defused.
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.getByTestId('log-total').getByText('1–50 of 120').waitFor();
      const csv = path.join(dataDir, 'export.csv');
      app.desktop.savePath = csv;
      await page.getByTestId('log-export').click();
      await page.getByText(/120 rows saved to/).waitFor({ timeout: 20_000 });
      const text = fs.readFileSync(csv, 'utf8');
      expect(text.split('\r\n').filter(Boolean)).toHaveLength(121);
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""Click"")"`);
      expect(text).not.toMatch(/(^|,)=HYPERLINK/m);

      // Cancelling the save dialog writes nothing and says nothing went wrong.
      app.desktop.savePath = null;
      fs.rmSync(csv);
      const exports = () => app.calls.filter((c) => c === 'log.export').length;
      await page.getByTestId('log-export').click();
      await waitFor(() => exports() === 2, 5000, 'the second export request');
      await page.locator('[data-testid="log-export"]:not([data-loading])').waitFor();
      expect(fs.existsSync(csv)).toBe(false);
      expect(await page.getByText(/export failed/i).count()).toBe(0);
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
