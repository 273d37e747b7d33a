import fs from 'node:fs';
import { presetById, presetSettings, SMARTHOST_PRESETS } from '../../shared/domain/presets.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { DkimRecord } from '../dkim/dkim-service.ts';
import { isDkimAlgorithm } from '../dkim/keys.ts';
import type { Engine } from '../engine/engine.ts';
import { queryDeliveryLog } from '../queue/delivery-log.ts';
import type { CliOptions } from './main.ts';
import { type Out, print, usage } from './output.ts';

// CLI adapters for delivery: the log, retry now, DKIM keys, smarthost presets.

const time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

export function log(engine: Engine, out: Out, rest: string[], opts: CliOptions): number {
  if (rest.length) usage('Use: mailroom log [--message ID] [--recipient ADDRESS] [--limit N]');
  const limit = opts.limit === undefined ? 100 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) usage('--limit takes a whole number of at least 1.');
  const entries = queryDeliveryLog(engine.db, { message: opts.message, recipient: opts.recipient, limit });
  if (out.json) {
    print(out, { deliveries: entries }, '');
    return 0;
  }
  if (!entries.length) {
    print(out, null, opts.message || opts.recipient ? 'No deliveries match.' : 'Nothing has been queued yet.');
    return 0;
  }
  const lines: string[] = [];
  for (const e of entries) {
    const next = e.nextAttemptAt ? `, next attempt ${time(e.nextAttemptAt)}` : '';
    lines.push(
      `#${e.id} ${e.recipient}  ${e.status.toUpperCase()}  (message ${e.queueId}${e.subject ? ` "${e.subject}"` : ''}, from <${e.mailFrom}>, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}${next})`,
    );
    for (const ev of e.events) {
      const where = [ev.route, ev.remoteHost, ev.tls === null ? null : ev.tls ? 'TLS' : 'no TLS']
        .filter(Boolean)
        .join(', ');
      const reply = ev.response ? ` "${ev.response.replace(/\s+/g, ' ').slice(0, 300)}"` : '';
      lines.push(
        `    ${time(ev.at)}  ${ev.kind}${where ? ` [${where}]` : ''}${reply}${ev.detail ? ` ${ev.detail}` : ''}`,
      );
    }
  }
  print(out, null, lines.join('\n'));
  return 0;
}

export function retry(engine: Engine, out: Out, rest: string[], opts: CliOptions): number {
  const now = Date.now();
  let n: number;
  let what: string;
  if (rest.length === 1 && !opts.route && !opts.all) {
    const id = Number(rest[0]);
    if (!Number.isInteger(id) || id < 1)
      usage(`"${rest[0]}" is not a delivery number; "mailroom log" shows them (#123).`);
    n = engine.queue.retryNow({ deliveryId: id }, now);
    if (n === 0) {
      throw new MailroomError(
        'NOT_FOUND',
        `Delivery #${id} is not waiting for a retry (it may be delivered, bounced, or being sent now). "mailroom log" shows its state.`,
      );
    }
    what = `delivery #${id}`;
  } else if (rest.length === 0 && opts.route && !opts.all) {
    if (opts.route !== 'direct' && opts.route !== 'smarthost') usage('--route is "direct" or "smarthost".');
    const resumed = engine.pauses.resume(opts.route);
    n = engine.queue.retryNow({ route: opts.route }, now);
    what = `the ${opts.route} route${resumed ? ' (its pause was lifted)' : ''}`;
  } else if (rest.length === 0 && opts.all && !opts.route) {
    n = engine.queue.retryNow({ all: true }, now);
    what = 'everything waiting';
  } else {
    return usage('Use: mailroom retry DELIVERY | retry --route direct|smarthost | retry --all');
  }
  engine.poke();
  print(out, { retried: n }, `Retrying ${what} now: ${n} deliver${n === 1 ? 'y' : 'ies'}.`);
  return 0;
}

function recordText(r: DkimRecord): string {
  return [
    `Add this DNS record for ${r.domain} (selector ${r.selector}, ${r.algorithm}):`,
    '',
    `  Type:  TXT`,
    `  Name:  ${r.name}`,
    `  Value: ${r.value}`,
    '',
    'If your DNS provider wants the value in quoted pieces of at most 255 characters:',
    `  ${r.strings.map((s) => `"${s}"`).join(' ')}`,
  ].join('\n');
}

const recordJson = (r: DkimRecord) => ({
  domain: r.domain,
  selector: r.selector,
  algorithm: r.algorithm,
  name: r.name,
  value: r.value,
});

