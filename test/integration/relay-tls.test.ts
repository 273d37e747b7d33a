import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningRelay, readStore, startRelay, tempDir } from '../helpers/engine.ts';
import { swaks } from '../helpers/swaks.ts';
import { selfSignedCert } from '../helpers/tls-cert.ts';

describe('relay with a certificate', () => {
  let relay: RunningRelay | null = null;
  const certDir = tempDir('mailroom-cert-');
  afterAll(async () => {
    await relay?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('offers STARTTLS and accepts mail over it from swaks', async () => {
    const { key, cert } = await selfSignedCert(certDir, 'localhost');
    relay = await startRelay({ settings: { 'relay.tlsCert': cert, 'relay.tlsKey': key } });
    const stdout = await swaks(relay, {
      auth: 'LOGIN',
      from: 'owner@example.com',
      to: 'customer@example.org',
      extra: ['--tls'],
    });
    expect(stdout).toMatch(/STARTTLS/);
    expect(stdout).toMatch(/250 2\.0\.0 Ok: queued as/);
    const stored = readStore(relay.dir).messages;
    expect(stored).toHaveLength(1);
    expect(stored[0]?.body?.toString()).toMatch(/with ESMTPSA id/);
  });
});
