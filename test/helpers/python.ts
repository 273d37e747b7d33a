import { spawn } from 'node:child_process';

/**
 * Runs a Python script with Debian's /usr/bin/python3 (where python3-dkim and the other
 * Debian modules are), feeds it `input` on stdin and resolves with its stdout.
 * `what` names the script in the error when it exits with a failure.
 */
export function runPython(script: string, input: string, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`${what} exited with ${code}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(input);
  });
}
