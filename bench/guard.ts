// Relay guard benchmark: the figures issue 13 measured (parts 3 and 4), with the
// production timings (first pause 1 s, blocks of 5 minutes, 30 s to log in).
//
//   node bench/guard.ts            about a minute (it waits out one login deadline)
//   node bench/guard.ts --json
//
// 1. Guesses on a fresh connection each: the pause before each answer, until the block.
// 2. 20 parallel connections guessing: how many guesses get an answer before the block,
//    and how fast the refusals come after it.
// 3. The right password once blocked (must be refused), and the same over ::1.
// 4. 35 silent sockets with relay.maxClients 30: how long a real client takes to log in
//    and send a message.
// 5. 10 sockets sending NOOP every 5 s without logging in: how long until they are closed.
//
// Before (issue 13): guess 200 on a fresh connection took 1.0 s like the first, 20
// parallel connections made 12.9 guesses/s, the right password worked after 600
// failures, a real client got 421 within 2 ms behind 35 silent sockets, and a NOOP
// sender kept its place for relay.maxSessionSeconds (600 s).

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Engine } from '../src/main/engine/engine.ts';
import { silentLogger } from '../src/main/engine/log.ts';
import { tempDir } from '../test/helpers/engine.ts';
import { hasIpv6Loopback } from '../test/helpers/ipv6.ts';
import { RawSmtp, simpleMessage } from '../test/helpers/smtp-client.ts';

const { values: opts } = parseArgs({ options: { json: { type: 'boolean', default: false } } });

async function relay(settings: Record<string, string> = {}) {
  const dir = tempDir('mailroom-bench-guard-');
  const engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  engine.settings.set('relay.port', 0);
  engine.settings.set('delivery.paused', true);
  for (const [k, v] of Object.entries(settings)) engine.settings.setFromText(k, v);
  engine.domains.add('example.com');
  const { port } = await engine.start('serve');
  return {
    engine,
    port,
    user: engine.settings.get('relay.username'),
    password: (await engine.secrets.get('relay.password')) as string,
    async stop() {
      await engine.close(1000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const plain = (user: string, pass: string) => `AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString('base64')}`;

/** One guess on a fresh connection: the reply code and how long the AUTH took. */
async function guess(port: number, user: string, pass: string, host = '127.0.0.1') {
  const c = await RawSmtp.connect(port, host);
  try {
    const greeting = await c.reply();
    if (greeting?.code !== 220) return { code: greeting?.code ?? 0, ms: 0, atConnect: true };
    await c.cmd('EHLO bench.test');
    const t = performance.now();
    c.write(`${plain(user, pass)}\r\n`);
    const r = await c.reply(60_000);
    return { code: r?.code ?? 0, ms: performance.now() - t, atConnect: false };
  } finally {
    c.close();
  }
}

const figures: Record<string, unknown> = {};
const say = (line: string) => {
  if (!opts.json) console.log(line);
};

// 1 + 3: fresh connection per guess.
{
  const r = await relay();
  const seq: { code: number; ms: number }[] = [];
  for (let i = 0; i < 12; i++) seq.push(await guess(r.port, r.user, `guess-${i}`));
  const right = await guess(r.port, r.user, r.password);
  const rightV6 = hasIpv6Loopback ? await guess(r.port, r.user, r.password, '::1') : null;
  figures.freshConnections = seq.map((s) => ({ code: s.code, ms: Math.round(s.ms) }));
  figures.rightPasswordWhileBlocked = right.code;
  figures.rightPasswordWhileBlockedOverIpv6 = rightV6?.code ?? null;
  say('1. one guess per fresh connection (reply, time to answer AUTH):');
  say(`   ${seq.map((s, i) => `#${i + 1} ${s.code} ${Math.round(s.ms)} ms`).join(', ')}`);
  say(`3. the right password while blocked: ${right.code}${rightV6 ? `; over ::1: ${rightV6.code}` : ''}`);
  await r.stop();
}

// 2: 20 parallel guessers for a fixed time.
{
  const r = await relay();
  const until = performance.now() + 20_000;
  let answered = 0;
  let refused = 0;
  let firstRefusalAt = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      for (let i = 0; performance.now() < until; i++) {
        const g = await guess(r.port, r.user, `p${n}-${i}`);
        if (g.code === 535) answered++;
        else {
          refused++;
          firstRefusalAt ||= performance.now() - t0;
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  figures.parallel = {
    connections: 20,
    seconds: Math.round(secs),
    guessesAnswered535: answered,
    refused421: refused,
    blockAfterMs: Math.round(firstRefusalAt),
    answeredPerSecond: Math.round((answered / secs) * 100) / 100,
  };
  say(
    `2. 20 parallel guessers for ${Math.round(secs)} s: ${answered} guesses answered (535), ${(answered / secs).toFixed(2)}/s; blocked after ${Math.round(firstRefusalAt)} ms; then ${refused} refused with 421`,
  );
  await r.stop();
}

// 4: 35 silent sockets, maxClients 30.
{
  const r = await relay({ 'relay.maxClients': '30' });
  const silent = await Promise.all(Array.from({ length: 35 }, () => RawSmtp.connect(r.port)));
  await new Promise((res) => setTimeout(res, 300));
  const t = performance.now();
  const c = await RawSmtp.connect(r.port);
  const greeting = await c.reply();
  let code = greeting?.code ?? 0;
  if (code === 220) {
    await c.login(r.user, r.password);
    await c.openData('news@example.com', ['friend@example.net']);
    c.write(`${simpleMessage()}.\r\n`);
    code = (await c.reply())?.code ?? 0;
  }
  const ms = performance.now() - t;
  c.close();
  for (const s of silent) s.close();
  figures.behind35Silent = { code, ms: Math.round(ms) };
  say(
    `4. a real client behind 35 silent sockets (maxClients 30): ${code} after ${Math.round(ms)} ms (connect, log in, send)`,
  );
  await r.stop();
}

// 5: NOOP senders that never log in.
{
  const r = await relay();
  const t = performance.now();
  const idlers = await Promise.all(Array.from({ length: 10 }, () => RawSmtp.connect(r.port)));
  for (const c of idlers) {
    await c.reply(); // the greeting: talking before it is refused at once
    c.write('EHLO idle.test\r\n');
  }
  const timer = setInterval(() => {
    for (const c of idlers) if (!c.closed) c.write('NOOP\r\n');
  }, 5000);
  await Promise.all(idlers.map((c) => c.waitClosed(120_000)));
  clearInterval(timer);
  const ms = performance.now() - t;
  figures.noopSendersClosedAfterMs = Math.round(ms);
  say(`5. 10 sockets sending NOOP every 5 s without logging in: all closed after ${(ms / 1000).toFixed(1)} s`);
  await r.stop();
}

if (opts.json) console.log(JSON.stringify(figures));
