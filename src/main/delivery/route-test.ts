import { crossCheckSettings } from '../../shared/domain/settings.ts';
import type { RouteTestInput, RouteTestResult } from '../../shared/ipc/contract.ts';
import type { SettingsService } from '../settings/settings-service.ts';
import { HopOpenError, SmtpHop } from './smtp-hop.ts';

// "Test connection" on the Sending route page: connect to the provider, secure the
// connection, log in, and quit, without sending anything. When a step fails the
// person sees the server's own words (what its support page will talk about) and a
// sentence about what to try.

const STAGE_OF = {
  connect: 'connect',
  greeting: 'greeting',
  ehlo: 'greeting',
  starttls: 'tls',
  auth: 'auth',
} as const satisfies Record<HopOpenError['stage'], RouteTestResult['stage']>;

export async function testSmarthost(
  input: Omit<RouteTestInput, 'password'> & { password: string | null },
  opts: { settings: SettingsService; ehloName: string; timeoutMs?: number },
): Promise<RouteTestResult> {
  // The same rule as saving: no password sent unencrypted across the network.
  const conflict = crossCheckSettings({
    ...opts.settings.all(),
    'smarthost.host': input.host,
    'smarthost.security': input.security,
  });
  if (conflict) return { ok: false, stage: 'connect', code: null, reply: null, message: conflict, tls: false };
  const auth = input.username ? { user: input.username, pass: input.password ?? '' } : undefined;
  if (auth && !input.password) {
    return {
      ok: false,
      stage: 'auth',
      code: null,
      reply: null,
      message: 'Type the password (or API key) first: none is saved for this provider yet.',
      tls: false,
    };
  }
  let hop: SmtpHop;
  try {
    hop = await SmtpHop.open({
      host: input.host,
      port: input.port,
      servername: input.host,
      label: `${input.host}:${input.port}`,
      security: input.security,
      ...(auth ? { auth } : {}),
      ehloName: opts.ehloName,
      timeoutMs: opts.timeoutMs ?? 20_000,
    });
  } catch (err) {
    if (!(err instanceof HopOpenError)) throw err;
    const stage = STAGE_OF[err.stage];
    return {
      ok: false,
      stage,
      code: err.code,
      reply: err.response,
      message: advice(stage, err, input),
      tls: input.security === 'tls' || stage === 'auth',
    };
  }
  const tls = hop.tls;
  hop.close();
  return {
    ok: true,
    stage: 'done',
    code: null,
    reply: null,
    message: auth
      ? `Connected to ${input.host}${tls ? ' over an encrypted connection' : ''} and logged in as ${input.username}. Mail can go through this provider.`
      : `Connected to ${input.host}${tls ? ' over an encrypted connection' : ''}. No user name was given, so no login was tried.`,
    tls,
  };
}

function advice(
  stage: RouteTestResult['stage'],
  err: HopOpenError,
  input: Pick<RouteTestInput, 'host' | 'port' | 'security'>,
): string {
  const where = `${input.host} port ${input.port}`;
  switch (stage) {
    case 'connect':
      if (err.errorCode === 'ENOTFOUND' || err.errorCode === 'EAI_AGAIN')
        return `There is no server called ${input.host}. Check the spelling of the server name.`;
      if (err.errorCode === 'ECONNREFUSED')
        return `${where} refused the connection. Check the port (587 for STARTTLS, 465 for TLS).`;
      if (err.errorCode === 'ETIMEDOUT' || /timeout/i.test(err.message))
        return `${where} did not answer. Check the server name and port; some networks block outgoing mail ports.`;
      return `Mailroom could not connect to ${where}: ${err.message}. Check the server name and port.`;
    case 'greeting':
      return `${input.host} answered but would not start a mail session. Its reply is below; your provider's help pages explain it.`;
    case 'tls':
      return input.security === 'tls'
        ? `The encrypted connection to ${where} failed (${err.message}). If the provider says to use STARTTLS, choose STARTTLS and port 587.`
        : `${input.host} did not set up encryption (${err.message}). Check the port and the security choice: STARTTLS usually goes with port 587, TLS with port 465.`;
    case 'auth':
      return err.code && err.code >= 500
        ? `${input.host} refused the user name or password. Copy them again from your provider's console; for most providers the password is an API key or SMTP password, not your account password.`
        : `The login to ${input.host} did not complete. ${err.code ? 'The server asked to try again later.' : err.message}`;
    default:
      return err.message;
  }
}
