import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine.ts';
import { type Harness, openApp, rendererBuilt, startAppEngine, startHarness } from '../helpers/app-harness.ts';
import { hasIpv6Loopback } from '../helpers/ipv6.ts';
import { type Sink, startSink, waitFor } from '../helpers/smtp-sink.ts';

// The whole issue-4 journey, with clicks only, in Debian's Chromium against the real
// handlers over a real engine: find the Outlook settings, choose a provider, test
// the connection (wrong password first: the server's exact words show), save, send
// a test message through the relay, and watch it arrive at a loopback smarthost and
// show up in the delivery log as delivered. Every page is photographed.

if (!rendererBuilt)
  console.warn('skipped: out/renderer does not exist; run `npx electron-vite build` first (npm test does)');

const SINK_USER = 'shop@example.com';
const SINK_PASS = 'correct horse battery staple';

let h: Harness;
let dataDir: string;
let engine: Engine;
let sink: Sink;

beforeAll(async () => {
  if (!rendererBuilt) return;
  // Sending stays paused until the smarthost is set up through the window.
  ({ engine, dataDir } = await startAppEngine('mailroom-app-e2e-'));
  sink = await startSink({ auth: { user: SINK_USER, pass: SINK_PASS } });
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  await engine?.close(2000);
  await sink?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function pick(page: Page, testId: string, option: string | RegExp) {
  await page.getByTestId(testId).click();
  await page.getByRole('option', { name: option }).first().click();
}

async function fill(page: Page, testId: string, value: string) {
  const input = page.getByTestId(testId);
  await input.fill('');
  await input.fill(value);
}

describe.skipIf(!rendererBuilt)('the Mailroom window in Chromium', () => {
  it('walks from the Outlook settings to a delivered test message, with clicks only', async () => {
    const app = await openApp(h, engine);
    const { page, desktop } = app;
    try {
      // Dashboard: live counts, and the warnings that need action.
      await page.getByTestId('warning-sending-paused').waitFor();
      await page.getByTestId('warning-unsigned-domain').getByText('example.com has no DKIM key').waitFor();
      expect(await page.getByTestId('relay-state').textContent()).toBe('Running');
      await app.screenshot('01-dashboard');

      // Settings → Local relay: exactly what to type into Outlook.
      await page.getByTestId('nav-/settings/relay').click();
      const relayPort = engine.relayAddress()?.port;
      await page.getByTestId('relay-username').getByText(engine.settings.get('relay.username')).waitFor();
      // "localhost" only where the relay answers on ::1 as well as 127.0.0.1.
      expect(await page.getByTestId('relay-host').textContent()).toBe(hasIpv6Loopback ? 'localhost' : '127.0.0.1');
      expect(await page.getByTestId('relay-port').textContent()).toBe(String(relayPort));
      expect(await page.getByTestId('relay-security').textContent()).toMatch(/none/i);
      const relayPassword = (await engine.secrets.get('relay.password')) as string;
      await page.getByTestId('copy-password').click();
      await waitFor(() => desktop.copied.length === 1, 5000, 'the password on the clipboard');
      await page.getByTestId('show-password').click();
      await waitFor(() => desktop.shown.length === 1, 5000, 'the password window');
      expect(desktop.copied[0]).toBe(relayPassword);
      expect(desktop.shown[0]?.secret).toBe(relayPassword);
      expect(await page.content()).not.toContain(relayPassword);
      await app.screenshot('02-settings-relay');

      // Settings → Sending route: pick a provider, see it prefilled, point it at the loopback sink.
      await page.getByTestId('nav-/settings/route').click();
      await page.getByTestId('route-smarthost').click();
      // One of the providers added in issue 13, far down the list: AuthSMTP's own port.
      await pick(page, 'provider-select', /AuthSMTP/);
      await waitFor(async () => (await page.getByTestId('smarthost-host').inputValue()) === 'mail.authsmtp.com');
      expect(await page.getByTestId('smarthost-port').inputValue()).toBe('2525');
      await pick(page, 'provider-select', /Mailgun/);
      await waitFor(async () => (await page.getByTestId('smarthost-host').inputValue()).includes('mailgun.org'));
      expect(await page.getByTestId('smarthost-port').inputValue()).toBe('587');
      expect(await page.getByTestId('password-hint').textContent()).toMatch(/\S/);
      await app.screenshot('03-settings-route-preset');

      // A server on this computer, no encryption (allowed for loopback only), wrong password first.
      await pick(page, 'provider-select', /Other/);
      await fill(page, 'smarthost-host', '127.0.0.1');
      await fill(page, 'smarthost-port', String(sink.port));
      await pick(page, 'smarthost-security', /None/);
      await fill(page, 'smarthost-username', SINK_USER);
      await fill(page, 'smarthost-password', 'wrong password');
      await page.getByTestId('test-connection').click();
      const failed = page.locator('[data-testid="test-connection-result"][data-ok="false"]');
      await failed.waitFor({ timeout: 20_000 });
      expect(await failed.textContent()).toContain('535');
      expect(await failed.textContent()).toContain('5.7.8 Username and Password not accepted');
      await app.screenshot('04-settings-route-test-failed');

      await fill(page, 'smarthost-password', SINK_PASS);
      await page.getByTestId('test-connection').click();
      await page.locator('[data-testid="test-connection-result"][data-ok="true"]').waitFor({ timeout: 20_000 });
      expect(engine.settings.get('smarthost.host')).toBe(''); // testing saves nothing
      await page.getByTestId('route-save').click();
      await waitFor(() => engine.settings.get('smarthost.host') === '127.0.0.1', 5000, 'the saved route');
      expect(engine.settings.get('delivery.route')).toBe('smarthost');
      expect(engine.settings.get('smarthost.port')).toBe(sink.port);
      expect(engine.settings.get('smarthost.username')).toBe(SINK_USER);
      await waitFor(async () => (await engine.secrets.get('smarthost.password')) === SINK_PASS, 5000, 'the password');
      await page
        .getByTestId('password-status')
        .getByText(/keychain/i)
        .waitFor();
      expect(await page.content()).not.toContain(SINK_PASS);
      await app.screenshot('05-settings-route-saved');

      // Back on the dashboard: resume sending.
      await page.getByTestId('nav-/').click();
      await page.getByTestId('toggle-sending').getByText('Resume sending').click();
      await page.getByTestId('toggle-sending').getByText('Pause sending').waitFor();
      expect(engine.settings.get('delivery.paused')).toBe(false);

      // Local relay → Send a test message through the relay, as Outlook would.
      await page.getByTestId('nav-/settings/relay').click();
      await fill(page, 'test-from', 'test@example.com');
      await fill(page, 'test-to', 'friend@example.org');
      await page.getByTestId('send-test').click();
      await page
        .getByTestId('test-result')
        .getByText(/queued as/)
        .waitFor({ timeout: 20_000 });
      await app.screenshot('06-settings-relay-test-sent');

      // The smarthost got it, signed in as the saved user.
      const arrived = await waitFor(() => sink.messages.find((m) => m.to.includes('friend@example.org')), 20_000);
      expect(arrived.user).toBe(SINK_USER);

      // Delivery log: the test message appears as delivered, by itself.
      await page.getByTestId('nav-/log').click();
      const row = page.locator('[data-testid^="log-row-"]', { hasText: 'friend@example.org' });
      await row.and(page.locator('[data-status="delivered"]')).waitFor({ timeout: 20_000 });
      await app.screenshot('07-delivery-log');
      await row.getByText('friend@example.org').click();
      await page.getByTestId('drawer-status').getByText('Delivered').waitFor();
      const events = page.getByTestId('drawer-events');
      await events.getByText(/^250/).first().waitFor();
      expect(await events.getByTestId('event-tls').first().textContent()).toBe('not encrypted');
      expect(await page.getByTestId('drawer-headers').textContent()).toContain('Subject: Mailroom test message');
      await app.screenshot('08-delivery-log-drawer');
      await page.keyboard.press('Escape');

      // Today's figures on the dashboard followed without a reload.
      await page.getByTestId('nav-/').click();
      await page.getByTestId('today-delivered').getByText('1', { exact: true }).waitFor({ timeout: 10_000 });
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('shows invalid input as sentences on the field and changes nothing', async () => {
    const app = await openApp(h, engine, { route: '/settings/domains', colorScheme: 'dark' });
    const { page } = app;
    try {
      await page.getByTestId('domain-row-example.com').waitFor();
      await fill(page, 'domain-input', 'not a domain');
      await page.getByTestId('domain-add').click();
      await page.getByText(/is not a domain name Mailroom can send from/).waitFor();
      expect(engine.domains.list()).toEqual(['example.com']);
      await fill(page, 'domain-input', 'bücher.example');
      await page.getByTestId('domain-add').click();
      await page.getByTestId('domain-row-xn--bcher-kva.example').waitFor();
      await page.getByTestId('dkim-example.com').waitFor();
      await app.screenshot('09-settings-domains');
      await page.getByTestId('domain-remove-xn--bcher-kva.example').click();
      await page.getByTestId('confirm-remove').click();
      await page.getByTestId('domain-row-xn--bcher-kva.example').waitFor({ state: 'detached' });
      expect(engine.domains.list()).toEqual(['example.com']);

      // A smarthost without encryption across the network is refused when saving, and the form keeps what was typed.
      await page.getByTestId('nav-/settings/route').click();
      await page.getByTestId('smarthost-host').waitFor();
      const before = engine.settings.all();
      await fill(page, 'smarthost-host', 'smtp.example.net');
      await page.getByTestId('route-save').click();
      await page
        .getByTestId('route-error')
        .getByText(/allowed only for a smarthost on this computer/)
        .waitFor();
      expect(await page.getByTestId('smarthost-host').inputValue()).toBe('smtp.example.net');
      expect(engine.settings.all()).toEqual(before);
      await app.screenshot('10-settings-route-error');

      // The relay port: a port another program holds is refused and the relay stays where it was.
      await page.getByTestId('nav-/settings/relay').click();
      const port = engine.relayAddress()?.port as number;
      await fill(page, 'port-input', String(sink.port));
      await page.getByTestId('port-save').click();
      await page
        .getByText(/in use|already/i)
        .first()
        .waitFor();
      expect(engine.relayAddress()?.port).toBe(port);
      expect(engine.settings.get('relay.port')).toBe(0);

      // App settings: start at login.
      await page.getByTestId('nav-/settings/app').click();
      await page.getByTestId('start-at-login').click();
      await waitFor(() => app.desktop.startAtLogin, 5000, 'start at login');
      await app.screenshot('11-settings-app');
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('refuses the page when main does not trust its origin', async () => {
    const app = await openApp(h, engine, { trustedOrigin: 'http://127.0.0.1:1' });
    try {
      await app.page
        .getByRole('alert')
        .getByText(/Only the Mailroom window may make this request/)
        .first()
        .waitFor();
      expect(await app.page.getByTestId('relay-state').count()).toBe(0);
    } finally {
      await app.close();
    }
  });
});
