import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Checks the built app (`npm test` builds first). Without out/ there is nothing to
// check, and the test says so instead of passing silently.

const out = path.resolve('out');
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

function requireBuild(ctx: { skip: (note?: string) => never }) {
  if (!fs.existsSync(path.join(out, 'renderer', 'index.html'))) {
    const note = 'out/ does not exist: run `npx electron-vite build` (npm test does) to check the built app';
    console.warn(`skipped: ${note}`);
    ctx.skip(note);
  }
}

describe('built app', () => {
  it('renderer index.html carries the strict CSP and loads only its own scripts', (ctx) => {
    requireBuild(ctx);
    const html = fs.readFileSync(path.join(out, 'renderer', 'index.html'), 'utf8');
    const meta = html.match(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/);
    expect(meta, 'a CSP meta tag').not.toBeNull();
    expect(meta![1]).toContain(CSP);
    expect(meta![1]).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body!.trim(), 'no inline script').toBe('');
      expect(attrs).toMatch(/src="\.\/assets\/[^"]+\.js"/);
    }
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('preload is a self-contained CommonJS script that needs only electron', (ctx) => {
    requireBuild(ctx);
    const preload = fs.readFileSync(path.join(out, 'preload', 'index.cjs'), 'utf8');
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    const required = [...preload.matchAll(/require\((["'])([^"']+)\1\)/g)].map((m) => m[2]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).toContain('exposeInMainWorld("mailroom"');
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\b/);
  });

  it('main keeps native modules external and loads the preload it builds', (ctx) => {
    requireBuild(ctx);
    // The engine may sit in a chunk shared with the built `mailroom` command.
    const mainDir = path.join(out, 'main');
    const files = [path.join(mainDir, 'index.js')];
    if (fs.existsSync(path.join(mainDir, 'chunks'))) {
      for (const f of fs.readdirSync(path.join(mainDir, 'chunks'))) files.push(path.join(mainDir, 'chunks', f));
    }
    const main = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(main).toMatch(/from "better-sqlite3"/);
    expect(main).toMatch(/import\("keytar"\)/);
    expect(fs.readFileSync(path.join(mainDir, 'index.js'), 'utf8')).toContain('../preload/index.cjs');
  });
});
