import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DkimSigner, readSignature, type SigningKey } from '../../src/main/dkim/sign.ts';
import { type TestSendStatus, testSendStatus } from '../../src/main/dns/test-send.ts';
import { cancelDeliveries } from '../../src/main/queue/log-actions.ts';
import { sendRelayTest } from '../../src/main/relay/send-test.ts';
import { logFor, startSmarthostEngine } from '../helpers/delivery.ts';
import type { RunningRelay } from '../helpers/engine.ts';
import { type Sink, type SinkOptions, startSink, waitFor } from '../helpers/smtp-sink.ts';

// The wizard's "send a test to yourself", end to end: the test message goes into the
// real relay the way the wizard sends it (sendRelayTest), the real dispatcher delivers
// it to a loopback smarthost and writes the delivery log (signed by the real DkimSigner),
// and testSendStatus reads that log back by queue id.

const DOMAIN = 'example.com';
const FROM = `me@${DOMAIN}`;
const TO = 'me@example.net';

let relay: RunningRelay | null = null;
let sink: Sink | null = null;
afterEach(async () => {
  await relay?.stop();
  relay = null;
  await sink?.close();
  sink = null;
});

/** An engine sending through a loopback smarthost; sending starts paused when asked. */
async function start(
  opts: { sink?: SinkOptions; paused?: boolean; settings?: Record<string, string> } = {},
): Promise<RunningRelay> {
  sink = await startSink(opts.sink);
  relay = await startSmarthostEngine(sink.port, {
    settings: { 'delivery.paused': opts.paused ? 'true' : 'false', ...opts.settings },
  });
  return relay;
}

/** Sends the wizard's test message through the relay; returns its queue id. */
async function sendTest(r: RunningRelay): Promise<string> {
  const address = r.engine.relayAddress();
  if (!address) throw new Error('the relay is not running');
  const sent = await sendRelayTest(address, FROM, TO, { settings: r.engine.settings, secrets: r.engine.secrets });
  expect(sent.reply).toMatch(/^250 /);
  expect(sent.queueId).toMatch(/\S/);
  return sent.queueId as string;
}

function statusWhen(r: RunningRelay, queueId: string, done: (s: TestSendStatus) => boolean): Promise<TestSendStatus> {
  return waitFor(
    () => {
      const s = testSendStatus(r.engine.db, queueId);
      return s && done(s) ? s : undefined;
    },
    20_000,
    `the test message ${queueId} to settle`,
  );
}

/** The last delivery-log line the dispatcher wrote for the test message. */
function lastDetail(r: RunningRelay): string {
  const [d] = logFor(r, TO);
  const detail = d?.events.at(-1)?.detail;
  if (!detail) throw new Error('no delivery log line for the test message');
  return detail;
}

