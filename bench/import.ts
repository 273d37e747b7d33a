// Contacts import benchmark (issue 14 §4): a generated file of 1,000,000 rows (6 columns,
// 10 % duplicates differing only by case, 0.5 % invalid) imported end to end (read, check,
// deduplicate, stage, commit) into an empty list in a fresh data folder.
//
//   npm run bench:import                      3 runs, medians of wall time and peak RSS, then one run
//                                             while mail flows into the relay (longest stall)
//   node bench/import.ts --rows 200000 --runs 1 --json
//
// The engine runs from the sources under Node's type stripping, which costs memory of its own
// (the stripper in the main thread and again in the import worker); "before" is the process's
// RSS with the engine open and the relay listening, just before the import starts.
//
// Each run is its own child process (so its peak RSS, main thread and import worker together,
// is process.resourceUsage().maxRSS of that process alone): it opens a fresh data folder,
// starts the relay on a loopback port, and imports. In the mail run this process meanwhile
// sends one message after another over one SMTP connection (bounded: 20,000 messages) and
// records the longest gap between two consecutive 250 replies.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { makeContactsFile } from './make-contacts-file.ts';
import { MessageFactory, SmtpClient } from './smtp-load.ts';

const MAX_MESSAGES = 20_000;
const RUN_TIMEOUT_MS = 10 * 60_000;

