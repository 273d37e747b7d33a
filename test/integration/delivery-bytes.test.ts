import { afterEach, describe, expect, it } from 'vitest';
import { message, sendRaw, settled, startSmarthostEngine } from '../helpers/delivery.ts';
import { verifyDkim } from '../helpers/dkim-verify.ts';
import { type RunningRelay, readStore, storedBytes } from '../helpers/engine.ts';
import { type Sink, startSink } from '../helpers/smtp-sink.ts';

// What the next hop receives is the stored message exactly, with only the DKIM-Signature
// field in front when signed: the outbound path (normalising, dot-stuffing, DataStream)
// neither adds nor loses a byte. smtp-server at the sink removes the dot-stuffing again.

let relay: RunningRelay | null = null;
const sinks: Sink[] = [];
afterEach(async () => {
  await relay?.stop();
  relay = null;
  for (const s of sinks.splice(0)) await s.close();
});

/** Dots at line starts (also a lone dot line), long text, 8-bit text, no blank last line. */
function awkwardBody(): string {
  const lines: string[] = [];
  for (let i = 0; i < 900; i++) {
    lines.push(i % 7 === 0 ? `.${i} starts with a dot` : i % 11 === 0 ? '.' : `line ${i} Grüße ${'x'.repeat(i % 70)}`);
  }
  return `${lines.join('\r\n')}\r\n..double\r\n.`;
}

describe('bytes delivered', () => {
  for (const signed of [false, true]) {
    it(`are the stored message${signed ? ' behind the DKIM-Signature field' : ''}, byte for byte`, async () => {
      const s = await startSink();
      sinks.push(s);
      relay = await startSmarthostEngine(s.port);
      const key = signed ? await relay.engine.dkim.generate('example.com') : null;
      const raws = [message({ body: awkwardBody() }), message({ body: '.' }), message({ body: 'short\r\n.\r\n' })];
      for (const raw of raws) await sendRaw(relay, 'news@example.com', ['a@example.net'], raw);
      await settled(relay);
      const stored = readStore(relay.dir).messages.map((m) => storedBytes(relay?.dir as string, m));
      expect(s.messages).toHaveLength(raws.length);
      for (const [i, got] of s.messages.map((m) => m.data).entries()) {
        const want = stored[i] as Buffer;
        if (!signed) {
          expect(got.equals(want)).toBe(true);
          continue;
        }
        const text = got.toString('latin1');
        expect(text.startsWith('DKIM-Signature:')).toBe(true);
        // The field ends at the first line break not followed by folding whitespace.
        const end = /\r\n(?![ \t])/.exec(text) as RegExpExecArray;
        expect(got.subarray(end.index + 2).equals(want)).toBe(true);
        expect((await verifyDkim(got, { [key?.name as string]: key?.value as string }))[0]?.ok).toBe(true);
      }
    });
  }
});
