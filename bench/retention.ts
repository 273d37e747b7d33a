// Retention clean-up benchmark: how fast does the engine clear old mail, how long does one
// batch hold the relay up, and what does a mail program notice meanwhile?
//
//   node bench/retention.ts                    100,000 finished messages (2 recipients, 5 KB), 100 spooled (1.1 MB)
//   node bench/retention.ts --messages 20000 --spool 20 --rate 100 --json
//
// A data folder is seeded with finished messages (delivered 60 days ago) through the same
// Enqueuer the relay uses, then `mailroom serve` runs in a child process twice:
//   1. bodies: retention.messageBodies is 30 days, so every body goes (inline ones cut to
//      their header section, spool files deleted);
//   2. log rows: retention.logRows set to 30 days, so every message goes with its
//      deliveries and events.
// Each time the cleaner starts by itself 5 s after the engine, while this process sends
// mail into the relay at a steady rate over a few connections; it reads the cleaner's
// log line (rows, batches, longest batch) and compares the time to 250 during the
// clean-up with the time to 250 in the 5 s after it (the same relay, idle cleaner).
// The machine's load average is printed with the figures: on a shared machine it
// explains much of the spread.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Engine } from '../src/main/engine/engine.ts';
import { silentLogger } from '../src/main/engine/log.ts';
import { Enqueuer } from '../src/main/queue/enqueue.ts';
import { formatBytes } from '../src/shared/domain/backup.ts';
import { BenchError, fail, MessageFactory, SENDER_DOMAIN, SmtpClient } from './smtp-load.ts';

const CLI = path.resolve(import.meta.dirname, '../src/main/cli/main.ts');
const DAY = 86_400_000;

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    recipients: { type: 'string', default: '2' },
    size: { type: 'string', default: '5120' },
    spool: { type: 'string', default: '100' },
    rate: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    'time-limit': { type: 'string', default: '600' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(`Usage: node bench/retention.ts [options]

  --messages N      finished messages to seed (default 100000)
  --recipients N    deliveries per message (default 2)
  --size BYTES      size of each inline message (default 5120)
  --spool N         of them, messages over 1 MB kept as spool files (default 100)
  --rate N          messages per second sent into the relay during the run (default 200)
  --concurrency N   SMTP connections for that load (default 4)
  --time-limit SEC  give up after this long per phase (default 600)
  --keep            keep the data folder
  --json            print the figures as JSON
`);
  process.exit(0);
}
const opts = {
  messages: Number(args.messages),
  recipients: Number(args.recipients),
  size: Number(args.size),
  spool: Number(args.spool),
  rate: Number(args.rate),
  concurrency: Number(args.concurrency),
  timeLimitMs: Number(args['time-limit']) * 1000,
};
const say = (text: string) => {
  if (!args.json) process.stderr.write(`${text}\n`);
};

// ---------------------------------------------------------------- seeding

async function seed(dataDir: string): Promise<void> {
  const engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  try {
    engine.domains.add(SENDER_DOMAIN);
    engine.settings.set('relay.port', 0);
    engine.settings.set('delivery.paused', true); // nothing leaves; the load only queues
    const factory = new MessageFactory(opts.size, opts.messages);
    const big = Buffer.concat([factory.message(0, 1), Buffer.alloc(1_100_000, 'x'), Buffer.from('\r\n')]);
    const enqueuer = new Enqueuer(engine.db);
    const finish = engine.db.prepare(
      "UPDATE deliveries SET status = 'delivered', attempts = 1, updated_at = @at WHERE message_id = @id",
    );
    const event = engine.db.prepare(
      "INSERT INTO delivery_events (delivery_id, at, kind, route, code, response) SELECT id, @at, 'delivered', 'direct', 250, '250 2.0.0 OK' FROM deliveries WHERE message_id = @id",
    );
    const spoolEvery = opts.spool > 0 ? Math.floor(opts.messages / opts.spool) : 0;
    const start = Date.now() - 60 * DAY;
    const t0 = performance.now();
    for (let from = 0; from < opts.messages; from += 1000) {
      const batch: { id: number; at: number }[] = [];
      engine.db.transaction(() => {
        for (let i = from; i < Math.min(opts.messages, from + 1000); i++) {
          const created = start + Math.floor((i / opts.messages) * 20 * DAY);
          let body: Buffer | null = factory.message(i, opts.messages);
          let spoolPath: string | null = null;
          if (spoolEvery && i % spoolEvery === 0) {
            spoolPath = path.join('spool', `seed${i}.eml`);
            fs.writeFileSync(path.join(dataDir, spoolPath), big);
            body = null;
          }
          const id = enqueuer.insert(
            {
              source: 'relay',
              queueId: `seed${i}`,
              mailFrom: factory.sender,
              recipients: Array.from({ length: opts.recipients }, (_, r) => factory.recipient(i * 10 + r)),
              messageId: `<seed${i}@${SENDER_DOMAIN}>`,
              subject: `Our spring newsletter (${i + 1})`,
              size: spoolPath ? big.length : (body as Buffer).length,
              body,
              spoolPath,
            },
            created,
          );
          batch.push({ id, at: created + 3_600_000 });
        }
        for (const b of batch) {
          finish.run(b);
          event.run(b);
        }
      })();
    }
    say(`seeded ${opts.messages.toLocaleString('en-US')} messages in ${Math.round(performance.now() - t0)} ms`);
  } finally {
    await engine.close();
  }
}

