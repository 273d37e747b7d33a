import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { Engine, type RelayOptions } from '../../src/main/engine/engine.ts';
import { LiveStatus } from '../../src/main/engine/live-status.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createIpcDispatcher, type IpcDispatch } from '../../src/main/ipc/register.ts';
import { createSenderCheck } from '../../src/main/ipc/trusted-sender.ts';
import { type EngineState, IPC_EVENT_PAYLOADS } from '../../src/shared/ipc/contract.ts';
import { type TestDesktop, testDesktop } from './handler-context.ts';

export { type TestDesktop, testDesktop };

// The built renderer in Debian's Chromium, with `window.mailroom` shaped exactly like
// the preload's bridge and backed by the real handler map and IPC dispatcher over a
// real engine. Events main would send (dashboard.changed, export.progress) reach the
// page through the same emit path. Only the desktop (clipboard, native dialogs,
// login item) is this file's own, because headless Chromium has no Electron.

export const RENDERER_DIR = path.resolve('out/renderer');
export const ARTIFACTS = path.resolve('test-artifacts');
export const CHROMIUM = '/usr/bin/chromium';
export const rendererBuilt = fs.existsSync(path.join(RENDERER_DIR, 'index.html'));

/**
 * A running engine on a fresh temp folder, as the app runs it: the relay on a free
 * loopback port, one sending domain, and sending paused (the direct route would ask
 * the machine's DNS; a test that sends sets up a loopback smarthost first).
 */
export async function startAppEngine(
  prefix: string,
  relayOptions: RelayOptions = {},
): Promise<{ engine: Engine; dataDir: string; relayPort: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  engine.settings.set('relay.port', 0);
  engine.settings.set('delivery.paused', true);
  engine.domains.add('example.com');
  const relay = await engine.start('app', { authFailureDelayMs: 10, ...relayOptions });
  return { engine, dataDir, relayPort: relay.port };
}

export interface Harness {
  browser: Browser;
  origin: string;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const server = await serveStatic(RENDERER_DIR);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
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
  return {
    browser,
    origin,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface OpenApp {
  page: Page;
  context: BrowserContext;
  desktop: TestDesktop;
  live: LiveStatus;
  dispatch: IpcDispatch;
  /** Console errors and warnings, page errors and CSP violations seen so far. */
  problems: string[];
  /** Every channel the page called, in order. */
  calls: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openApp(
  h: Harness,
  engine: Engine,
  opts: {
    engineState?: () => EngineState;
    colorScheme?: 'light' | 'dark';
    route?: string;
    trustedOrigin?: string;
    desktop?: TestDesktop;
    liveIntervalMs?: number;
    /** Runs on the new context before the page loads (benchmarks add their probes here). */
    beforeLoad?: (context: BrowserContext) => Promise<void>;
  } = {},
): Promise<OpenApp> {
  const engineState = opts.engineState ?? (() => ({ state: 'running', error: null }));
  const desktop = opts.desktop ?? testDesktop();
  const live = new LiveStatus(engine, engineState);
  const context = await h.browser.newContext({
    viewport: { width: 1200, height: 860 },
    colorScheme: opts.colorScheme ?? 'light',
    // The theme respects it: drawers and modals appear at once, so screenshots show them in place.
    reducedMotion: 'reduce',
  });
  let page: Page | null = null;
  const trusted = createSenderCheck({ origin: opts.trustedOrigin ?? h.origin });
  const emitToPage = (event: string, payload: unknown) => {
    // Main sends events only to its own window showing its own page.
    if (!page || !trusted(page.url())) return;
    // Parsed like main's emit: nothing undeclared reaches the page.
    const parsed = IPC_EVENT_PAYLOADS[event as keyof typeof IPC_EVENT_PAYLOADS].parse(payload);
    void page
      ?.evaluate(
        ([e, p]) =>
          (globalThis as unknown as { __mailroomEmit?: (e: string, p: unknown) => void }).__mailroomEmit?.(e, p),
        [event, parsed] as const,
      )
      .catch(() => {});
  };
  const dispatch = createIpcDispatcher(
    createHandlers({ engine, appVersion: '0.1.0-test', engineState, desktop, live, emit: emitToPage }),
    trusted,
  );
  const calls: string[] = [];
  await context.exposeBinding('__mailroomInvoke', (source, channel: unknown, input: unknown) => {
    calls.push(String(channel));
    return dispatch(channel, source.frame.url(), input);
  });
  await context.addInitScript(() => {
    // Runs in the page; typed by hand because this project's Node typings have no DOM.
    type Violation = { violatedDirective: string; blockedURI: string; sourceFile: string; lineNumber: number };
    const win = globalThis as unknown as {
      __mailroomInvoke: (channel: string, input?: unknown) => Promise<unknown>;
      __mailroomEmit: (event: string, payload: unknown) => void;
      mailroom: unknown;
      document: { addEventListener(type: string, listener: (e: Violation) => void): void };
    };
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
  await opts.beforeLoad?.(context);
  page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const off = live.subscribe((d) => emitToPage('dashboard.changed', d));
  live.start(opts.liveIntervalMs ?? 250);
  await page.goto(`${h.origin}/index.html#${opts.route ?? '/'}`);
  const p = page;
  return {
    page: p,
    context,
    desktop,
    live,
    dispatch,
    problems,
    calls,
    screenshot: async (name) => {
      // A full-page capture of a scrolled page draws the fixed header mid-page.
      await p.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
      await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      off();
      live.stop();
      await context.close();
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** out/renderer over loopback http (module scripts do not load from file:// in plain Chromium). */
export function serveStatic(root: string): Promise<http.Server> {
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
