import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

// Absolute paths: the dev server resolves inputs against the renderer root, the build against the cwd.
const here = import.meta.dirname;

export default defineConfig({
  main: {
    // Dependencies (better-sqlite3 and keytar are native) stay in node_modules and are
    // loaded at run time; only our own source is bundled.
    build: {
      externalizeDeps: true,
      // cli: the `mailroom` command for an installed package (bin/mailroom.js), where
      // Node will not run TypeScript from node_modules.
      rolldownOptions: {
        // commit-worker: the database commit thread's own entry (see src/main/queue/commit-thread.ts);
        // import-worker: the contacts import thread's (see src/main/contacts/import/import-thread.ts).
        input: {
          index: resolve(here, 'src/main/index.ts'),
          cli: resolve(here, 'src/main/cli/main.ts'),
          'commit-worker': resolve(here, 'src/main/queue/commit-worker.ts'),
          'import-worker': resolve(here, 'src/main/contacts/import/import-worker.ts'),
        },
      },
    },
  },
  preload: {
    // Sandboxed preloads must be CommonJS and self-contained: bundle everything.
    build: {
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(here, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(here, 'src/renderer'),
    // Minified: the window loads from disk, but parse time still grows with bundle size.
    build: { minify: true, rolldownOptions: { input: { index: resolve(here, 'src/renderer/index.html') } } },
    plugins: [react(), devServerCsp()],
  },
});

/**
 * The dev server injects an inline script (React Fast Refresh) and talks over a
 * websocket; loosen the page's CSP for `electron-vite dev` only. Builds keep the
 * strict policy written in index.html (a test checks out/renderer/index.html).
 */
function devServerCsp(): Plugin {
  return {
    name: 'mailroom:dev-server-csp',
    apply: 'serve',
    transformIndexHtml: {
      order: 'pre',
      handler: (html) =>
        html
          .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
          .replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*"),
    },
  };
}
