import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The installed `mailroom` command runs the build (Node does not strip types inside
// node_modules). `npm test` builds before testing.
const outMain = path.resolve('out/main');

describe.skipIf(!fs.existsSync(path.join(outMain, 'cli.js')))('built mailroom command', () => {
  it('runs under plain Node and its engine code never loads electron', () => {
    const help = execFileSync(process.execPath, [path.join(outMain, 'cli.js'), '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/^Usage: mailroom <command>/);
    const chunks = fs.readdirSync(path.join(outMain, 'chunks')).map((f) => path.join(outMain, 'chunks', f));
    for (const file of [path.join(outMain, 'cli.js'), ...chunks]) {
      expect(fs.readFileSync(file, 'utf8')).not.toMatch(/from "electron"|require\("electron"\)/);
    }
  });
});
