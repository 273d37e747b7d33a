import { describe, expect, it } from 'vitest';
import { startRelay } from '../helpers/engine.ts';
import { RawSmtp } from '../helpers/smtp-client.ts';

describe('relay shutdown', () => {
  it('finishes even when clients ignore its 421 and never hang up', async () => {
    const relay = await startRelay();
    // One session holds a transaction open, so the drain has to wait for it...
    const busy = await RawSmtp.connect(relay.port);
    await busy.expect(await busy.reply(), 220);
    await busy.login(relay.username, relay.password);
    await busy.expect(await busy.cmd('MAIL FROM:<news@example.com>'), 250);
    const started = Date.now();
    const stopping = relay.engine.stop(500);
    // ...and one arrives during the drain, gets 421, and stays connected.
    const late = await RawSmtp.connect(relay.port);
    expect((await late.reply())?.code).toBe(421);
    await stopping;
    expect(Date.now() - started).toBeLessThan(10_000);
    await busy.waitClosed(5000);
    await late.waitClosed(5000);
    await relay.stop();
  });
});