interface ChildReady {
  event: 'ready';
  port: number;
  username: string;
  password: string;
}
interface ChildDone {
  event: 'done';
  importMs: number;
  /** CPU time of the whole process (every thread) during the import: steadier than wall time on a shared machine. */
  cpuMs: number;
  rssBeforeMb: number;
  maxRssMb: number;
  counts: { records: number; added: number; skipped: number; suppressed: number; problems: number };
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as string, process.argv[4] as string);
} else {
  await main();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: process.env.BENCH_ROWS ?? '1000000' },
      runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
      json: { type: 'boolean', default: false },
      'no-mail': { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-import-'));
  const log = (s: string) => {
    if (!values.json) process.stdout.write(`${s}\n`);
  };
  try {
    const file = path.join(work, 'contacts.csv');
    const made = await makeContactsFile(file, rows);
    log(
      `File: ${rows.toLocaleString('en-US')} rows, ${(made.bytes / 1e6).toFixed(1)} MB (${made.unique} unique, ${made.duplicates} case duplicates, ${made.invalid} invalid); ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(2)}`,
    );
    const results: ChildDone[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await runChild(work, file, false);
      check(r, made);
      results.push(r.done);
      log(
        `run ${i + 1}: import ${(r.done.importMs / 1000).toFixed(2)} s (CPU ${(r.done.cpuMs / 1000).toFixed(2)} s), peak RSS ${r.done.maxRssMb} MB (${r.done.rssBeforeMb} MB before the import)`,
      );
    }
    let mail: Awaited<ReturnType<typeof runChild>> | null = null;
    if (!values['no-mail']) {
      mail = await runChild(work, file, true);
      check(mail, made);
      log(
        `with mail flowing: import ${(mail.done.importMs / 1000).toFixed(2)} s (CPU ${(mail.done.cpuMs / 1000).toFixed(2)} s), peak RSS ${mail.done.maxRssMb} MB; ${mail.sent} messages accepted during the import, longest gap between two 250 replies ${mail.maxGapMs.toFixed(0)} ms (median gap ${mail.medianGapMs.toFixed(1)} ms)`,
      );
    }
    const summary = {
      rows,
      runs,
      rssBeforeImportMb: median(results.map((r) => r.rssBeforeMb)),
      importSeconds: median(results.map((r) => r.importMs / 1000)),
      cpuSeconds: median(results.map((r) => r.cpuMs / 1000)),
      peakRssMb: median(results.map((r) => r.maxRssMb)),
      each: results.map((r) => ({ importSeconds: r.importMs / 1000, peakRssMb: r.maxRssMb })),
      mail: mail
        ? {
            importSeconds: mail.done.importMs / 1000,
            accepted: mail.sent,
            longestStallMs: Math.round(mail.maxGapMs),
            medianGapMs: mail.medianGapMs,
          }
        : null,
      load: os.loadavg(),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      log(
        `median of ${runs}: ${summary.importSeconds.toFixed(2)} s (CPU ${summary.cpuSeconds.toFixed(2)} s), ${summary.peakRssMb} MB peak RSS (targets < 10 s, < 300 MB; stretch < 5 s)`,
      );
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function check(r: { done: ChildDone }, made: { rows: number; unique: number; duplicates: number; invalid: number }) {
  const c = r.done.counts;
  if (c.records !== made.rows || c.added !== made.unique || c.skipped !== made.duplicates + made.invalid) {
    throw new Error(`wrong counts: ${JSON.stringify(c)} for ${JSON.stringify(made)}`);
  }
}

async function runChild(work: string, file: string, withMail: boolean) {
  const dataDir = fs.mkdtempSync(path.join(work, 'data-'));
  const p = spawn(process.execPath, [import.meta.filename, '--child', dataDir, file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const events = readline.createInterface({ input: p.stdout });
  const next = (() => {
    const queue: string[] = [];
    const waiting: ((l: string | null) => void)[] = [];
    events.on('line', (l) => {
      const w = waiting.shift();
      if (w) w(l);
      else queue.push(l);
    });
    events.on('close', () => {
      for (const w of waiting.splice(0)) w(null);
    });
    return () =>
      new Promise<string | null>((resolve) => {
        const l = queue.shift();
        if (l !== undefined) resolve(l);
        else waiting.push(resolve);
      });
  })();
  try {
    const readyLine = await next();
    if (!readyLine) throw new Error('the benchmark child stopped before its relay was ready');
    const ready = JSON.parse(readyLine) as ChildReady;
    let client: SmtpClient | null = null;
    if (withMail) {
      client = await SmtpClient.connect('bench', '127.0.0.1', ready.port);
      await client.expect(220, 'greeting');
      client.write('EHLO bench.example\r\n');
      await client.expect(250, 'EHLO');
      client.write(`AUTH PLAIN ${Buffer.from(`\0${ready.username}\0${ready.password}`).toString('base64')}\r\n`);
      await client.expect(235, 'AUTH');
    }
    p.stdin.write('go\n');
    let finished: ChildDone | null = null;
    const doneLine = next().then((l) => {
      if (!l) throw new Error('the benchmark child stopped before the import finished');
      finished = JSON.parse(l) as ChildDone;
      return finished;
    });
    const gaps: number[] = [];
    let sent = 0;
    if (client) {
      const factory = new MessageFactory(5000, MAX_MESSAGES);
      let last = performance.now();
      for (let i = 0; i < MAX_MESSAGES && !finished; i++) {
        client.write(`MAIL FROM:<${factory.sender}>\r\nRCPT TO:<${factory.recipient(i)}>\r\nDATA\r\n`);
        await client.expect(250, 'MAIL');
        await client.expect(250, 'RCPT');
        await client.expect(354, 'DATA');
        client.write(factory.data(i, MAX_MESSAGES));
        await client.expect(250, 'end of data');
        const t = performance.now();
        gaps.push(t - last);
        last = t;
        sent++;
      }
      await client.quit();
    }
    const done = await doneLine;
    gaps.sort((a, b) => a - b);
    return { done, sent, maxGapMs: gaps.at(-1) ?? 0, medianGapMs: gaps.length ? median(gaps) : 0 };
  } finally {
    clearTimeout(timer);
    p.stdin.end();
    await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
  }
}

/** The measured process: a fresh engine with its relay, then one import of the file. */
async function child(dataDir: string, file: string): Promise<void> {
  const { Engine } = await import('../src/main/engine/engine.ts');
  const { silentLogger } = await import('../src/main/engine/log.ts');
  const engine = new Engine({ dataDir, secretStore: 'file', log: silentLogger });
  engine.settings.set('relay.port', 0);
  engine.settings.set('delivery.paused', true);
  engine.domains.add('example.com');
  const address = await engine.start('serve');
  const password = (await engine.secrets.get('relay.password')) as string;
  const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  out({ event: 'ready', port: address.port, username: engine.settings.get('relay.username'), password });
  const input = readline.createInterface({ input: process.stdin });
  const stop = new Promise<void>((resolve) => input.once('close', () => resolve()));
  await new Promise<void>((resolve) => input.once('line', () => resolve()));
  const rssBeforeMb = Math.round(process.memoryUsage().rss / 1048576);
  const t = performance.now();
  const cpu = process.cpuUsage();
  const report = await engine.imports.start(file, { list: 'Everyone' }).done;
  const importMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  out({
    event: 'done',
    importMs,
    cpuMs: (used.user + used.system) / 1000,
    rssBeforeMb,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    counts: {
      records: report.records,
      added: report.added,
      skipped: report.skipped,
      suppressed: report.suppressed,
      problems: report.problemCount,
    },
  } satisfies ChildDone);
  // The relay stays up until the parent has finished its last message.
  await stop;
  await engine.close(2000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
