import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/main/engine/engine.ts';
import { type Harness, openApp, rendererBuilt, startAppEngine, startHarness } from '../helpers/app-harness.ts';
import { verifyDkim } from '../helpers/dkim-verify.ts';
import { type DnsServer, type DnsZone, startDnsServer } from '../helpers/dns-server.ts';
import { type Sink, startSink, waitFor } from '../helpers/smtp-sink.ts';

// The domain setup wizard, with clicks only, in Debian's Chromium against the real
// handlers over a real engine. DNS is a real server on a loopback port (the engine's
// delivery.dnsServers points at it before anything is looked up, so the system DNS is
// never asked). The test plays the person: it copies each record with the page's Copy
// buttons, "publishes" exactly that in the zone the way Cloudflare stores it, checks
// until green, and sends a signed test message to a loopback smarthost.

if (!rendererBuilt)
  console.warn('skipped: out/renderer does not exist; run `npx electron-vite build` first (npm test does)');

const DOMAIN = 'bakery.example';
const NAME_SERVERS = ['lara.ns.cloudflare.com', 'rob.ns.cloudflare.com'];
/** What "this computer's public address" is in this DNS (OpenDNS's whoami name, answered locally). */
const PUBLIC_IP = '203.0.113.7';
const OWNER = 'owner@inbox.example';

let h: Harness;
let dataDir: string;
let engine: Engine;
let sink: Sink;
let dns: DnsServer;

/** The bakery's zone as it is before the wizard: name servers at Cloudflare, an MX, no SPF, DKIM or DMARC. */
function zone(published: DnsZone = {}): DnsZone {
  return {
    [DOMAIN]: { NS: NAME_SERVERS, MX: [{ exchange: `mx.${DOMAIN}`, priority: 10 }] },
    [`mx.${DOMAIN}`]: { A: ['127.0.0.10'] },
    'mailgun.org': { TXT: ['v=spf1 ip4:127.0.1.0/24 ~all'] },
    'myip.opendns.com': { A: [PUBLIC_IP] },
    ...published,
  };
}

/** How a DNS host stores a long TXT value: character-strings of at most 255 bytes. */
function split(value: string, size = 255): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += size) out.push(value.slice(i, i + size));
  return out;
}

