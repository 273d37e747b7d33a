import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryLogEntry } from '../../src/main/queue/delivery-log.ts';
import { startAiosmtpd } from '../helpers/aiosmtpd.ts';
import { logFor, message, sendRaw, settled } from '../helpers/delivery.ts';
import { verifyDkim } from '../helpers/dkim-verify.ts';
import { type DnsServer, type DnsZone, startDnsServer } from '../helpers/dns-server.ts';
import { type RunningRelay, readStore, startRelay, tempDir } from '../helpers/engine.ts';
import { type Sink, startSink, waitFor } from '../helpers/smtp-sink.ts';
import { startStarttlsBreaker } from '../helpers/starttls-breaker.ts';
import { selfSignedCert } from '../helpers/tls-cert.ts';

// Direct delivery: the engine looks up the recipient domain's MX hosts in a real DNS
// server on loopback and talks SMTP to them. Every MX name points at a loopback address;
// all MX hosts are dialled on delivery.mxPort, where the sink listens on 127.0.0.1 only.
// 127.0.0.2 is loopback too, but nothing listens there: connecting to it is refused.

let relay: RunningRelay | null = null;
let dns: DnsServer | null = null;
const sinks: Sink[] = [];
afterEach(async () => {
  await relay?.stop();
  relay = null;
  for (const s of sinks.splice(0)) await s.close();
  await dns?.close();
  dns = null;
});

async function sink(opts: Parameters<typeof startSink>[0] = {}): Promise<Sink> {
  const s = await startSink(opts);
  sinks.push(s);
  return s;
}

/** The sender's own domain: bounce reports to news@example.com go to the sink too. */
const SENDER_ZONE: DnsZone = {
  'example.com': { MX: [{ exchange: 'mx.example.com', priority: 10 }] },
  'mx.example.com': { A: ['127.0.0.1'] },
};

/** A domain whose one MX host is the sink. */
function toSink(domain: string): DnsZone {
  return {
    [domain]: { MX: [{ exchange: `mx.${domain}`, priority: 10 }] },
    [`mx.${domain}`]: { A: ['127.0.0.1'] },
  };
}

/**
 * A loopback DNS server with `zone` (plus example.com), and an engine on the direct
 * route that asks only that server and dials MX hosts on the sink's port. The DNS
 * server is in the settings before the engine starts, and sending is turned on last.
 */
async function startDirect(zone: DnsZone, mxPort: number, settings: Record<string, string> = {}) {
  dns = await startDnsServer({ ...SENDER_ZONE, ...zone });
  relay = await startRelay({
    domains: ['example.com'],
    settings: {
      'delivery.route': 'direct',
      'delivery.dnsServers': dns.address,
      'delivery.mxPort': String(mxPort),
      'retry.schedule': '1s',
      'delivery.leaseSeconds': '5',
      'delivery.replyTimeoutSeconds': '3',
      ...settings,
    },
  });
  expect(relay.engine.settings.get('delivery.dnsServers')).toBe(dns.address);
  relay.engine.settings.set('delivery.paused', false);
  relay.engine.poke();
  return { relay, dns };
}

function lastEvent(d: DeliveryLogEntry, kind: string) {
  const e = d.events.filter((x) => x.kind === kind).at(-1);
  if (!e) throw new Error(`no ${kind} event for ${d.recipient}: ${JSON.stringify(d.events)}`);
  return e;
}

function entry(log: DeliveryLogEntry[], recipient: string): DeliveryLogEntry {
  const d = log.find((x) => x.recipient === recipient);
  if (!d) throw new Error(`no delivery to ${recipient}`);
  return d;
}

