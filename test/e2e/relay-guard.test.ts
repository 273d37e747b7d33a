import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine.ts';
import { type Harness, openApp, rendererBuilt, startAppEngine, startHarness } from '../helpers/app-harness.ts';
import { hasIpv6Loopback } from '../helpers/ipv6.ts';
import { RawSmtp } from '../helpers/smtp-client.ts';

// Issue 13, parts 3 and 8 in the window: while someone guesses the relay password the
// dashboard says so by itself (no reload), plainly, with a button to Settings → Local
// relay; that page says which mail programs can send through Mailroom, and shows
// "localhost" as the server only where the relay answers on ::1 too.

if (!rendererBuilt)
  console.warn('skipped: out/renderer does not exist; run `npx electron-vite build` first (npm test does)');

let h: Harness;
let dataDir: string;
let engine: Engine;
let port: number;

beforeAll(async () => {
  if (!rendererBuilt) return;
  ({
    engine,
    dataDir,
    relayPort: port,
  } = await startAppEngine('mailroom-guard-e2e-', {
    authFailureDelayMs: 1,
    loginBlockMs: 10 * 60_000,
  }));
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  await engine?.close(2000);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!rendererBuilt)('relay password guessing and mail programs, in Chromium', () => {
  it('warns on the dashboard as it happens, and Settings → Local relay says which mail programs work', async () => {
    const app = await openApp(h, engine);
    const { page } = app;
    try {
      await page.getByTestId('relay-state').getByText('Running').waitFor();
      expect(await page.getByTestId('relay-address').textContent()).toBe(
        `${hasIpv6Loopback ? 'localhost' : '127.0.0.1'}:${port}`,
      );
      expect(await page.getByTestId('warning-relay-password-guessing').count()).toBe(0);

      // Someone on this computer guesses, one fresh connection per guess.
      const user = engine.settings.get('relay.username');
      for (let i = 0; i < 10; i++) {
        const c = await RawSmtp.connect(port);
        await c.expect(await c.reply(), 220);
        await c.expect(await c.cmd('EHLO guesser.test'), 250);
        await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0guess${i}`).toString('base64')}`);
        c.close();
      }
      const warning = page.getByTestId('warning-relay-password-guessing');
      await warning.getByText('Someone is guessing your relay password').waitFor();
      const text = (await warning.textContent()) ?? '';
      expect(text).toMatch(/10 wrong relay passwords came from a program on this computer/);
      expect(text).toMatch(/refuses every relay login from this computer until \d\d:\d\d/);
      expect(text).toMatch(/make a new password/);
      await app.screenshot('relay-guard-01-dashboard');

      await warning.getByRole('button', { name: 'Local relay settings' }).click();
      await page.getByTestId('relay-mail-programs').waitFor();
      expect(page.url()).toMatch(/#\/settings\/relay$/);
      expect(await page.getByTestId('relay-host').textContent()).toBe(hasIpv6Loopback ? 'localhost' : '127.0.0.1');
      const works = (await page.getByTestId('programs-that-work').textContent()) ?? '';
      for (const p of ['Classic Outlook', 'Thunderbird', 'Apple Mail', 'eM Client']) expect(works).toContain(p);
      const doesNot = (await page.getByTestId('programs-that-do-not').textContent()) ?? '';
      expect(doesNot).toMatch(/The new Outlook for Windows.*Microsoft’s cloud.*turn that switch off/);
      expect(doesNot).toMatch(/Windows Mail.*end of 2024/);
      await app.screenshot('relay-guard-02-settings-relay');
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
