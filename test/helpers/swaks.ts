import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Sends one message with swaks (Debian's, an SMTP client nobody here wrote), logged in to the relay. */
export async function swaks(
  relay: { port: number; username: string; password: string },
  opts: { auth?: 'PLAIN' | 'LOGIN'; from: string; to: string; extra?: string[]; refusalExpected?: boolean },
): Promise<string> {
  const args = [
    '--server',
    `127.0.0.1:${relay.port}`,
    '--auth',
    opts.auth ?? 'PLAIN',
    '--auth-user',
    relay.username,
    // One argument: a password starting with "-" would otherwise read as an option.
    `--auth-password=${relay.password}`,
    '--from',
    opts.from,
    '--to',
    opts.to,
    ...(opts.extra ?? []),
  ];
  try {
    return (await run('swaks', args)).stdout;
  } catch (err) {
    // swaks exits non-zero when the server refuses; its transcript is still the answer.
    const stdout = (err as { stdout?: unknown }).stdout;
    if (opts.refusalExpected && typeof stdout === 'string') return stdout;
    throw err;
  }
}
