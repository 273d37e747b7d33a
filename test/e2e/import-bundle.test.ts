import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.ts';

// The import worker is its own entry in the build (out/main/import-worker.js), found next to
// the bundle or one folder up from a chunk. The built `mailroom` command proves it loads.

const cli = path.resolve('out/main/cli.js');
const built = fs.existsSync(cli);
if (!built) console.warn('skipped: out/main does not exist; run `npx electron-vite build` first (npm test does)');

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it.skipIf(!built)('the built mailroom command imports through the built import worker', async () => {
  dir = tempDir('mailroom-import-bundle-');
  const file = path.join(dir, 'people.csv');
  fs.writeFileSync(file, 'Email,First Name\r\nann@example.com,Ann\r\nANN@example.com,Annie\r\n');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [cli, 'contacts', 'import', file, '--list', 'News', '--json'],
    {
      env: { ...process.env, MAILROOM_DATA_DIR: path.join(dir, 'data'), MAILROOM_SECRET_STORE: 'file' },
      timeout: 60_000,
    },
  );
  expect(JSON.parse(stdout)).toMatchObject({
    records: 2,
    added: 1,
    skipped: 1,
    problems: [{ kind: 'duplicate', sameAs: 1 }],
  });
});
