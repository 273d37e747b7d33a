import { formatBytes } from '../../shared/domain/backup.ts';
import type { StatusReport } from '../../shared/domain/delivery.ts';
import { isSecretName, SECRET_NAMES, SECRETS } from '../../shared/domain/secrets.ts';
import { MailroomError } from '../../shared/errors.ts';
import { explainStorageError } from '../engine/data-folder.ts';
import { Engine } from '../engine/engine.ts';
import { runningEngine } from '../engine/engine-lock.ts';
import { resolveDataDir } from '../engine/paths.ts';
import { ensureRelayCredentials } from '../relay/credentials.ts';
import { hostPort, mailProgramHost } from '../relay/relay-address.ts';
import { parseSecretStoreKind, validateSecretValue } from '../secrets/secret-store.ts';
import * as backups from './backup-commands.ts';
import * as delivery from './delivery-commands.ts';
import { dns } from './dns-commands.ts';
import * as imports from './import-commands.ts';
import type { CliOptions } from './main.ts';
import { type Out, print, usage } from './output.ts';

// Thin adapters: parse the words, call one engine service, print the result.

function secretStoreOf(opts: CliOptions) {
  return parseSecretStoreKind(opts['secret-store'] ?? process.env.MAILROOM_SECRET_STORE);
}

function openEngine(opts: CliOptions): Engine {
  return new Engine({ dataDir: resolveDataDir(opts['data-dir']), secretStore: secretStoreOf(opts) });
}

export async function runCommand(words: string[], opts: CliOptions): Promise<number> {
  const [command, sub, ...rest] = words;
  const out: Out = { json: Boolean(opts.json) };
  switch (command) {
    case 'serve':
      if (sub) usage(`"serve" takes no arguments (got "${sub}").`);
      return serve(opts, out);
    case 'status':
      if (sub) usage(`"status" takes no arguments (got "${sub}").`);
      return withEngine(opts, (engine) => status(engine, out));
    case 'settings':
      return withEngine(opts, (engine) => settings(engine, out, sub, rest));
    case 'secret':
      return withEngine(opts, (engine) => secret(engine, out, sub, rest));
    case 'relay':
      if (sub !== 'credentials' || rest.length) usage('Use: mailroom relay credentials [--rotate] [--show-password]');
      return withEngine(opts, (engine) => credentials(engine, out, opts));
    case 'domains':
      return withEngine(opts, (engine) => domains(engine, out, sub, rest));
    case 'dkim':
      return withEngine(opts, (engine) => delivery.dkim(engine, out, sub, rest, opts));
    case 'log':
      return withEngine(opts, (engine) => delivery.log(engine, out, sub ? [sub, ...rest] : rest, opts));
    case 'retry':
      return withEngine(opts, (engine) => delivery.retry(engine, out, sub ? [sub, ...rest] : rest, opts));
    case 'dns':
      return withEngine(opts, (engine) => dns(engine, out, sub, rest, opts));
    case 'smarthost':
      return withEngine(opts, (engine) => delivery.smarthost(engine, out, sub, rest, opts));
    case 'backup':
      return withEngine(opts, (engine) => backups.backup(engine, out, sub ? [sub, ...rest] : rest));
    case 'restore':
      // Into an empty or new folder: no engine may open it first.
      return backups.restore(resolveDataDir(opts['data-dir']), secretStoreOf(opts), out, sub ? [sub, ...rest] : rest);
    case 'contacts':
      if (sub === 'import') return withEngine(opts, (engine) => imports.contactsImport(engine, out, rest, opts));
      if (sub === 'imports') return withEngine(opts, (engine) => imports.importsList(engine, out));
      if (sub === 'undo-import') return withEngine(opts, (engine) => imports.undoLastImport(engine, out, rest));
      return usage(`Unknown command "contacts ${sub ?? ''}".`);
    case 'suppressions':
      if (sub === 'import') return withEngine(opts, (engine) => imports.suppressionsImport(engine, out, rest, opts));
      return usage(`Unknown command "suppressions ${sub ?? ''}".`);
    default:
      return usage(`Unknown command "${command}".`);
  }
}