/** A key pair made with node:crypto and handed to Mailroom as the user's own key. */
function ownKey(selector: string, type: 'rsa' | 'ed25519'): SigningKey & { pem: string } {
  const { privateKey } =
    type === 'rsa' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ed25519');
  return {
    domain: DOMAIN,
    selector,
    algorithm: type === 'rsa' ? 'rsa-2048' : 'ed25519',
    privateKey,
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

describe('the delivery-log sentence testSendStatus reads', () => {
  it('readSignature reads back what DkimSigner.description says, for one and for two selectors', () => {
    const rsa = ownKey('mr-2026.a', 'rsa');
    const ed = ownKey('mr2026e', 'ed25519');
    // Ed25519 given first: the signer still puts RSA first, and so does its description.
    const two = new DkimSigner([ed, rsa]);
    expect(readSignature(`Delivered to mx.example.net (TLS), signed by ${two.description}.`)).toEqual({
      domain: DOMAIN,
      selectors: ['mr-2026.a', 'mr2026e'],
    });
    const one = new DkimSigner([rsa]);
    expect(readSignature(`Delivered to mx.example.net (TLS), signed by ${one.description}.`)).toEqual({
      domain: DOMAIN,
      selectors: ['mr-2026.a'],
    });
    expect(readSignature(`Delivered to mx.example.net (TLS), unsigned: no DKIM key for ${DOMAIN}.`)).toBeNull();
  });
});

describe('testSendStatus, following the wizard’s test message', () => {
  it('an unknown queue id: null (the handler turns it into "not in the delivery log")', async () => {
    const r = await start({ paused: true });
    await sendTest(r);
    expect(testSendStatus(r.engine.db, 'NOSUCHQUEUEID')).toBeNull();
  });

  it('waiting while queued, then delivered and signed with the RSA and Ed25519 selectors', async () => {
    const r = await start({ paused: true });
    const rsa = ownKey('mr202611', 'rsa');
    const ed = ownKey('mr202611e', 'ed25519');
    await r.engine.dkim.import(DOMAIN, ed.selector, ed.pem);
    await r.engine.dkim.import(DOMAIN, rsa.selector, rsa.pem);
    const queueId = await sendTest(r);

    expect(testSendStatus(r.engine.db, queueId)).toEqual({
      state: 'waiting',
      message: 'On its way (queued).',
      signed: null,
    });

    r.engine.settings.set('delivery.paused', false);
    r.engine.poke();
    const s = await statusWhen(r, queueId, (x) => x.state !== 'waiting');

    // The log line is the dispatcher's, built from the signer's own description.
    const description = new DkimSigner([rsa, ed]).description;
    expect((await r.engine.dkim.signerFor(DOMAIN))?.description).toBe(description);
    expect(lastDetail(r)).toContain(`signed by ${description}`);

    expect(s).toEqual({
      state: 'delivered',
      message: `Delivered, signed by ${DOMAIN} with selectors mr202611 and mr202611e. Look for it in your inbox (and in junk, the first time).`,
      signed: { domain: DOMAIN, selectors: ['mr202611', 'mr202611e'] },
    });
    // What the wizard reports is what the message carried.
    const header = (sink?.messages[0]?.data.toString('latin1') ?? '').split('\r\n\r\n')[0] ?? '';
    const signatures = header
      .replace(/\r\n[ \t]+/g, ' ')
      .split('\r\n')
      .filter((line) => /^DKIM-Signature:/i.test(line));
    expect(signatures.map((line) => /[;\s]s=([^;\s]+)/.exec(line)?.[1])).toEqual(['mr202611', 'mr202611e']);
  });

  it('delivered and signed with a key Mailroom generated: one selector', async () => {
    const r = await start();
    const key = await r.engine.dkim.generate(DOMAIN);
    const queueId = await sendTest(r);
    const s = await statusWhen(r, queueId, (x) => x.state !== 'waiting');
    expect(lastDetail(r)).toContain(`signed by ${DOMAIN} (selector ${key.selector})`);
    expect(s.state).toBe('delivered');
    expect(s.signed).toEqual({ domain: DOMAIN, selectors: [key.selector] });
    expect(s.message).toMatch(new RegExp(`^Delivered, signed by example\\.com with selector ${key.selector}\\. `));
  });

  it('delivered without a DKIM key: delivered, not signed, and told to create the key', async () => {
    const r = await start();
    const queueId = await sendTest(r);
    const s = await statusWhen(r, queueId, (x) => x.state !== 'waiting');
    expect(lastDetail(r)).toMatch(/unsigned: no DKIM key for example\.com/);
    expect(s.state).toBe('delivered');
    expect(s.signed).toBeNull();
    expect(s.message).toBe(
      'Delivered, but not signed: Mailroom has no DKIM key for example.com. Create the DKIM key in the wizard first, then send the test again.',
    );
    expect(sink?.messages[0]?.data.toString('latin1')).not.toMatch(/^DKIM-Signature:/im);
  });

  it('deferred by the receiving server: still waiting, with what the last try said', async () => {
    const r = await start({
      sink: { onData: () => ({ code: 451, message: '4.7.1 Greylisted, please try again later' }) },
      // The retry must not come during the test: the delivery stays deferred.
      settings: { 'retry.schedule': '1h' },
    });
    const queueId = await sendTest(r);
    const s = await statusWhen(r, queueId, (x) => x.message.startsWith('On its way (deferred)'));
    expect(s.state).toBe('waiting');
    expect(s.signed).toBeNull();
    expect(s.message).toMatch(/^On its way \(deferred\)\. The last try said: .*Greylisted, please try again later\.$/);
  });

  it('connection dropped after the final dot (outcome unknown): still waiting, since Mailroom tries again', async () => {
    const r = await start({
      sink: { onData: () => 'drop' },
      settings: { 'retry.schedule': '1h', 'delivery.leaseSeconds': '3600' },
    });
    const queueId = await sendTest(r);
    await waitFor(() => logFor(r, TO)[0]?.status === 'unknown', 20_000, 'the delivery to be unknown');
    const s = testSendStatus(r.engine.db, queueId);
    expect(s).toEqual({
      state: 'waiting',
      message:
        'On its way: the last try ended before the receiving server confirmed the message. It may already be in your inbox; Mailroom will try again, so you may get it twice.',
      signed: null,
    });
  });

  it('bounced by the receiving server: failed, with the server’s answer', async () => {
    const r = await start({
      sink: {
        onData: (_n, m) => (m.to.includes(TO) ? { code: 550, message: '5.7.1 Message refused as spam' } : 'accept'),
      },
    });
    const queueId = await sendTest(r);
    const s = await statusWhen(r, queueId, (x) => x.state !== 'waiting');
    expect(s.state).toBe('failed');
    expect(s.signed).toBeNull();
    expect(s.message).toMatch(/^The test message was not delivered: .*Message refused as spam.*\.$/);
  });

  it('cancelled in the delivery log before it went out: failed, saying it was cancelled', async () => {
    const r = await start({ paused: true });
    const queueId = await sendTest(r);
    const [d] = logFor(r, TO);
    expect(cancelDeliveries(r.engine.db, [d?.id as number], Date.now()).changed).toBe(1);
    const s = testSendStatus(r.engine.db, queueId);
    expect(s?.state).toBe('failed');
    expect(s?.signed).toBeNull();
    expect(s?.message).toMatch(/^The test message was not delivered: Cancelled by you; it will not be sent\./);
  });
});