// ---------------------------------------------------------------- serve + load

function cli(dataDir: string, cliArgs: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...cliArgs, '--data-dir', dataDir, '--secret-store', 'file'], (err, stdout) =>
      err ? reject(new BenchError(`mailroom ${cliArgs.join(' ')}: ${err.message}`)) : resolve(stdout),
    );
  });
}

interface CleanupLine {
  endedAt: number;
  fields: Record<string, number>;
}

interface Sample {
  at: number;
  ms: number;
}

async function phase(dataDir: string, name: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'serve', '--json', '--data-dir', dataDir, '--secret-store', 'file'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let cleanup: CleanupLine | null = null;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (t: string) => {
    stderr += t;
    const m = /^(\S+) info retention clean-up (.*)$/m.exec(stderr);
    if (m && !cleanup) {
      const fields = Object.fromEntries(
        [...(m[2] as string).matchAll(/(\w+)=([\d.]+)/g)].map(([, k, v]) => [k as string, Number(v)]),
      );
      cleanup = { endedAt: Date.parse(m[1] as string), fields };
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (t: string) => {
        out += t;
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
      });
      exited.then(() => reject(new BenchError(`serve exited before listening:\n${stderr}`)));
    });
    const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')).secrets;
    const db = new Database(path.join(dataDir, 'mailroom.db'), { readonly: true });
    const user = JSON.parse(
      db.prepare("SELECT value FROM settings WHERE key = 'relay.username'").pluck().get() as string,
    ) as string;
    db.close();
    const samples: Sample[] = [];
    const factory = new MessageFactory(opts.size, 1_000_000);
    let stop = false;
    let next = 0;
    const began = performance.now();
    const worker = async (n: number) => {
      const c = await SmtpClient.connect(`connection ${n}`, '127.0.0.1', port);
      await c.expect(220, 'greeting');
      c.write(`EHLO bench.${SENDER_DOMAIN}\r\n`);
      await c.expect(250, 'EHLO');
      c.write(`AUTH PLAIN ${Buffer.from(`\0${user}\0${secrets['relay.password']}`).toString('base64')}\r\n`);
      await c.expect(235, 'AUTH');
      while (!stop) {
        const i = next++;
        // A steady pace: message i leaves at i / rate seconds, whatever the replies do.
        const due = began + (i * 1000) / opts.rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        c.write(`MAIL FROM:<${factory.sender}>\r\nRCPT TO:<${factory.recipient(i)}>\r\nDATA\r\n`);
        await c.expect(250, 'MAIL');
        await c.expect(250, 'RCPT');
        await c.expect(354, 'DATA');
        const t = performance.now();
        c.write(factory.data(i, 1_000_000));
        await c.expect(250, 'end of data');
        samples.push({ at: Date.now(), ms: performance.now() - t });
      }
      await c.quit();
    };
    const load = Promise.all(Array.from({ length: opts.concurrency }, (_, n) => worker(n)));
    const deadline = Date.now() + opts.timeLimitMs;
    while (!cleanup && Date.now() < deadline) {
      if (child.exitCode !== null) fail(`serve stopped:\n${stderr}`);
      await sleep(100);
    }
    if (!cleanup) fail(`no clean-up finished within ${opts.timeLimitMs / 1000} s:\n${stderr.slice(-2000)}`);
    await sleep(5000);
    stop = true;
    await load;
    const c = cleanup as CleanupLine;
    const startedAt = c.endedAt - (c.fields.ms ?? 0);
    const during = samples.filter((s) => s.at >= startedAt && s.at <= c.endedAt).map((s) => s.ms);
    const after = samples.filter((s) => s.at > c.endedAt).map((s) => s.ms);
    return { name, cleanup: c.fields, during: summary(during), after: summary(after) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted.length
      ? Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number) * 10) / 10
      : null;
  return {
    messages: sorted.length,
    p50: pct(50),
    p99: pct(99),
    max: sorted.length ? Math.round((sorted.at(-1) as number) * 10) / 10 : null,
  };
}