export async function dkim(
  engine: Engine,
  out: Out,
  sub: string | undefined,
  rest: string[],
  opts: CliOptions,
): Promise<number> {
  if (sub === 'generate' && rest.length === 1) {
    const algorithm = opts.algorithm ?? 'rsa-2048';
    if (!isDkimAlgorithm(algorithm)) usage(`--algorithm is "rsa-2048" (the default) or "ed25519", not "${algorithm}".`);
    const r = await engine.dkim.generate(rest[0] as string, { selector: opts.selector, algorithm });
    // The record is printed below: from now, its absence reads "waiting for DNS" for a while.
    engine.dns.markShown(r.domain, ['dkim']);
    print(
      out,
      recordJson(r),
      `${recordText(r)}\n\nThe private key is in the ${engine.secrets.label}; mail from ${r.domain} is signed from now on.`,
    );
    return 0;
  }
  if (sub === 'import' && rest.length === 1) {
    if (!opts.selector || !opts.key) usage('Use: mailroom dkim import DOMAIN --selector S --key FILE');
    let pem: string;
    try {
      pem = fs.readFileSync(opts.key, 'utf8');
    } catch (err) {
      throw new MailroomError('DKIM_KEY', `Could not read ${opts.key}: ${(err as Error).message}.`);
    }
    const r = await engine.dkim.import(rest[0] as string, opts.selector, pem);
    engine.dns.markShown(r.domain, ['dkim']);
    print(
      out,
      recordJson(r),
      `${recordText(r)}\n\nThe key was imported into the ${engine.secrets.label}; you may delete ${opts.key}.`,
    );
    return 0;
  }
  if (sub === 'list' && rest.length === 0) {
    const keys = engine.dkim.list();
    const missing = engine.dkim.domainsWithoutKey();
    print(
      out,
      { keys: keys.map(recordJson), unsignedDomains: missing },
      [
        ...keys.map((k) => `${k.domain}  selector ${k.selector}  ${k.algorithm}  (${k.name})`),
        ...(keys.length ? [] : ['No DKIM keys yet.']),
        ...missing.map((d) => `${d}: no key, mail goes out unsigned. Run: mailroom dkim generate ${d}`),
      ].join('\n'),
    );
    return 0;
  }
  if (sub === 'show' && rest.length === 1 && opts.selector) {
    const r = engine.dkim.record(rest[0] as string, opts.selector);
    print(out, recordJson(r), recordText(r));
    return 0;
  }
  if (sub === 'remove' && rest.length === 1 && opts.selector) {
    await engine.dkim.remove(rest[0] as string, opts.selector);
    print(
      out,
      { removed: true },
      `Removed the key ${opts.selector} for ${rest[0]}. Remove its DNS record too once no mail signed with it is in flight.`,
    );
    return 0;
  }
  return usage(
    'Use: mailroom dkim generate DOMAIN [--selector S] [--algorithm rsa-2048|ed25519] | dkim import DOMAIN --selector S --key FILE | dkim list | dkim show DOMAIN --selector S | dkim remove DOMAIN --selector S',
  );
}

export function smarthost(engine: Engine, out: Out, sub: string | undefined, rest: string[], opts: CliOptions): number {
  if (sub === 'presets' && rest.length === 0) {
    print(
      out,
      SMARTHOST_PRESETS,
      SMARTHOST_PRESETS.map(
        (p) =>
          `${p.id.padEnd(18)} ${p.name}: ${p.hosts.map((h) => (h.region ? `${h.region}=${h.host}` : h.host)).join(', ')} port ${p.port}`,
      ).join('\n'),
    );
    return 0;
  }
  if (sub === 'use' && rest.length === 1) {
    const values = presetSettings(rest[0] as string, opts.region);
    const preset = presetById(rest[0] as string) as NonNullable<ReturnType<typeof presetById>>;
    // Validate every value before storing any, so a refused one leaves the settings as they were.
    // A user name another provider fixed (SendGrid's "apikey") is wrong for this one.
    const current = engine.settings.get('smarthost.username');
    const fixedElsewhere = SMARTHOST_PRESETS.some((p) => 'fixed' in p.username && p.username.fixed === current);
    engine.settings.setMany({
      ...(fixedElsewhere ? { 'smarthost.username': '' } : {}),
      ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
      'delivery.route': 'smarthost',
    });
    const user =
      'hint' in preset.username
        ? `\nSet your user name: mailroom settings set smarthost.username NAME  (${preset.username.hint})`
        : '';
    print(
      out,
      { route: 'smarthost', settings: values },
      `Mail now goes through ${preset.name} (${values['smarthost.host']}:${values['smarthost.port']}).${user}\nSet the password: mailroom secret set smarthost.password  (${preset.passwordHint})`,
    );
    return 0;
  }
  return usage('Use: mailroom smarthost presets | smarthost use PRESET [--region REGION]');
}