beforeAll(async () => {
  if (!rendererBuilt) return;
  ({ engine, dataDir } = await startAppEngine('mailroom-setup-e2e-'));
  dns = await startDnsServer(zone());
  // Before any check: every DNS question of the engine goes to the loopback server.
  engine.settings.set('delivery.dnsServers', dns.address);
  // The real route is a loopback sink; the wizard's route choice only shapes the records.
  sink = await startSink();
  engine.settings.setMany({
    'delivery.route': 'smarthost',
    'smarthost.host': '127.0.0.1',
    'smarthost.port': sink.port,
    'smarthost.security': 'none',
    'smarthost.username': '',
  });
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  await engine?.close(2000);
  await sink?.close();
  await dns?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function fill(page: Page, testId: string, value: string) {
  const input = page.getByTestId(testId);
  await input.fill('');
  await input.fill(value);
}

async function pick(page: Page, testId: string, option: string | RegExp) {
  await page.getByTestId(testId).click();
  await page.getByRole('option', { name: option }).first().click();
}

/** Closes the "was added" notifications so the screenshots show the page itself. */
async function dismissNotifications(page: Page) {
  const close = page.locator('.mantine-Notification-closeButton');
  for (let i = 0; i < 10 && (await close.count()) > 0; i++) {
    // One may close by itself meanwhile (they time out after 5 s).
    await close
      .first()
      .click({ timeout: 1000 })
      .catch(() => {});
  }
  await waitFor(async () => (await close.count()) === 0, 10_000, 'the notifications to close');
}

/** Clicks a Copy button and reads the clipboard, as a person pasting it would get it. */
async function copy(page: Page, testId: string): Promise<string> {
  await page.evaluate(() =>
    (
      globalThis as unknown as { navigator: { clipboard: { writeText(t: string): Promise<void> } } }
    ).navigator.clipboard.writeText(''),
  );
  await page.getByTestId(testId).click();
  return waitFor(
    () =>
      page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    5000,
    `the clipboard after ${testId}`,
  );
}

/** Clicks "Check now" and waits for a check newer than the one shown. */
async function checkNow(page: Page) {
  const shown = page.getByTestId('setup-checked-at');
  const before = (await shown.count()) > 0 ? await shown.getAttribute('data-checked-at') : null;
  await page.getByTestId('setup-check-now').click();
  await waitFor(
    async () => {
      const now = (await shown.count()) > 0 ? await shown.getAttribute('data-checked-at') : null;
      return now !== null && now !== before;
    },
    20_000,
    'a new check',
  );
  await page.locator('[data-testid="setup-check-now"]:not([data-loading])').waitFor({ timeout: 20_000 });
}

async function statusOf(page: Page, record: string): Promise<string | null> {
  return page.getByTestId(`setup-check-${record}`).getAttribute('data-status');
}

/** The host box plus the zone, as Cloudflare's Name field makes the full name. */
function fqdn(hostBox: string): string {
  return hostBox === '@' ? DOMAIN : `${hostBox}.${DOMAIN}`;
}

function dkimTags(message: Buffer): Map<string, string> {
  const head = message.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '';
  const m = /^DKIM-Signature:((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head);
  if (!m) throw new Error(`no DKIM-Signature header in:\n${head}`);
  const tags = new Map<string, string>();
  for (const part of (m[1] as string).replace(/\s+/g, '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) tags.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return tags;
}

describe.skipIf(!rendererBuilt)('the domain setup wizard in Chromium', () => {
  it('walks a fresh domain from nothing to a signed, delivered test message, with clicks only', async () => {
    const app = await openApp(h, engine);
    const { page, context } = app;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.origin });
    try {
      // 1. Domain: the nav entry opens the wizard on the first domain not ready (example.com).
      await page.getByTestId('nav-/setup').click();
      await page.getByTestId('setup-domain-example.com').waitFor();
      expect(await page.getByTestId('setup-domain-example.com').getAttribute('data-checked')).toBe('true');

      // A refusal shows main's sentence on the field; an IDN shows both of its forms.
      await fill(page, 'domain-input', 'not a domain');
      await page.getByTestId('domain-add').click();
      await page.getByText(/is not a domain name Mailroom can send from/).waitFor();
      await fill(page, 'domain-input', 'bücher.example');
      await page.getByTestId('domain-add').click();
      await page.getByTestId('setup-domain-idn').getByText('bücher.example is stored as').waitFor();
      expect(await page.getByTestId('setup-domain-idn').textContent()).toContain('xn--bcher-kva.example');

      // The bakery: added here, and chosen at once.
      await fill(page, 'domain-input', DOMAIN);
      await page.getByTestId('domain-add').click();
      await page.locator(`[data-testid="setup-domain-${DOMAIN}"][data-checked="true"]`).waitFor();
      await page.getByTestId('setup-current-domain').getByText(DOMAIN).waitFor({ timeout: 20_000 });
      expect(engine.domains.list()).toContain(DOMAIN);
      await dismissNotifications(page);
      await app.screenshot('setup-01-domain');

      // 2. How you send: the route from Settings first; direct shows the public address and the warning.
      await page.getByTestId('setup-next').click();
      await page
        .getByTestId('setup-route-status')
        .getByText(/from your Settings/)
        .waitFor();
      await page.getByTestId('setup-route-direct').click();
      await page.getByTestId('setup-public-ip').getByText(PUBLIC_IP).waitFor({ timeout: 20_000 });
      await page.getByText(/usually does not work from home/).waitFor();
      await app.screenshot('setup-02-route-direct');

      // …then through Mailgun: the SPF include comes from the preset.
      await page.getByTestId('setup-route-smarthost').click();
      await pick(page, 'setup-provider-select', /Mailgun/);
      await page
        .getByTestId('setup-route-provider')
        .getByText(/include:mailgun\.org/)
        .waitFor();
      await page.getByTestId('setup-route-status').getByText(`Saved for ${DOMAIN}`).waitFor({ timeout: 20_000 });
      await page.getByTestId('setup-route-settings-link').waitFor();
      // Settings sends another way (the test's loopback server): the wizard says Settings must change too.
      expect(await page.getByTestId('setup-route-differs').textContent()).toMatch(
        /records in this guide are for sending through Mailgun/,
      );
      await app.screenshot('setup-02-route-provider');

      // 3. DKIM key: made here, kept in the keychain.
      await page.getByTestId('setup-next').click();
      await page
        .getByTestId('setup-provider-dkim')
        .getByText(/Mailgun can also sign/)
        .waitFor();
      await page.getByTestId('setup-create-key').click();
      const ready = page.getByTestId('setup-key-ready');
      await ready.getByText(/Your key is ready \(selector/).waitFor({ timeout: 30_000 });
      const selector = /selector (\S+),/.exec((await ready.textContent()) ?? '')?.[1] as string;
      const keys = engine.dkim.signingKeys(DOMAIN);
      expect(keys.map((k) => k.selector)).toEqual([selector]);
      await app.screenshot('setup-03-dkim');

      // 4. Records: one card each, the DMARC report address first refused, then taken.
      await page.getByTestId('setup-next').click();
      for (const purpose of ['spf', 'dkim', 'dmarc']) {
        await page.locator(`[data-testid="setup-record-${purpose}"][data-state="add"]`).waitFor({ timeout: 20_000 });
      }
      await fill(page, 'setup-report-address', 'reports at the bakery');
      await page.getByTestId('setup-report-save').click();
      await page.getByText(/is not an email address/).waitFor();
      // A mailbox at another domain: the field says reports would not reach it.
      await fill(page, 'setup-report-address', OWNER);
      await page.getByText(/Reports reach an address at inbox\.example only if inbox\.example has agreed/).waitFor();
      await fill(page, 'setup-report-address', `reports@${DOMAIN}`);
      await page.getByTestId('setup-report-save').click();
      await page
        .getByTestId('setup-record-dmarc')
        .getByTestId('record-value')
        .getByText(`mailto:reports@${DOMAIN}`)
        .waitFor({ timeout: 20_000 });
      await page.getByTestId('record-split-dkim').click();
      const dkimCard = page.getByTestId('setup-record-dkim');
      await dkimCard.getByText(/enter them in this order/).waitFor();
      await app.screenshot('setup-04-records');

      // A reload comes back to the same domain and step, with the route and address kept.
      await page.reload();
      await page.locator('[data-testid="setup-record-spf"]').waitFor({ timeout: 20_000 });
      expect(await page.getByTestId('setup-current-domain').textContent()).toContain(DOMAIN);
      expect(await page.getByTestId('setup-step-4').getAttribute('data-progress')).toBe('true');
      expect(await page.getByTestId('setup-record-spf').getByTestId('record-value').textContent()).toContain(
        'include:mailgun.org',
      );
      expect(await page.getByTestId('setup-report-address').inputValue()).toBe(`reports@${DOMAIN}`);

      // Copied as the person copies them: the Cloudflare Name box, and the value.
      const records: Record<string, { name: string; value: string }> = {};
      for (const purpose of ['spf', 'dkim', 'dmarc']) {
        records[purpose] = {
          name: fqdn(await copy(page, `copy-${purpose}-host`)),
          value: await copy(page, `copy-${purpose}-value`),
        };
        expect(records[purpose]?.name).toBe(
          await page.getByTestId(`setup-record-${purpose}`).getByTestId('record-name').textContent(),
        );
      }
      const spf = records.spf as { name: string; value: string };
      const dkim = records.dkim as { name: string; value: string };
      const dmarc = records.dmarc as { name: string; value: string };
      expect(spf).toEqual({ name: DOMAIN, value: 'v=spf1 include:mailgun.org ~all' });
      expect(dkim.name).toBe(`${selector}._domainkey.${DOMAIN}`);
      expect(dkim.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
      expect(dmarc.name).toBe(`_dmarc.${DOMAIN}`);
      expect(dmarc.value).toContain(`rua=mailto:reports@${DOMAIN}`);

      // 5. DNS host: Cloudflare, recognised from the name servers, in its own words.
      await page.getByTestId('setup-next').click();
      await page.getByTestId('setup-dns-host-detected').getByText('Your DNS is at Cloudflare').waitFor();
      await page
        .getByTestId('setup-dns-host-steps')
        .getByText(/dash\.cloudflare\.com/)
        .waitFor();
      await page
        .getByTestId('setup-dns-host-steps')
        .getByText(/Leave TTL on "Auto"/)
        .waitFor();
      await app.screenshot('setup-05-dns-host');

      // Somewhere else: Route 53 wants the DKIM value in quoted pieces.
      await pick(page, 'setup-dns-host-select', 'Amazon Route 53');
      await page.getByTestId('setup-dns-host-name').getByText('At Amazon Route 53').waitFor();
      await page.getByTestId('setup-back').click();
      const route53Value = await dkimCard.getByTestId('record-value').textContent();
      expect(route53Value).toBe(`"${split(dkim.value).join('" "')}"`);
      expect(await dkimCard.getByTestId('record-host').textContent()).toBe(`${selector}._domainkey`);
      await app.screenshot('setup-04-records-route53');
      await page.getByTestId('setup-next').click();
      await pick(page, 'setup-dns-host-select', 'Cloudflare');
      await page.getByTestId('setup-dns-host-name').getByText('At Cloudflare').waitFor();

      // 6. Check: nothing published yet, so nothing is green but the MX; the records were
      // just shown, so they are "waiting for DNS", not wrong.
      await page.getByTestId('setup-next').click();
      await checkNow(page);
      for (const record of ['spf', 'dkim', 'dmarc']) {
        expect({ record, status: await statusOf(page, record) }).toEqual({ record, status: 'pending' });
      }
      expect(await statusOf(page, 'mx')).toBe('ok');
      await page.getByTestId('setup-check-dkim').getByText('Waiting for DNS').waitFor();
      expect(await page.getByTestId('setup-check-summary').textContent()).toMatch(/waiting for DNS/);
      await app.screenshot('setup-06-check-missing');

      // Published, but the DKIM value was pasted with quote marks: red, and the fix is our exact value.
      const quoted = split(dkim.value, 200)
        .map((s) => `"${s}"`)
        .join(' ');
      dns.setZone(
        zone({
          [spf.name]: { NS: NAME_SERVERS, MX: [{ exchange: `mx.${DOMAIN}`, priority: 10 }], TXT: [spf.value] },
          [dkim.name]: { TXT: [split(quoted)] },
          [dmarc.name]: { TXT: [dmarc.value] },
        }),
      );
      await checkNow(page);
      expect(await statusOf(page, 'dkim')).toBe('error');
      const dkimCheck = page.getByTestId('setup-check-dkim');
      expect(await dkimCheck.getByTestId('check-message').textContent()).toMatch(/quote marks/);
      expect(await dkimCheck.getByTestId('check-fix').textContent()).toMatch(/remove the quote marks/);
      expect(await dkimCheck.getByTestId('check-fix-value').textContent()).toBe(dkim.value);
      expect(await copy(page, 'copy-fix-dkim')).toBe(dkim.value);
      expect(await statusOf(page, 'spf')).toBe('ok');
      expect(await statusOf(page, 'dmarc')).toBe('ok');
      expect(await page.getByTestId('setup-check-summary').textContent()).toBe('1 record needs fixing.');
      await app.screenshot('setup-06-check-dkim-quoted');

      // Fixed as the page says: all green.
      dns.setZone(
        zone({
          [spf.name]: { NS: NAME_SERVERS, MX: [{ exchange: `mx.${DOMAIN}`, priority: 10 }], TXT: [spf.value] },
          [dkim.name]: { TXT: [split(dkim.value)] },
          [dmarc.name]: { TXT: [dmarc.value] },
        }),
      );
      await checkNow(page);
      for (const record of ['spf', 'dkim', 'dmarc', 'mx']) {
        expect({ record, status: await statusOf(page, record) }).toEqual({ record, status: 'ok' });
      }
      expect(await page.getByTestId('setup-check-ptr').count()).toBe(0); // not sending direct
      expect(await page.getByTestId('setup-check-summary').textContent()).toBe(`All set: ${DOMAIN} is ready to send.`);
      await app.screenshot('setup-06-check-ok');

      // The records page agrees now.
      await page.getByTestId('setup-step-4').click();
      for (const purpose of ['spf', 'dkim', 'dmarc']) {
        await page.locator(`[data-testid="setup-record-${purpose}"][data-state="done"]`).waitFor({ timeout: 20_000 });
      }
      await page.getByTestId('setup-step-7').click();

      // 7. Test: sending is paused, resumed right here, and the message arrives signed.
      await page.getByTestId('setup-sending-paused').waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('setup-test-from').inputValue()).toBe(`postmaster@${DOMAIN}`);
      await page.getByTestId('setup-test-send').click();
      await page.getByText('Write your own address, like you@example.com.').waitFor();
      await fill(page, 'setup-test-to', OWNER);
      await page.getByTestId('setup-resume-sending').click();
      await page.getByTestId('setup-sending-paused').waitFor({ state: 'detached', timeout: 10_000 });
      expect(engine.settings.get('delivery.paused')).toBe(false);
      await page.getByTestId('setup-test-send').click();
      const result = page.locator('[data-testid="setup-test-result"][data-state="delivered"]');
      await result.waitFor({ timeout: 30_000 });
      expect(await result.textContent()).toContain(`signed by ${DOMAIN} with selector ${selector}`);
      await app.screenshot('setup-07-test');

      const arrived = await waitFor(() => sink.messages.find((m) => m.to.includes(OWNER)), 10_000, 'the test message');
      const tags = dkimTags(arrived.data);
      expect(tags.get('d')).toBe(DOMAIN);
      expect(tags.get('s')).toBe(selector);
      // The signature verifies against exactly the value the person published.
      const verified = await verifyDkim(arrived.data, { [dkim.name]: dkim.value });
      expect(verified).toEqual([{ domain: DOMAIN, selector, ok: true }]);

      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  }, 180_000);

  it('opens from Settings → Sending domains on the domain chosen there', async () => {
    if (!engine.domains.list().includes('xn--bcher-kva.example')) engine.domains.add('bücher.example');
    const app = await openApp(h, engine, { route: '/settings/domains', colorScheme: 'dark' });
    const { page } = app;
    try {
      await page.getByTestId('domains-open-setup').waitFor();
      // Each row says how its DNS stands, in the dashboard's words; an IDN shows its Unicode name.
      // (The bakery exists when the walk above ran, and left it all green.)
      if (engine.domains.list().includes(DOMAIN)) {
        expect(await page.getByTestId(`dns-${DOMAIN}`).textContent()).toBe('DNS ready');
      }
      expect(await page.getByTestId('domain-row-xn--bcher-kva.example').textContent()).toContain(
        'bücher.example (xn--bcher-kva.example)',
      );
      await app.screenshot('setup-08-settings-domains-dark');
      await page.getByTestId('domain-setup-example.com').click();
      await page.locator('[data-testid="setup-domain-example.com"][data-checked="true"]').waitFor();
      await page.getByTestId('setup-current-domain').getByText('example.com').waitFor({ timeout: 20_000 });
      expect(await page.getByTestId('setup-step-1').getAttribute('data-progress')).toBe('true');
      await app.screenshot('setup-09-from-settings-dark');
      expect(app.problems).toEqual([]);
    } finally {
      await app.close();
    }
  }, 60_000);
});
