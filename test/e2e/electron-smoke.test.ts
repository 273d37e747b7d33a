import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';

// The real window, when this machine has the Electron runtime (it is downloaded on
// first use and cannot be on machines without access to GitHub; scripts/start.mjs
// tries once). Otherwise the test is skipped with the reason, and
// main-bundle.test.ts still covers the built main process.

const require = createRequire(import.meta.url);

/** Where node_modules/electron keeps its runtime, found without requiring it (that would start a download). */
function electronBinary(): string | null {
  const dir = path.dirname(require.resolve('electron/package.json'));
  try {
    const binary = path.join(dir, 'dist', fs.readFileSync(path.join(dir, 'path.txt'), 'utf8'));
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function reasonToSkip(binary: string | null): string | null {
  if (!binary) {
    return 'the Electron runtime is not installed (node_modules/electron/dist is missing; `npm start` fetches it where the network allows), so the real window cannot be launched';
  }
  if (!fs.existsSync(path.resolve('out/main/index.js')))
    return 'out/ does not exist; run `npx electron-vite build` first';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'there is no display; run the tests under xvfb-run to include the Electron window';
  }
  return null;
}

describe('Electron window', () => {
  it('opens, shows the relay status, and keeps the page sandboxed', async (ctx) => {
    const binary = electronBinary();
    const reason = reasonToSkip(binary);
    if (reason) {
      console.warn(`skipped Electron smoke test: ${reason}`);
      ctx.skip(reason);
    }

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-electron-'));
    const seed = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
    seed.settings.set('relay.port', 0);
    seed.domains.add('example.com');
    await seed.close();

    const app = await _electron.launch({
      executablePath: binary!,
      args: ['.'],
      cwd: path.resolve('.'),
      env: { ...(process.env as Record<string, string>), MAILROOM_DATA_DIR: dataDir, MAILROOM_SECRET_STORE: 'file' },
      timeout: 30_000,
    });
    try {
      const page = await app.firstWindow();
      await page.getByTestId('sending-domains').getByText('example.com').waitFor();
      await page.getByTestId('relay-state').getByText('Running').waitFor({ timeout: 15_000 });
      const surface = await page.evaluate(() => {
        const g = globalThis as unknown as { mailroom: object; require?: unknown; process?: unknown };
        return { bridge: Object.keys(g.mailroom).sort(), require: typeof g.require, process: typeof g.process };
      });
      expect(surface).toEqual({ bridge: ['invoke', 'on'], require: 'undefined', process: 'undefined' });
      const before = page.url();
      await page.evaluate(() => {
        (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/';
      });
      await page.waitForTimeout(500);
      expect(page.url()).toBe(before);
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
