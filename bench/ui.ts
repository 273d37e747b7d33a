// Window benchmark: what the renderer costs to download and paint, and what the live
// dashboard costs the engine.
//
//   node bench/ui.ts             bundle sizes, first render (median of 7), live-status cost
//   node bench/ui.ts --runs 15   more first-render runs
//   node bench/ui.ts --data-dir DIR
//                                also time the delivery log's first page in the window on an
//                                existing data folder (e.g. the 1,000,000 deliveries bench:log
//                                seeds with --keep)
//
// Needs out/renderer (npm run build) and /usr/bin/chromium. First render is timed inside the
// page: first-contentful-paint from the Paint Timing API, and "dashboard ready" when the
// relay-state element first exists (a MutationObserver records performance.now()), both
// measured from navigation start, so Playwright's round trips are not in the figures.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import nodemailer from 'nodemailer';
import type { BrowserContext } from 'playwright-core';
import { Engine } from '../src/main/engine/engine.ts';
import { silentLogger } from '../src/main/engine/log.ts';
import { openApp, RENDERER_DIR, rendererBuilt, startAppEngine, startHarness } from '../test/helpers/app-harness.ts';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, 'data-dir': { type: 'string' } },
});
const runs = Math.max(1, Number(args.runs));
if (!rendererBuilt) {
  console.error('out/renderer is missing: run `npm run build` first.');
  process.exit(1);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

// ---------------------------------------------------------------- bundle size
console.log('Renderer bundle (out/renderer)');
let raw = 0;
let gz = 0;
let br = 0;
for (const file of walk(RENDERER_DIR)) {
  const bytes = fs.readFileSync(file);
  const g = zlib.gzipSync(bytes, { level: 9 }).length;
  const b = zlib.brotliCompressSync(bytes).length;
  raw += bytes.length;
  gz += g;
  br += b;
  console.log(
    `  ${path.relative(RENDERER_DIR, file).padEnd(32)} ${kb(bytes.length).padStart(10)}  gzip ${kb(g).padStart(9)}  brotli ${kb(b).padStart(9)}`,
  );
}
console.log(
  `  ${'total'.padEnd(32)} ${kb(raw).padStart(10)}  gzip ${kb(gz).padStart(9)}  brotli ${kb(br).padStart(9)}`,
);

// ---------------------------------------------------------------- first render
const { engine, dataDir, relayPort } = await startAppEngine('mailroom-bench-ui-');
const h = await startHarness();

async function firstRender(route: string, readySelector: string, eng: Engine) {
  const app = await openApp(h, eng, { route, beforeLoad: readyProbe('[data-testid="relay-state"]') });
  try {
    await app.page.waitForSelector(readySelector, { timeout: 30_000 });
    return await app.page.evaluate(() => {
      type Perf = { getEntriesByName(name: string): { startTime: number }[] };
      const w = globalThis as unknown as { __ready?: number; performance: Perf };
      const fcp = w.performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN;
      return { fcp, ready: w.__ready ?? Number.NaN };
    });
  } finally {
    await app.close();
  }
}

/** Records when an element matching `selector` first exists, from navigation start. */
function readyProbe(selector: string) {
  return async (ctx: BrowserContext) => {
    await ctx.addInitScript((sel: string) => {
      // Runs in the page; typed by hand because this project's Node typings have no DOM.
      type Observer = { observe(target: unknown, opts: object): void; disconnect(): void };
      const w = globalThis as unknown as {
        __ready?: number;
        performance: { now(): number };
        MutationObserver: new (cb: () => void) => Observer;
        document: { querySelector(sel: string): unknown };
      };
      const obs = new w.MutationObserver(() => {
        if (w.__ready === undefined && w.document.querySelector(sel)) {
          w.__ready = w.performance.now();
          obs.disconnect();
        }
      });
      obs.observe(w.document, { childList: true, subtree: true });
    }, selector);
  };
}

const fcps: number[] = [];
const readies: number[] = [];
for (let i = 0; i < runs + 1; i++) {
  const r = await firstRender('/', '[data-testid="relay-state"]', engine);
  if (i === 0) {
    console.log(
      `\nFirst render, cold run (not counted): FCP ${r.fcp.toFixed(0)} ms, dashboard ready ${r.ready.toFixed(0)} ms`,
    );
    continue;
  }
  fcps.push(r.fcp);
  readies.push(r.ready);
}
console.log(
  `First render in Chromium, median of ${runs}: first contentful paint ${median(fcps).toFixed(0)} ms; dashboard with live data ${median(readies).toFixed(0)} ms (min ${Math.min(...readies).toFixed(0)}, max ${Math.max(...readies).toFixed(0)})`,
);

if (args['data-dir']) {
  const big = new Engine({ dataDir: path.resolve(args['data-dir']), secretStore: 'file', log: silentLogger });
  const n = big.db.prepare('SELECT count(*) FROM deliveries').pluck().get() as number;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const app = await openApp(h, big, { route: '/log', beforeLoad: readyProbe('[data-testid^="log-row-"]') });
    try {
      await app.page.locator('[data-testid^="log-row-"]').first().waitFor({ timeout: 60_000 });
      times.push(await app.page.evaluate(() => (globalThis as unknown as { __ready?: number }).__ready ?? Number.NaN));
    } finally {
      await app.close();
    }
  }
  console.log(
    `Delivery log with ${n.toLocaleString('en')} deliveries: first rows on screen ${median(times).toFixed(0)} ms after navigation (median of ${runs})`,
  );
  big.db.close();
}

// ---------------------------------------------------------------- live status cost
console.log('\nLive dashboard (LiveStatus, 1 s probe)');
const app = await openApp(h, engine, { route: '/', liveIntervalMs: 1000 });
await app.page.waitForSelector('[data-testid="relay-state"]');
const idleStart = app.live.rebuilds;
await new Promise((r) => setTimeout(r, 5000));
console.log(
  `  idle 5 s: ${app.live.rebuilds - idleStart} rebuilds (each probe reads total_changes() and data_version only)`,
);

const password = (await engine.secrets.get('relay.password')) as string;
const transport = nodemailer.createTransport({
  host: '127.0.0.1',
  port: relayPort,
  pool: true,
  maxConnections: 2,
  ignoreTLS: true,
  auth: { user: engine.settings.get('relay.username'), pass: password },
});
const busyStart = app.live.rebuilds;
const t0 = performance.now();
let sent = 0;
while (performance.now() - t0 < 5000 && sent < 2000) {
  await transport.sendMail({ from: 'news@example.com', to: `r${sent}@example.net`, subject: 'live', text: 'x' });
  sent++;
}
const busySeconds = (performance.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 1200));
transport.close();
const rebuilds = app.live.rebuilds - busyStart;
const t1 = performance.now();
for (let i = 0; i < 20; i++) app.live.check(true);
const rebuildMs = (performance.now() - t1) / 20;
console.log(
  `  ${sent} messages over ${busySeconds.toFixed(1)} s: ${rebuilds} rebuilds (≤ 1 per second however fast mail arrives); one rebuild ${rebuildMs.toFixed(2)} ms with ${engine.db.prepare('SELECT count(*) FROM deliveries').pluck().get()} deliveries`,
);
await app.close();

await h.close();
await engine.close(2000);
fs.rmSync(dataDir, { recursive: true, force: true });

function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
