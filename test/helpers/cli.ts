import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import readline from 'node:readline';
import { CLI } from './engine.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `mailroom` command (Node type stripping, no build needed). */
export function mailroom(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], { env }, input);
}

/** Runs a program to its end and collects what it printed; `input` goes to its stdin. */
export function run(command: string, args: string[], options: SpawnOptions, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { ...options, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    // A program that cannot be started (ENOENT, EACCES) fails the test with its reason, never hangs it.
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

/** Starts `mailroom serve --json` and resolves with the port once it listens. */
export async function startServe(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
  });
  return { child, port: (JSON.parse(line) as { port: number }).port, stderr: () => stderr };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}
