#!/usr/bin/env node
// `npm start`: build the app, make sure the Electron runtime is present (Electron 45
// downloads it lazily, on first use, rather than at npm install), then open the window.
// Where the runtime cannot be had, say so in one sentence and point at the engine,
// which runs without it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(path.join(root, 'package.json'));
const electronDir = path.dirname(require.resolve('electron/package.json'));
// One attempt, bounded: a machine without access fails in well under a second, and a
// stalled connection should not hang `npm start`. Override for slow links.
const downloadTimeoutMs = (Number(process.env.MAILROOM_ELECTRON_DOWNLOAD_TIMEOUT) || 90) * 1000;
const debug = Boolean(process.env.MAILROOM_DEBUG);

function build() {
  const cli = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const result = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/**
 * The runtime as node_modules/electron/index.js would find it (path.txt names the
 * executable inside dist/), checked without requiring that file, which would start a
 * download of its own and throw a stack trace when it fails.
 */
function electronBinary() {
  for (const override of [process.env.ELECTRON_EXEC_PATH, process.env.ELECTRON_OVERRIDE_DIST_PATH]) {
    if (!override) continue;
    const candidate = fs.statSync(override, { throwIfNoEntry: false })?.isDirectory()
      ? path.join(override, readOr(path.join(electronDir, 'path.txt'), 'electron'))
      : override;
    if (fs.existsSync(candidate)) return candidate;
  }
  const relative = readOr(path.join(electronDir, 'path.txt'), null);
  if (!relative) return null;
  const wanted = require('electron/package.json').version;
  const installed = readOr(path.join(electronDir, 'dist', 'version'), '')
    .trim()
    .replace(/^v/, '');
  const binary = path.join(electronDir, 'dist', relative);
  return installed === wanted && fs.existsSync(binary) ? binary : null;
}

function tryDownload() {
  process.stderr.write('Fetching the Electron runtime (needed once)…\n');
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    cwd: root,
    encoding: 'utf8',
    timeout: downloadTimeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (debug) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}\n`);
}

function readOr(file, fallback) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

build();
let binary = electronBinary();
if (!binary) {
  tryDownload();
  binary = electronBinary();
}
if (!binary) {
  process.stderr.write(
    "Mailroom's window needs the Electron runtime, which could not be downloaded on this machine; the engine runs without it: npm run serve\n",
  );
  process.exit(1);
}

const child = spawn(binary, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