async function withEngine(opts: CliOptions, fn: (engine: Engine) => Promise<number> | number): Promise<number> {
  const engine = openEngine(opts);
  try {
    return await fn(engine);
  } catch (err) {
    // Damage found only while reading (a corrupt page deep in the log) gets the same
    // sentence with the path and the fix as damage found when opening.
    throw explainStorageError(err, engine.paths);
  } finally {
    await engine.close();
  }
}

async function serve(opts: CliOptions, out: Out): Promise<number> {
  const engine = openEngine(opts);
  let address: Awaited<ReturnType<Engine['start']>>;
  try {
    address = await engine.start('serve');
  } catch (err) {
    await engine.close();
    throw explainStorageError(err, engine.paths);
  }
  const user = engine.settings.get('relay.username');
  const event = {
    event: 'listening',
    host: address.host,
    port: address.port,
    listening: address.listening,
    username: user,
    dataDir: engine.paths.dataDir,
  };
  // One JSON object per line, so scripts can read events as they come.
  process.stdout.write(
    out.json
      ? `${JSON.stringify(event)}\n`
      : `Mailroom relay listening on ${address.listening.map((h) => hostPort(h, address.port)).join(' and ')} (mail programs: server ${mailProgramHost(address)}, port ${address.port}, user ${user}; data folder ${engine.paths.dataDir}). Press Ctrl+C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`Received ${signal}: finishing messages in progress, then stopping.\n`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await engine.close();
  if (!out.json) process.stderr.write('Mailroom stopped.\n');
  return 0;
}

function loginBlockLine(b: NonNullable<StatusReport['relay']['loginBlock']>): string {
  const until = new Date(b.until).toLocaleTimeString();
  return b.active
    ? `REFUSED from ${b.client} until ${until}: someone is guessing the relay password (${b.failures} wrong passwords). A mail program with an old password does this too. If in doubt: mailroom relay credentials --rotate`
    : `were refused from ${b.client} until ${until} after ${b.failures} wrong passwords; accepted again now`;
}

async function status(engine: Engine, out: Out): Promise<number> {
  const s = engine.status();
  const size = await engine.dataSize();
  const counts = Object.entries(s.deliveries)
    .map(([k, v]) => `  ${k.padEnd(10)} ${v}`)
    .join('\n');
  print(
    out,
    { ...s, dataSize: size },
    [
      `Relay:            ${s.relay.address} (${s.relay.running ? `running, process ${s.relay.runningPid}; listening on ${s.relay.listening.map((h) => hostPort(h, s.relay.port)).join(' and ')}` : 'not running'})`,
      `Relay user:       ${s.relay.username ?? '(not created yet; it is made on first start)'}`,
      ...(s.relay.loginBlock ? [`Relay logins:     ${loginBlockLine(s.relay.loginBlock)}`] : []),
      `Sending domains:  ${s.sendingDomains.join(', ') || '(none: add one with "mailroom domains add example.com")'}`,
      `Secrets kept in:  ${s.secretStore}`,
      `Data folder:      ${s.dataDir}`,
      `Folder size:      ${formatBytes(size.total)} (database ${formatBytes(size.database)}, ${size.spoolFiles} large messages ${formatBytes(size.spool)})`,
      `Messages:         ${s.messages}`,
      `Sending route:    ${s.delivery.route}, to ${s.delivery.target}`,
      ...(s.delivery.dailyCap
        ? [`Daily limit:      ${s.delivery.dailyCap.sentToday} of ${s.delivery.dailyCap.cap} recipients used today`]
        : []),
      ...(s.delivery.waiting ? [`Waiting:          ${s.delivery.waiting}`] : []),
      ...s.delivery.unsignedDomains.map(
        (d) => `Unsigned:         ${d} has no DKIM key, so its mail is sent unsigned. Run: mailroom dkim generate ${d}`,
      ),
      'Deliveries:',
      counts,
    ].join('\n'),
  );
  return 0;
}

function settings(engine: Engine, out: Out, sub: string | undefined, rest: string[]): number {
  const svc = engine.settings;
  if (sub === 'list' && rest.length === 0) {
    const rows = svc.list();
    print(
      out,
      rows,
      rows.map((r) => `${r.key} = ${JSON.stringify(r.value)}${r.isDefault ? '  (default)' : ''}`).join('\n'),
    );
    return 0;
  }
  if (sub === 'get' && rest.length === 1) {
    const key = svc.requireKey(rest[0] as string);
    const value = svc.get(key);
    print(out, { key, value }, typeof value === 'string' ? value : JSON.stringify(value));
    return 0;
  }
  if (sub === 'set' && rest.length === 2) {
    const [key, text] = rest as [string, string];
    const value = svc.setFromText(key, text);
    const running = runningEngine(engine.paths);
    const note = running && key.startsWith('relay.') ? ' Restart Mailroom for the relay to use it.' : '';
    print(out, { key, value }, `${key} = ${JSON.stringify(value)}.${note}`);
    return 0;
  }
  return usage('Use: mailroom settings list | settings get KEY | settings set KEY VALUE');
}

async function secret(engine: Engine, out: Out, sub: string | undefined, rest: string[]): Promise<number> {
  if (sub === 'list' && rest.length === 0) {
    const rows = [];
    for (const name of SECRET_NAMES) {
      rows.push({
        name,
        configured: (await engine.secrets.get(name)) !== null,
        description: SECRETS[name].description,
      });
    }
    print(
      out,
      { store: engine.secrets.label, secrets: rows },
      `Secrets kept in: ${engine.secrets.label}\n${rows.map((r) => `${r.name}: ${r.configured ? 'configured' : 'not set'}`).join('\n')}`,
    );
    return 0;
  }
  if (sub === 'set' && rest.length === 1) {
    const name = rest[0] as string;
    if (!isSecretName(name)) {
      throw new MailroomError(
        'UNKNOWN_SECRET',
        `There is no secret "${name}". Known secrets: ${SECRET_NAMES.join(', ')}.`,
      );
    }
    if (process.stdin.isTTY) process.stderr.write(`Type the value for ${name} (it is not shown) and press Enter:\n`);
    const value = validateSecretValue(name, await readSecretFromStdin());
    await engine.secrets.set(name, value);
    print(
      out,
      { name, configured: true, store: engine.secrets.label },
      `${name} saved in the ${engine.secrets.label}.`,
    );
    return 0;
  }
  return usage('Use: mailroom secret set NAME (value on standard input) | secret list');
}

async function readSecretFromStdin(): Promise<string> {
  if (process.stdin.isTTY) return readHiddenLine(process.stdin);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // A single trailing newline (from echo or a file) is not part of the secret.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** One line from the terminal without echoing it; Ctrl+C or Ctrl+D cancels. */
function readHiddenLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004')
          return finish(new MailroomError('VALIDATION', 'Cancelled; nothing was saved.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function credentials(engine: Engine, out: Out, opts: CliOptions): Promise<number> {
  const creds = await ensureRelayCredentials(engine.settings, engine.secrets, { rotate: Boolean(opts.rotate) });
  const s = engine.status();
  const show = Boolean(opts['show-password']);
  const data = {
    host: s.relay.host,
    port: s.relay.port,
    security: 'none (this computer only)',
    username: creds.username,
    ...(show ? { password: creds.password } : {}),
    created: creds.created,
    rotated: creds.rotated,
    store: engine.secrets.label,
  };
  const lines = [
    `Server:    ${s.relay.host}`,
    `Port:      ${s.relay.port}`,
    'Security:  none (the relay only listens on this computer)',
    `User name: ${creds.username}`,
    `Password:  ${show ? creds.password : '(hidden; add --show-password to print it)'}`,
  ];
  if (creds.created) lines.push('A new login was created.');
  if (creds.rotated) lines.push('The password was changed: update it in your mail programs.');
  print(out, data, lines.join('\n'));
  return 0;
}

function domains(engine: Engine, out: Out, sub: string | undefined, rest: string[]): number {
  const svc = engine.domains;
  if (sub === 'list' && rest.length === 0) {
    const list = svc.list();
    print(
      out,
      list,
      list.length ? list.join('\n') : 'No sending domains yet. Add one with: mailroom domains add example.com',
    );
    return 0;
  }
  if (sub === 'add' && rest.length === 1) {
    const domain = svc.add(rest[0] as string);
    print(out, { domain, added: true }, `Added ${domain}. The relay now accepts mail from addresses @${domain}.`);
    return 0;
  }
  if (sub === 'remove' && rest.length === 1) {
    const domain = svc.remove(rest[0] as string);
    print(out, { domain, removed: true }, `Removed ${domain}.`);
    return 0;
  }
  return usage('Use: mailroom domains list | domains add DOMAIN | domains remove DOMAIN');
}