async function folderSize(dataDir: string) {
  const engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  try {
    return await engine.dataSize();
  } finally {
    await engine.close();
  }
}

// ---------------------------------------------------------------- run

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-retention-'));
try {
  await seed(dataDir);
  const sizes = [await folderSize(dataDir)];
  say(`data folder: ${formatBytes(sizes[0]?.total ?? 0)}; phase 1: message bodies (retention.messageBodies 30d)`);
  const bodies = await phase(dataDir, 'bodies');
  sizes.push(await folderSize(dataDir));
  await cli(dataDir, ['settings', 'set', 'retention.logRows', '30d']);
  say('phase 2: log rows (retention.logRows 30d)');
  const rows = await phase(dataDir, 'log rows');
  sizes.push(await folderSize(dataDir));
  const rate = (n: number | undefined, ms: number | undefined) => (n && ms ? Math.round((n / ms) * 1000) : 0);
  const result = {
    seeded: { messages: opts.messages, deliveries: opts.messages * opts.recipients, spoolFiles: opts.spool },
    load: { rate: opts.rate, concurrency: opts.concurrency },
    machine: { cpus: os.cpus().length, loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10 },
    bodies: {
      removed: bodies.cleanup.bodiesRemoved,
      spoolFilesRemoved: bodies.cleanup.spoolFilesRemoved,
      ms: bodies.cleanup.ms,
      perSecond: rate(bodies.cleanup.bodiesRemoved, bodies.cleanup.ms),
      batches: bodies.cleanup.batches,
      longestBatchMs: bodies.cleanup.longestBatchMs,
      batchP99Ms: bodies.cleanup.batchP99Ms,
      timeTo250During: bodies.during,
      timeTo250After: bodies.after,
    },
    logRows: {
      messagesDeleted: rows.cleanup.messagesDeleted,
      deliveriesDeleted: rows.cleanup.deliveriesDeleted,
      ms: rows.cleanup.ms,
      messagesPerSecond: rate(rows.cleanup.messagesDeleted, rows.cleanup.ms),
      deliveriesPerSecond: rate(rows.cleanup.deliveriesDeleted, rows.cleanup.ms),
      batches: rows.cleanup.batches,
      longestBatchMs: rows.cleanup.longestBatchMs,
      batchP99Ms: rows.cleanup.batchP99Ms,
      timeTo250During: rows.during,
      timeTo250After: rows.after,
    },
    dataFolder: sizes.map((s) => ({ total: s.total, database: s.database, free: s.databaseFree, spool: s.spool })),
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const b = result.bodies;
    const r = result.logRows;
    const lat = (x: ReturnType<typeof summary>) =>
      `p50 ${x.p50} ms, p99 ${x.p99} ms, max ${x.max} ms (${x.messages} messages)`;
    process.stdout.write(
      `${[
        `bodies:   ${b.removed} removed (${b.spoolFilesRemoved} spool files) in ${b.ms} ms = ${b.perSecond}/s; ${b.batches} batches (p99 ${b.batchP99Ms} ms, longest ${b.longestBatchMs} ms)`,
        `          time to 250 during: ${lat(b.timeTo250During)}; after: ${lat(b.timeTo250After)}`,
        `log rows: ${r.messagesDeleted} messages, ${r.deliveriesDeleted} deliveries deleted in ${r.ms} ms = ${r.messagesPerSecond} messages/s, ${r.deliveriesPerSecond} deliveries/s; ${r.batches} batches (p99 ${r.batchP99Ms} ms, longest ${r.longestBatchMs} ms)`,
        `          time to 250 during: ${lat(r.timeTo250During)}; after: ${lat(r.timeTo250After)}`,
        `machine: ${result.machine.cpus} cores, load average ${result.machine.loadAverage1m}`,
        `data folder: ${sizes.map((s) => `${formatBytes(s.total)} (${formatBytes(s.databaseFree)} free inside the database)`).join(' → ')}`,
      ].join('\n')}\n`,
    );
  }
} catch (err) {
  process.stderr.write(`bench/retention: ${err instanceof BenchError ? err.message : (err as Error).stack}\n`);
  process.exitCode = 1;
} finally {
  if (args.keep) say(`kept ${dataDir}`);
  else fs.rmSync(dataDir, { recursive: true, force: true });
}
