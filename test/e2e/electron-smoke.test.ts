import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';

// The real window, when this machine has the Electron runtime (it is downloaded on
// first use and cannot be on machines without access to GitHub; scripts/start.mjs
// tries once). Otherwise the test is skipped with the reason, and
// main-bundle.test.ts still covers the built main process (with a stand-in for
// electron, including the tray menu, which Playwright cannot click).

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

/** Reads the relay's 220 greeting: proof the engine still listens. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no greeting within 10 s')));
    socket.once('data', (data) => {
      socket.end('QUIT\r\n');
      resolve(data.toString('latin1'));
    });
    socket.once('error', reject);
  });
}

describe('Electron window', () => {
  it('opens, shows the relay status, keeps the page sandboxed, closes to the tray and quits in order', async (ctx) => {
    const binary = electronBinary();
    const reason = reasonToSkip(binary);
    if (reason) {
      console.warn(`skipped Electron smoke test: ${reason}`);
      ctx.skip(reason);
    }

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-electron-'));
    // Start at login would write here on Linux; never into the real ~/.config.
    const xdgConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-electron-xdg-'));
    const seed = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
    seed.settings.set('relay.port', 0);
    seed.domains.add('example.com');
    await seed.close();

    const app = await _electron.launch({
      executablePath: binary!,
      args: ['.'],
      cwd: path.resolve('.'),
      env: {
        ...(process.env as Record<string, string>),
        MAILROOM_DATA_DIR: dataDir,
        MAILROOM_SECRET_STORE: 'file',
        XDG_CONFIG_HOME: xdgConfig,
      },
      timeout: 30_000,
    });
    let lockReleased = false;
    try {
      const page = await app.firstWindow();
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

      // Close the window the way its close button does: it hides into the tray, the relay
      // keeps answering, and the notice is shown once. Where Electron lets the test replace
      // dialog.showMessageBox the notice is recorded instead of put on screen; either way
      // the data folder remembers that it was shown.
      const recording = await app.evaluate(({ dialog }) => {
        const notices: unknown[] = [];
        (globalThis as unknown as { __notices: unknown[] }).__notices = notices;
        const record = (async (...args: unknown[]) => {
          notices.push(args.at(-1));
          return { response: 0, checkboxChecked: false };
        }) as typeof dialog.showMessageBox;
        try {
          dialog.showMessageBox = record;
        } catch {
          // a read-only module export: the real box shows (asynchronously, it blocks nothing)
        }
        return dialog.showMessageBox === record;
      });
      const windowState = () =>
        app.evaluate(({ BrowserWindow }) =>
          BrowserWindow.getAllWindows().map((w) => ({ visible: w.isVisible(), destroyed: w.isDestroyed() })),
        );
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
      await expect.poll(windowState, { timeout: 5000 }).toEqual([{ visible: false, destroyed: false }]);
      if (recording) {
        const notices = await app.evaluate(
          () => (globalThis as unknown as { __notices: { message: string }[] }).__notices,
        );
        expect(notices).toHaveLength(1);
        expect(notices[0]!.message).toContain('Mailroom is still running in the');
      }
      // Reading the settings is safe while the app runs the engine (the CLI does the same).
      const reader = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
      expect(reader.settings.get('app.trayNoticeShown')).toBe(true);
      await reader.close();

      const info = JSON.parse(fs.readFileSync(path.join(dataDir, 'engine.json'), 'utf8')) as {
        kind: string;
        relay: { port: number };
      };
      expect(info.kind).toBe('app');
      expect(await greeting(info.relay.port)).toMatch(/^220 /);

      // Starting Mailroom again (a second instance) brings the hidden window back, as the tray's Open does.
      await app.evaluate(({ app }) => app.emit('second-instance'));
      await expect.poll(windowState, { timeout: 5000 }).toEqual([{ visible: true, destroyed: false }]);
    } finally {
      // Playwright quits through app.quit(): the window closes for real and the engine stops in order.
      await app.close();
      lockReleased = !fs.existsSync(path.join(dataDir, 'engine.json'));
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(xdgConfig, { recursive: true, force: true });
    }
    expect(lockReleased).toBe(true);
  });
});
