import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreBackup } from '../../src/main/backup/restore.ts';
import type { Engine } from '../../src/main/engine/engine.ts';
import {
  type Harness,
  openApp,
  rendererBuilt,
  startAppEngine,
  startHarness,
  testDesktop,
} from '../helpers/app-harness.ts';
import { waitFor } from '../helpers/smtp-sink.ts';

// Settings → App, "Your data", in Chromium over a real engine: the data folder's size,
// the retention times saved with clicks, Back up… through the save dialog (the test's
// desktop answers it) into a file that restores; and the delivery log's drawer for a
// message whose body the clean-up removed.

const DAY = 86_400_000;
let h: Harness;
let dataDir: string;
let engine: Engine;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-app-data-'));

beforeAll(async () => {
  if (!rendererBuilt) return;
  let relayPort: number;
  ({ engine, dataDir, relayPort } = await startAppEngine('mailroom-app-data-e2e-'));
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: relayPort,
    ignoreTLS: true,
    auth: { user: engine.settings.get('relay.username'), pass: (await engine.secrets.get('relay.password')) as string },
  });
  try {
    await transport.sendMail({
      from: 'news@example.com',
      to: 'old@club.example',
      subject: 'Last year',
      text: 'Long gone.',
    });
    await transport.sendMail({
      from: 'news@example.com',
      to: 'big@club.example',
      subject: 'Big one',
      text: 'x'.repeat(1_500_000),
    });
  } finally {
    transport.close();
  }
  // The first one came in 41 days ago and was delivered the day after; the clean-up has been by since.
  const ago = Date.now() - 40 * DAY;
  engine.db
    .prepare("UPDATE deliveries SET status = 'delivered', updated_at = ? WHERE recipient = 'old@club.example'")
    .run(ago);
  engine.db.prepare("UPDATE messages SET created_at = ? WHERE subject = 'Last year'").run(ago - DAY);
  expect((await engine.retention.runOnce()).bodiesRemoved).toBe(1);
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  await engine?.close(2000);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!rendererBuilt)('Settings → App: your data', () => {
  it('shows the folder size, saves how long mail is kept, and backs up through the save dialog', async () => {
    const desktop = testDesktop();
    const app = await openApp(h, engine, { route: '/settings/app', desktop });
    const { page } = app;
    try {
      const size = await engine.dataSize();
      expect(size.spoolFiles).toBe(1);
      await page
        .getByTestId('data-size')
        .getByText(/Mailroom’s data takes .* on this computer/)
        .waitFor();
      expect(await page.getByTestId('data-size').textContent()).toMatch(/and 1 large message 1\.\d MB\./);

      // Retention: shown in days; an impossible value is refused with a sentence, a good one saved.
      const bodies = page.getByTestId('retention-bodies');
      await waitFor(async () => (await bodies.inputValue()) === '30', 5000, 'the retention to show');
      expect(await page.getByTestId('retention-log').inputValue()).toBe('730');
      await bodies.fill('0');
      await page.getByTestId('retention-save').click();
      await page
        .getByTestId('retention-error')
        .getByText(/at least 1/)
        .waitFor();
      expect(engine.settings.get('retention.messageBodies')).toBe('30d');
      await bodies.fill('14');
      await page.getByTestId('retention-log').fill('365');
      await page.getByTestId('retention-save').click();
      await waitFor(() => engine.settings.get('retention.logRows') === '365d', 5000, 'the retention to be saved');
      expect(engine.settings.get('retention.messageBodies')).toBe('14d');

      // Back up…: cancelled in the dialog, nothing happens; then saved to a file.
      let asked = 0;
      const choose = desktop.chooseSavePath.bind(desktop);
      desktop.chooseSavePath = (...args) => {
        asked++;
        return choose(...args);
      };
      desktop.savePath = null;
      await page.getByTestId('backup-button').click();
      await waitFor(() => asked === 1, 5000, 'the save dialog');
      await page.locator('[data-testid="backup-button"]:not([data-loading])').waitFor();
      expect(await page.getByTestId('backup-result').count()).toBe(0);
      expect(await page.getByTestId('backup-error').count()).toBe(0);
      const file = path.join(work, 'from-the-window.tar.gz');
      desktop.savePath = file;
      await page.getByTestId('backup-button').click();
      await page.getByTestId('backup-result').getByText(file, { exact: false }).waitFor();
      expect(await page.getByTestId('backup-secrets').textContent()).toContain('relay.password');
      await app.screenshot('settings-app-data');
      expect(app.problems).toEqual([]);

      const restored = path.join(work, 'restored');
      const { manifest } = await restoreBackup(file, restored);
      expect(manifest.counts).toMatchObject({ messages: 2, deliveries: 2, spoolFiles: 1 });
    } finally {
      await app.close();
    }
  });

  it("shows the headers of a message whose text was removed, and says so in the log's drawer", async () => {
    const app = await openApp(h, engine, { route: '/log' });
    const { page } = app;
    try {
      const id = engine.db.prepare("SELECT id FROM deliveries WHERE recipient = 'old@club.example'").pluck().get();
      await page.getByTestId(`log-row-${id}`).click();
      await page
        .getByTestId('drawer-body-removed')
        .getByText(/The text of this message was removed on/)
        .waitFor();
      expect(await page.getByTestId('drawer-headers').textContent()).toContain('Subject: Last year');
      await app.screenshot('log-drawer-body-removed');
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
