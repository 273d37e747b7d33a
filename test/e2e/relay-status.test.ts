import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createIpcDispatcher, type IpcDispatch } from '../../src/main/ipc/register.ts';
import { createSenderCheck } from '../../src/main/ipc/trusted-sender.ts';
import type { EngineState } from '../../src/shared/ipc/contract.ts';

// The built renderer in Debian's Chromium, with `window.mailroom.invoke` wired to the
// real IPC dispatcher over a real engine: real SQLite, a real relay on a loopback
// port, mail sent to it over SMTP, and the page's own sender URL checked by main's rule.

const rendererDir = path.resolve('out/renderer');
const artifacts = path.resolve('test-artifacts');
const CHROMIUM = '/usr/bin/chromium';
const built = fs.existsSync(path.join(rendererDir, 'index.html'));
if (!built) console.warn('skipped: out/renderer does not exist; run `npx electron-vite build` first (npm test does)');

let dataDir: string;
let engine: Engine;
let relayPort: number;
let server: http.Server;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  if (!built) return;
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-e2e-'));
  engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  engine.settings.set('relay.port', 0);
  engine.settings.set('delivery.paused', true);
  engine.domains.add('example.com');
  relayPort = (await engine.start('app', { authFailureDelayMs: 10 })).port;
  await sendThroughRelay(2);

  server = await serveStatic(rendererDir);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  fs.mkdirSync(artifacts, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await engine?.close(2000);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!built)('relay status page in Chromium', () => {
  it('shows the relay, the sending domain and live delivery counts', async () => {
    const dispatch = createIpcDispatcher(
      createHandlers({ engine, appVersion: '0.1.0', engineState: () => ({ state: 'running', error: null }) }),
      createSenderCheck({ origin }),
    );
    const { context, page, problems } = await openPage(dispatch, 'light');
    try {
      await page.getByTestId('sending-domains').getByText('example.com').waitFor();
      expect(await page.getByTestId('relay-state').textContent()).toBe('Running');
      expect(await page.getByTestId('relay-address').textContent()).toBe(`127.0.0.1:${relayPort}`);
      expect(await page.getByTestId('relay-username').textContent()).toBe(engine.settings.get('relay.username'));
      expect(await page.getByTestId('count-queued').textContent()).toBe('2');
      expect(await page.getByTestId('count-delivered').textContent()).toBe('0');
      expect(await page.getByTestId('message-count').textContent()).toContain('1 message accepted');
      await page.screenshot({ path: path.join(artifacts, 'relay-status.png'), fullPage: true });

      // The page refreshes itself every 2 s: new mail shows up without a reload.
      await sendThroughRelay(3);
      await page.getByTestId('count-queued').getByText('5', { exact: true }).waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('message-count').textContent()).toContain('2 messages accepted');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows a clear error Alert when the call fails', async () => {
    // An engine whose database is already closed: every status call fails inside main.
    const brokenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-e2e-broken-'));
    const broken = new Engine({ dataDir: brokenDir, secretStore: 'file', log: silentLogger });
    await broken.close();
    const dispatch = createIpcDispatcher(
      createHandlers({ engine: broken, appVersion: '0.1.0', engineState: () => ({ state: 'stopped', error: null }) }),
      createSenderCheck({ origin }),
    );
    const { context, page, problems } = await openPage(dispatch, 'dark');
    try {
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Mailroom could not read the relay status');
      expect(await alert.textContent()).toContain('Code INTERNAL');
      await page.screenshot({ path: path.join(artifacts, 'relay-status-error.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      fs.rmSync(brokenDir, { recursive: true, force: true });
    }
  });

  it('shows why the relay did not start when main reports it', async () => {
    let state: EngineState = { state: 'starting', error: null };
    const dispatch = createIpcDispatcher(
      createHandlers({ engine, appVersion: '0.1.0', engineState: () => state }),
      createSenderCheck({ origin }),
    );
    const { context, page, problems } = await openPage(dispatch, 'light');
    try {
      await page.getByTestId('sending-domains').waitFor();
      expect(await page.getByTestId('engine-error').count()).toBe(0);
      state = {
        state: 'failed',
        error: { code: 'KEYCHAIN_UNAVAILABLE', message: 'No OS keychain could be reached (no Secret Service).' },
      };
      await page.evaluate(
        (payload) =>
          (globalThis as unknown as { __mailroomEmit: (e: string, p: unknown) => void }).__mailroomEmit(
            'engine.state',
            payload,
          ),
        state,
      );
      // The event asks for a refresh at once; the 2 s poll would also get there, so no timing is asserted.
      await page.getByTestId('engine-error').getByText('No OS keychain could be reached').waitFor({ timeout: 10_000 });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refuses the page when main does not trust its origin', async () => {
    const dispatch = createIpcDispatcher(
      createHandlers({ engine, appVersion: '0.1.0', engineState: () => ({ state: 'running', error: null }) }),
      createSenderCheck({ origin: 'http://127.0.0.1:1' }),
    );
    const { context, page } = await openPage(dispatch, 'light');
    try {
      await page.getByRole('alert').getByText('Code FORBIDDEN_SENDER', { exact: false }).waitFor();
      expect(await page.getByTestId('sending-domains').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

/** A page whose `window.mailroom` is the preload's shape, backed by `dispatch` in this process. */
async function openPage(
  dispatch: IpcDispatch,
  colorScheme: 'light' | 'dark',
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 }, colorScheme });
  await context.exposeBinding('__mailroomInvoke', (source, channel: unknown, input: unknown) =>
    dispatch(channel, source.frame.url(), input),
  );
  await context.addInitScript(() => {
    // Runs in the page; typed by hand because this project's Node typings have no DOM.
    type Violation = { violatedDirective: string; blockedURI: string; sourceFile: string; lineNumber: number };
    const win = globalThis as unknown as {
      __mailroomInvoke: (channel: string, input?: unknown) => Promise<unknown>;
      __mailroomEmit: (event: string, payload: unknown) => void;
      mailroom: unknown;
      document: { addEventListener(type: string, listener: (e: Violation) => void): void };
    };
    // `on` as the preload offers it; the test plays main's `emit` through __mailroomEmit.
    const listeners = new Set<{ event: string; listener: (payload: unknown) => void }>();
    win.__mailroomEmit = (event, payload) => {
      for (const l of listeners) if (l.event === event) l.listener(payload);
    };
    win.mailroom = {
      invoke: (channel: string, input?: unknown) => win.__mailroomInvoke(channel, input),
      on: (event: string, listener: (payload: unknown) => void) => {
        const entry = { event, listener };
        listeners.add(entry);
        return () => listeners.delete(entry);
      },
    };
    win.document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${origin}/index.html`);
  return { context, page, problems };
}

async function sendThroughRelay(recipients: number): Promise<void> {
  const password = await engine.secrets.get('relay.password');
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: relayPort,
    secure: false,
    ignoreTLS: true,
    auth: { user: engine.settings.get('relay.username'), pass: password ?? '' },
  });
  try {
    await transport.sendMail({
      from: 'news@example.com',
      to: Array.from({ length: recipients }, (_, i) => `reader${i}@example.org`),
      subject: 'Relay status e2e',
      text: 'Hello from the e2e test.',
    });
  } finally {
    transport.close();
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** out/renderer over loopback http (module scripts do not load from file:// in plain Chromium). */
function serveStatic(root: string): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, pathname === '/' ? 'index.html' : pathname);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}