describe('direct delivery to MX hosts', () => {
  it('delivers to the preferred MX (lowest number) when it answers', async () => {
    const s = await sink();
    await startDirect(
      {
        // Listed worst first, so the order comes from the priorities, not the answer.
        'prio.test': {
          MX: [
            { exchange: 'mx3.prio.test', priority: 30 },
            { exchange: 'mx2.prio.test', priority: 20 },
            { exchange: 'mx1.prio.test', priority: 10 },
          ],
        },
        'mx1.prio.test': { A: ['127.0.0.1'] },
        'mx2.prio.test': { A: ['127.0.0.1'] },
        'mx3.prio.test': { A: ['127.0.0.1'] },
      },
      s.port,
    );
    await sendRaw(relay!, 'news@example.com', ['a@prio.test'], message({ to: 'a@prio.test' }));
    const [d] = await settled(relay!, ['delivered']);
    expect(d!.events.map((e) => e.kind)).toEqual(['queued', 'delivered']);
    const ev = lastEvent(d!, 'delivered');
    expect(ev.route).toBe('direct');
    expect(ev.remoteHost).toBe('mx1.prio.test[127.0.0.1]');
    expect(ev.code).toBe(250);
    expect(s.messages.map((m) => m.to)).toEqual([['a@prio.test']]);
    expect(s.connections).toBe(1);
    // The lookups went to the loopback server.
    expect(dns!.queries.some((q) => q.name === 'prio.test' && q.type === 'MX')).toBe(true);
  });

  it('falls back to the next MX when the preferred one refuses connections', async () => {
    const s = await sink();
    await startDirect(
      {
        'fallback.test': {
          MX: [
            { exchange: 'mx2.fallback.test', priority: 20 },
            { exchange: 'mx1.fallback.test', priority: 10 },
          ],
        },
        'mx1.fallback.test': { A: ['127.0.0.2'] }, // nothing listens there: refused
        'mx2.fallback.test': { A: ['127.0.0.1'] },
      },
      s.port,
    );
    await sendRaw(relay!, 'news@example.com', ['b@fallback.test'], message({ to: 'b@fallback.test' }));
    const [d] = await settled(relay!, ['delivered']);
    // One attempt: the refused MX is not a failed attempt of its own.
    expect(d!.attempts).toBe(1);
    expect(d!.events.map((e) => e.kind)).toEqual(['queued', 'delivered']);
    expect(lastEvent(d!, 'delivered').remoteHost).toBe('mx2.fallback.test[127.0.0.1]');
    expect(s.messages.map((m) => m.to)).toEqual([['b@fallback.test']]);
  });

  it('with no MX records, delivers to the domain itself (implicit MX from its A record)', async () => {
    const s = await sink();
    await startDirect({ 'implicit.test': { A: ['127.0.0.1'] } }, s.port);
    await sendRaw(relay!, 'news@example.com', ['c@implicit.test'], message({ to: 'c@implicit.test' }));
    const [d] = await settled(relay!, ['delivered']);
    expect(lastEvent(d!, 'delivered').remoteHost).toBe('implicit.test[127.0.0.1]');
    expect(s.messages.map((m) => m.to)).toEqual([['c@implicit.test']]);
    expect(dns!.queries.some((q) => q.name === 'implicit.test' && q.type === 'MX')).toBe(true);
  });

  it('bounces a domain with a null MX (dns) and sends the sender a report from <>', async () => {
    const s = await sink();
    await startDirect(
      // An A record too: a null MX means "no mail", even though an address exists.
      { 'nullmx.test': { MX: [{ exchange: '.', priority: 0 }], A: ['127.0.0.1'] } },
      s.port,
    );
    await sendRaw(relay!, 'news@example.com', ['d@nullmx.test'], message({ to: 'd@nullmx.test', subject: 'Offer' }));
    const dsn = await waitFor(() => s.messages.find((m) => m.from === ''), 20_000, 'the bounce report');
    expect(dsn.to).toEqual(['news@example.com']);
    const text = dsn.data.toString();
    expect(text).toMatch(/^Final-Recipient: rfc822; ?d@nullmx\.test/m);
    expect(text).toMatch(/^Action: failed/m);
    expect(text).toMatch(/null MX/);
    const log = await settled(relay!);
    const d = entry(log, 'd@nullmx.test');
    expect(d.status).toBe('bounced');
    expect(d.category).toBe('dns');
    expect(lastEvent(d, 'bounced').detail).toMatch(/null MX/);
    // Only the report reached a mail server; the message itself was never sent.
    expect(s.messages).toHaveLength(1);
    const report = log.find((x) => x.source === 'bounce')!;
    expect(report.recipient).toBe('news@example.com');
    expect(report.status).toBe('delivered');
    expect(lastEvent(report, 'delivered').remoteHost).toBe('mx.example.com[127.0.0.1]');
  });

  it('bounces a recipient the MX refuses; the report gives Remote-MTA as the MX name, its address only in the text', async () => {
    const s = await sink({
      onRcpt: (addr) => (addr === 'gone@refuse.test' ? { code: 550, message: '5.1.1 No such user here' } : null),
    });
    await startDirect(toSink('refuse.test'), s.port);
    await sendRaw(relay!, 'news@example.com', ['gone@refuse.test'], message({ to: 'gone@refuse.test' }));
    const dsn = await waitFor(() => s.messages.find((m) => m.from === ''), 20_000, 'the bounce report');
    const text = dsn.data.toString();
    expect(text).toMatch(/^Remote-MTA: dns; mx\.refuse\.test\r?$/m);
    expect(text).toMatch(/^Diagnostic-Code: smtp; 550 5\.1\.1 No such user here/m);
    expect(text).toContain('The receiving server mx.refuse.test[127.0.0.1] replied:');
    const d = entry(await settled(relay!), 'gone@refuse.test');
    expect(d.status).toBe('bounced');
    expect(lastEvent(d, 'bounced').remoteHost).toBe('mx.refuse.test[127.0.0.1]');
  });

  it('bounces a domain that does not exist (NXDOMAIN), category dns', async () => {
    const s = await sink();
    await startDirect({}, s.port);
    await sendRaw(relay!, 'news@example.com', ['e@nowhere.test'], message({ to: 'e@nowhere.test' }));
    const log = await settled(relay!);
    const d = entry(log, 'e@nowhere.test');
    expect(d.status).toBe('bounced');
    expect(d.category).toBe('dns');
    expect(d.attempts).toBe(1);
    expect(lastEvent(d, 'bounced').detail).toMatch(/nowhere\.test does not exist/);
    expect(dns!.queries.some((q) => q.name === 'nowhere.test')).toBe(true);
    expect(s.messages.filter((m) => m.from !== '')).toHaveLength(0);
  });

  it('defers on SERVFAIL (dns), never bounces it, and delivers once DNS answers again', async () => {
    const s = await sink();
    const { dns: server } = await startDirect({ 'flaky.test': { behaviour: 'servfail' } }, s.port);
    await sendRaw(relay!, 'news@example.com', ['f@flaky.test'], message({ to: 'f@flaky.test' }));
    const deferred = await waitFor(
      () => logFor(relay!, 'f@flaky.test').find((d) => d.status === 'deferred'),
      15_000,
      'a deferral',
    );
    expect(deferred.category).toBe('dns');
    expect(lastEvent(deferred, 'deferred').detail).toMatch(/SERVFAIL/);
    expect(s.connections).toBe(0);

    server.setZone({ ...SENDER_ZONE, ...toSink('flaky.test') });
    const [d] = await settled(relay!, ['delivered'], 20_000);
    const kinds = d!.events.map((e) => e.kind);
    expect(kinds[0]).toBe('queued');
    expect(kinds.at(-1)).toBe('delivered');
    expect(kinds.slice(1, -1).length).toBeGreaterThan(0);
    expect(kinds.slice(1, -1).every((k) => k === 'deferred')).toBe(true);
    expect(lastEvent(d!, 'delivered').remoteHost).toBe('mx.flaky.test[127.0.0.1]');
    expect(s.messages.map((m) => m.to)).toEqual([['f@flaky.test']]);
  });

  describe('opportunistic STARTTLS', () => {
    const certDir = tempDir('mailroom-mx-cert-');
    let tls: { key: string; cert: string };
    beforeAll(async () => {
      const { key, cert } = await selfSignedCert(certDir, 'mx.example.net');
      tls = { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
    });
    afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }));

    it('uses STARTTLS when the MX offers it, taking a self-signed certificate for another name', async () => {
      const s = await sink({ tls });
      await startDirect(toSink('tls.test'), s.port);
      await sendRaw(relay!, 'news@example.com', ['g@tls.test'], message({ to: 'g@tls.test' }));
      const [d] = await settled(relay!, ['delivered']);
      const ev = lastEvent(d!, 'delivered');
      expect(ev.tls).toBe(true);
      expect(ev.detail).toMatch(/\(TLS\)/);
      expect(s.messages[0]!.tls).toBe(true);
    });

    it('retries the same MX once in plain text when its STARTTLS handshake fails (a server that speaks only TLS 1.0)', async () => {
      // Node refuses TLS below 1.2, as current OpenSSL does: the handshake fails with a
      // protocol alert, the way it does against a dated mail server.
      const s = await sink({ tls, tlsOptions: { minVersion: 'TLSv1', maxVersion: 'TLSv1' } });
      await startDirect(toSink('tls10.test'), s.port);
      await sendRaw(relay!, 'news@example.com', ['k@tls10.test'], message({ to: 'k@tls10.test' }));
      const [d] = await settled(relay!, ['delivered']);
      expect(d!.attempts).toBe(1);
      expect(d!.events.map((e) => e.kind)).toEqual(['queued', 'delivered']);
      const ev = lastEvent(d!, 'delivered');
      expect(ev.tls).toBe(false);
      expect(ev.remoteHost).toBe('mx.tls10.test[127.0.0.1]');
      expect(ev.detail).toMatch(
        /^Delivered to mx\.tls10\.test\[127\.0\.0\.1\] \(no TLS: STARTTLS failed \(.*protocol version.*\), so Mailroom connected again without TLS/,
      );
      // One connection that failed at TLS, one in plain text that delivered.
      expect(s.connections).toBe(2);
      expect(s.messages.map((m) => [m.to, m.tls])).toEqual([[['k@tls10.test'], false]]);
    });

    it('retries in plain text when the server answers 220 to STARTTLS and then sends garbage', async () => {
      const s = await sink({ tls });
      const breaker = await startStarttlsBreaker({ host: '127.0.0.1', port: s.port });
      try {
        await startDirect(toSink('garbage.test'), breaker.port);
        await sendRaw(relay!, 'news@example.com', ['l@garbage.test'], message({ to: 'l@garbage.test' }));
        const [d] = await settled(relay!, ['delivered']);
        const ev = lastEvent(d!, 'delivered');
        expect(ev.tls).toBe(false);
        expect(ev.detail).toMatch(/\(no TLS: STARTTLS failed \(.*\), so Mailroom connected again without TLS/);
        expect(breaker.broken).toBe(1);
        expect(breaker.connections).toBe(2);
        expect(s.messages.map((m) => m.tls)).toEqual([false]);
      } finally {
        await relay?.stop();
        relay = null;
        await breaker.close();
      }
    });

    it('retries in plain text when the server refuses the session right after the TLS handshake', async () => {
      const s = await sink({ tls, onSecure: () => ({ code: 554, message: '5.7.0 TLS session refused' }) });
      await startDirect(toSink('aftertls.test'), s.port);
      await sendRaw(relay!, 'news@example.com', ['m@aftertls.test'], message({ to: 'm@aftertls.test' }));
      const [d] = await settled(relay!, ['delivered']);
      const ev = lastEvent(d!, 'delivered');
      expect(ev.tls).toBe(false);
      expect(ev.detail).toMatch(/\(no TLS: .*connected again without TLS/);
      expect(s.connections).toBe(2);
    });

    it('does not fall back when the TLS session works and the server refuses the recipient over it', async () => {
      const s = await sink({
        tls,
        onRcpt: (addr) => (addr === 'n@tlsrefuse.test' ? { code: 550, message: '5.1.1 No such user' } : null),
      });
      await startDirect(toSink('tlsrefuse.test'), s.port);
      await sendRaw(relay!, 'news@example.com', ['n@tlsrefuse.test'], message({ to: 'n@tlsrefuse.test' }));
      const log = await settled(relay!);
      const d = entry(log, 'n@tlsrefuse.test');
      expect(d.status).toBe('bounced');
      const ev = lastEvent(d, 'bounced');
      expect(ev.tls).toBe(true);
      expect(ev.code).toBe(550);
      // The report to the sender is one more connection; the refused recipient was tried once, over TLS.
      await waitFor(() => s.messages.find((m) => m.from === ''), 20_000, 'the bounce report');
      expect(s.messages.every((m) => m.tls)).toBe(true);
      expect(s.connections).toBe(2);
    });

    it('tries a host whose TLS and plain text both fail only twice in the attempt, then the next MX', async () => {
      const s = await sink({ tls });
      // The broken MX listens on another loopback address, at the port every MX is dialled on.
      const broken = await startStarttlsBreaker(
        { host: '127.0.0.1', port: s.port },
        { host: '127.0.0.3', port: s.port, refuseAfter: 1 },
      );
      try {
        await startDirect(
          {
            'twice.test': {
              MX: [
                { exchange: 'mx1.twice.test', priority: 10 },
                { exchange: 'mx2.twice.test', priority: 20 },
              ],
            },
            'mx1.twice.test': { A: ['127.0.0.3'] },
            'mx2.twice.test': { A: ['127.0.0.1'] },
          },
          s.port,
        );
        await sendRaw(relay!, 'news@example.com', ['o@twice.test'], message({ to: 'o@twice.test' }));
        const [d] = await settled(relay!, ['delivered']);
        expect(d!.attempts).toBe(1);
        const ev = lastEvent(d!, 'delivered');
        expect(ev.remoteHost).toBe('mx2.twice.test[127.0.0.1]');
        expect(ev.tls).toBe(true);
        // mx1: once with STARTTLS (broken), once in plain text (refused with 421), never a third time.
        expect(broken.broken).toBe(1);
        expect(broken.connections).toBe(2);
      } finally {
        await relay?.stop();
        relay = null;
        await broken.close();
      }
    });

    it('defers, saying both tries failed, when the only MX fails with TLS and then in plain text', async () => {
      const s = await sink({ tls });
      const broken = await startStarttlsBreaker({ host: '127.0.0.1', port: s.port }, { refuseAfter: 1 });
      try {
        await startDirect(toSink('bothfail.test'), broken.port, { 'retry.schedule': '1h' });
        await sendRaw(relay!, 'news@example.com', ['p@bothfail.test'], message({ to: 'p@bothfail.test' }));
        const [d] = await settled(relay!, ['deferred']);
        const ev = lastEvent(d!, 'deferred');
        expect(ev.code).toBe(421);
        expect(ev.detail).toMatch(/\(Tried in plain text because STARTTLS failed \(.*\)\.\)$/);
        expect(broken.connections).toBe(2);
      } finally {
        await relay?.stop();
        relay = null;
        await broken.close();
      }
    });

    it('sends in plain text to an MX without STARTTLS', async () => {
      const s = await sink();
      await startDirect(toSink('plain.test'), s.port);
      await sendRaw(relay!, 'news@example.com', ['h@plain.test'], message({ to: 'h@plain.test' }));
      const [d] = await settled(relay!, ['delivered']);
      const ev = lastEvent(d!, 'delivered');
      expect(ev.tls).toBe(false);
      expect(ev.detail).toMatch(/\(no TLS\)/);
      expect(s.messages[0]!.tls).toBe(false);
    });
  });

  it('delivers quoted local parts ("a b", "a@b") as they are to an MX that reads them (aiosmtpd)', async () => {
    const mx = await startAiosmtpd();
    try {
      await startDirect(toSink('quoted.test'), mx.port);
      const to = ['"a b"@quoted.test', '"a@b"@quoted.test'];
      await sendRaw(relay!, 'news@example.com', to, message({ to: 'undisclosed-recipients:;' }));
      const log = await settled(relay!, ['delivered']);
      expect(log.map((d) => d.recipient).sort()).toEqual(['"a b"@quoted.test', '"a@b"@quoted.test']);
      // The domain is what follows the last @, so both went to quoted.test's MX.
      expect(readStore(relay!.dir).deliveries.map((d) => d.domain)).toEqual(['quoted.test', 'quoted.test']);
      for (const d of log) expect(lastEvent(d, 'delivered').remoteHost).toBe('mx.quoted.test[127.0.0.1]');
      // aiosmtpd parsed RCPT TO:<"a b"@quoted.test> with Python's RFC 5322 parser and kept the quotes.
      expect(mx.messages.map((m) => [m.from, [...m.to].sort()])).toEqual([
        ['news@example.com', ['"a b"@quoted.test', '"a@b"@quoted.test']],
      ]);
    } finally {
      await relay?.stop();
      relay = null;
      await mx.close();
    }
  });

  it('sends recipients at one domain in one transaction, and each domain to its own MX', async () => {
    const s = await sink();
    await startDirect({ ...toSink('multi.test'), ...toSink('other.test') }, s.port);
    const to = ['a@multi.test', 'b@multi.test', 'c@multi.test', 'x@other.test'];
    await sendRaw(relay!, 'news@example.com', to, message({ to: to.join(', ') }));
    const log = await settled(relay!, ['delivered']);
    expect(log).toHaveLength(4);
    expect(s.transactions).toBe(2);
    const byTo = s.messages.map((m) => [...m.to].sort()).sort((a, b) => b.length - a.length);
    expect(byTo).toEqual([['a@multi.test', 'b@multi.test', 'c@multi.test'], ['x@other.test']]);
    for (const r of ['a@multi.test', 'b@multi.test', 'c@multi.test'])
      expect(lastEvent(entry(log, r), 'delivered').remoteHost).toBe('mx.multi.test[127.0.0.1]');
    expect(lastEvent(entry(log, 'x@other.test'), 'delivered').remoteHost).toBe('mx.other.test[127.0.0.1]');
  });

  it('signs with the domain key so the message as received verifies (python3-dkim), bare LFs and 8-bit body too', async () => {
    const s = await sink();
    await startDirect(toSink('dkim.test'), s.port);
    const rec = await relay!.engine.dkim.generate('example.com');
    expect(rec.value).toMatch(/k=rsa/);
    await sendRaw(relay!, 'news@example.com', ['plain@dkim.test'], message({ to: 'plain@dkim.test' }));
    // Bare LFs and an 8-bit body, as a careless mail program might send them.
    const raw = message({ to: 'lf@dkim.test', body: 'Grüße aus dem Laden.\nZweite Zeile.\n' }).replace(/\r\n/g, '\n');
    await sendRaw(relay!, 'news@example.com', ['lf@dkim.test'], raw);
    const log = await settled(relay!, ['delivered']);
    expect(log).toHaveLength(2);
    expect(s.messages).toHaveLength(2);
    for (const d of log) expect(lastEvent(d, 'delivered').detail).toMatch(/signed by example\.com/);
    for (const m of s.messages) {
      expect(m.data.toString('latin1')).toMatch(/^DKIM-Signature:/m);
      expect(/[^\r]\n/.test(m.data.toString('latin1'))).toBe(false);
      const results = await verifyDkim(m.data, { [rec.name]: rec.value });
      expect(results.map((r) => [r.domain, r.selector, r.ok, r.error])).toEqual([
        ['example.com', rec.selector, true, undefined],
      ]);
    }
    const lf = s.messages.find((m) => m.to.includes('lf@dkim.test'))!;
    expect(lf.data.toString('utf8')).toMatch(/Grüße aus dem Laden\./);
  });

  it('bounces an SMTPUTF8 recipient for an MX without SMTPUTF8, without sending it, and delivers the rest', async () => {
    const rcpts: string[] = [];
    const s = await sink({
      hideSmtpUtf8: true,
      onRcpt: (address) => {
        rcpts.push(address);
        return null;
      },
    });
    await startDirect(toSink('utf8.test'), s.port);
    await sendRaw(
      relay!,
      'news@example.com',
      ['jürgen@utf8.test', 'plain@utf8.test'],
      // ASCII headers: only the envelope needs SMTPUTF8.
      message({ to: 'undisclosed-recipients:;' }),
    );
    const log = await settled(relay!);
    const intl = entry(log, 'jürgen@utf8.test');
    expect(intl.status).toBe('bounced');
    expect(lastEvent(intl, 'bounced').detail).toMatch(/SMTPUTF8/);
    expect(entry(log, 'plain@utf8.test').status).toBe('delivered');
    expect(rcpts.filter((r) => /[^\x00-\x7f]/.test(r))).toEqual([]);
    const sent = s.messages.filter((m) => m.from !== '');
    expect(sent.map((m) => m.to)).toEqual([['plain@utf8.test']]);
    // The sender hears about it.
    const dsn = await waitFor(() => s.messages.find((m) => m.from === ''), 20_000, 'the bounce report');
    expect(dsn.to).toEqual(['news@example.com']);
    const text = dsn.data.toString();
    expect(text).toMatch(/SMTPUTF8/);
    // RFC 6533: a non-ASCII address is reported as utf-8 with \x{..} escapes, so the report stays 7-bit.
    expect(text).toMatch(/^Final-Recipient: utf-8; ?j\\x\{FC\}rgen@utf8\.test/m);
    expect([...dsn.data].every((b) => b < 0x80)).toBe(true);
  });
});
