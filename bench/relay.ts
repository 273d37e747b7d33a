// Relay intake benchmark: how fast does `mailroom serve` accept mail over SMTP?
//
//   node bench/relay.ts                      fresh data folder, spawned `serve`, 10,000 × 5 KB over 10 connections
//   node bench/relay.ts --json               the same figures as one JSON object on stdout
//   node bench/relay.ts --runs 3             three runs, each with a fresh data folder and server, then medians
//   node bench/relay.ts --count 2000 --concurrency 4 --size 20000
//   node bench/relay.ts --target 127.0.0.1:2526 [--user U --password P]
//                                            the same load against another server, nothing spawned; for a
//                                            throw-away Postfix on 127.0.0.1:2526 see bench/postfix.sh
//   node bench/relay.ts --cpu-prof DIR       write a V8 CPU profile of the `serve` child into DIR
//
// Environment equivalents: BENCH_COUNT, BENCH_CONCURRENCY, BENCH_SIZE, BENCH_TIME_LIMIT (seconds),
// BENCH_RUNS, BENCH_TARGET, BENCH_USER, BENCH_PASSWORD. Command-line options win over the environment.
//
// Each connection authenticates once, then sends messages one after another (MAIL, RCPT, DATA;
// pipelined when the server offers PIPELINING). "Time to 250" runs from writing the message
// with its final CRLF.CRLF to receiving the reply. Any unexpected reply aborts the run.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { BenchError, fail, MessageFactory, SENDER_DOMAIN, SmtpClient, show } from './smtp-load.ts';

const CLI = path.resolve(import.meta.dirname, '../src/main/cli/main.ts');
const SETUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 45_000;
const TMPFS_MAGIC = 0x01021994;

// ---------------------------------------------------------------- options

interface Options {
  count: number;
  concurrency: number;
  size: number;
  timeLimitMs: number;
  target: { host: string; port: number } | null;
  user: string | null;
  password: string | null;
  pipelining: boolean;
  runs: number;
  json: boolean;
  keep: boolean;
  cpuProfDir: string | null;
}

const USAGE = `Usage: node bench/relay.ts [options]

  --count N            messages to send (default 10000; env BENCH_COUNT)
  --concurrency N      parallel SMTP connections (default 10; env BENCH_CONCURRENCY)
  --size BYTES         approximate size of each message (default 5120; env BENCH_SIZE)
  --time-limit SEC     give up and fail after this long (default 300; env BENCH_TIME_LIMIT)
  --target HOST:PORT   send to this server instead of spawning "mailroom serve" (env BENCH_TARGET)
  --allow-remote       allow a --target outside 127.0.0.0/8 or on port 25 (refused by default)
  --user U --password P  log in with these at --target (env BENCH_USER, BENCH_PASSWORD); without them, no AUTH
  --runs N             repeat the whole run N times (fresh data folder each) and print the medians (env BENCH_RUNS)
  --no-pipelining      send MAIL, RCPT and DATA one at a time even if PIPELINING is offered
  --cpu-prof DIR       run the spawned server with --cpu-prof and write the profile into DIR
  --keep               keep the temporary data folder (its path is printed)
  --json               print the figures as JSON
  -h, --help           this help
`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      count: { type: 'string' },
      concurrency: { type: 'string' },
      size: { type: 'string' },
      'time-limit': { type: 'string' },
      target: { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      user: { type: 'string' },
      password: { type: 'string' },
      'no-pipelining': { type: 'boolean', default: false },
      runs: { type: 'string' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      fail(`${name} must be a whole number from ${min} to ${max} (got "${text}")`);
    return n;
  };
  const count = int('--count', values.count ?? env.BENCH_COUNT, 10_000, 1, 10_000_000);
  const concurrency = int('--concurrency', values.concurrency ?? env.BENCH_CONCURRENCY, 10, 1, 1000);
  const size = int('--size', values.size ?? env.BENCH_SIZE, 5120, 600, 20 * 1024 * 1024);
  const runs = int('--runs', values.runs ?? env.BENCH_RUNS, 1, 1, 100);
  const timeLimit = int('--time-limit', values['time-limit'] ?? env.BENCH_TIME_LIMIT, 300, 1, 86_400);
  const targetText = values.target ?? env.BENCH_TARGET ?? null;
  let target: Options['target'] = null;
  if (targetText) {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(targetText);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      fail(`--target must look like 127.0.0.1:2526 (got "${targetText}")`);
    target = { host: m[1] as string, port: Number(m[2]) };
    const loopback = target.host === 'localhost' || target.host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(target.host);
    if (!loopback && !values['allow-remote']) {
      fail(
        `--target ${targetText} is not on this computer; a load test stays on loopback unless you add --allow-remote`,
      );
    }
    if (target.port === 25 && !values['allow-remote']) {
      fail(
        '--target uses port 25; run the server under test on another loopback port (e.g. 2526), or add --allow-remote',
      );
    }
  }
  const user = values.user ?? env.BENCH_USER ?? null;
  const password = values.password ?? env.BENCH_PASSWORD ?? null;
  if ((user === null) !== (password === null)) fail('give both --user and --password, or neither');
  if (!target && (user !== null || values.user !== undefined)) fail('--user/--password only apply with --target');
  if (target && values['cpu-prof']) fail('--cpu-prof only applies to the spawned server (not with --target)');
  return {
    count,
    concurrency: Math.min(concurrency, count),
    size,
    timeLimitMs: timeLimit * 1000,
    target,
    user,
    password,
    pipelining: !values['no-pipelining'],
    runs,
    json: values.json,
    keep: values.keep,
    cpuProfDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null,
  };
}

// ---------------------------------------------------------------- the load

interface LoadResult {
  sent: number;
  wallMs: number;
  latenciesMs: Float64Array;
  pipelined: boolean;
  perConnection: number[];
  clientCpuMs: number;
}

async function runLoad(
  opts: Options,
  target: { host: string; port: number },
  creds: { user: string; password: string } | null,
): Promise<LoadResult> {
  const factory = new MessageFactory(opts.size, opts.count);
  const latencies = new Float64Array(opts.count);
  const clients: SmtpClient[] = [];
  const perConnection = new Array<number>(opts.concurrency).fill(0);
  let next = 0;
  let sent = 0;
  let pipelinedAll = opts.pipelining;
  let aborted: Error | null = null;

  const abortAll = (err: Error) => {
    if (aborted) return;
    aborted = err;
    for (const c of clients) c.abort(err);
  };
  const timer = setTimeout(
    () =>
      abortAll(
        new BenchError(
          `time limit of ${opts.timeLimitMs / 1000} s reached after ${sent} of ${opts.count} messages were accepted`,
        ),
      ),
    opts.timeLimitMs,
  );

  const worker = async (n: number): Promise<void> => {
    const name = `connection ${n + 1}`;
    const client = await SmtpClient.connect(name, target.host, target.port);
    clients.push(client);
    if (aborted) client.abort(aborted);
    await client.expect(220, 'greeting');
    client.write(`EHLO bench.${SENDER_DOMAIN}\r\n`);
    const ehlo = await client.expect(250, 'EHLO');
    const ext = new Map<string, string>();
    for (const line of ehlo.lines.slice(1)) {
      const [kw, ...rest] = line.trim().split(/\s+/);
      if (kw) ext.set(kw.toUpperCase(), rest.join(' ').toUpperCase());
    }
    if (creds) {
      const methods = (ext.get('AUTH') ?? '').split(' ');
      if (methods.includes('PLAIN')) {
        client.write(`AUTH PLAIN ${Buffer.from(`\0${creds.user}\0${creds.password}`).toString('base64')}\r\n`);
        await client.expect(235, 'AUTH PLAIN');
      } else if (methods.includes('LOGIN')) {
        client.write('AUTH LOGIN\r\n');
        await client.expect(334, 'AUTH LOGIN');
        client.write(`${Buffer.from(creds.user).toString('base64')}\r\n`);
        await client.expect(334, 'AUTH LOGIN user name');
        client.write(`${Buffer.from(creds.password).toString('base64')}\r\n`);
        await client.expect(235, 'AUTH LOGIN password');
      } else {
        fail(`${name}: the server offers no AUTH PLAIN or LOGIN (EHLO said: ${show(ehlo)})`);
      }
    }
    const pipelining = opts.pipelining && ext.has('PIPELINING');
    if (!pipelining) pipelinedAll = false;
    const mailFrom = `MAIL FROM:<${factory.sender}>\r\n`;
    for (let i = next++; i < opts.count && !aborted; i = next++) {
      const rcpt = `RCPT TO:<${factory.recipient(i)}>\r\n`;
      const data = factory.data(i, opts.count);
      const label = `message ${i + 1}`;
      if (pipelining) {
        client.write(`${mailFrom}${rcpt}DATA\r\n`);
        await client.expect(250, `${label} MAIL FROM`);
        await client.expect(250, `${label} RCPT TO`);
        await client.expect(354, `${label} DATA`);
      } else {
        client.write(mailFrom);
        await client.expect(250, `${label} MAIL FROM`);
        client.write(rcpt);
        await client.expect(250, `${label} RCPT TO`);
        client.write('DATA\r\n');
        await client.expect(354, `${label} DATA`);
      }
      const t0 = performance.now();
      client.write(data);
      await client.expect(250, `${label} end of data`);
      latencies[i] = performance.now() - t0;
      sent++;
      perConnection[n] = (perConnection[n] as number) + 1;
    }
    if (aborted) throw aborted;
    await client.quit();
  };

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let end = start;
  try {
    const results = await Promise.allSettled(
      Array.from({ length: opts.concurrency }, (_, n) =>
        worker(n).catch((err: Error) => {
          abortAll(err);
          throw err;
        }),
      ),
    );
    end = performance.now();
    if (aborted) throw aborted;
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
  } finally {
    clearTimeout(timer);
    for (const c of clients) c.abort(new BenchError('finished'));
  }
  const cpu = process.cpuUsage(cpu0);
  if (sent !== opts.count) fail(`only ${sent} of ${opts.count} messages were accepted`);
  return {
    sent,
    wallMs: end - start,
    latenciesMs: latencies,
    pipelined: pipelinedAll,
    perConnection,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

// ---------------------------------------------------------------- the spawned server

function runCli(dataDir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--data-dir', dataDir, '--secret-store', 'file'],
      { timeout: SETUP_TIMEOUT_MS, env: cleanEnv() },
      (err, stdout, stderr) => {
        if (err) reject(new BenchError(`mailroom ${args.join(' ')} failed: ${err.message.trim()}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MAILROOM_DATA_DIR;
  delete env.MAILROOM_SECRET_STORE;
  return env;
}

/** The first complete JSON value in text made of JSON values (one per line, or pretty-printed). */
function firstJson(text: string): unknown {
  const lines = text.split('\n');
  for (let end = 1; end <= lines.length; end++) {
    for (let startLine = 0; startLine < end; startLine++) {
      const chunk = lines.slice(startLine, end).join('\n').trim();
      if (!chunk.startsWith('{')) continue;
      try {
        return JSON.parse(chunk);
      } catch {
        // not complete yet
      }
    }
  }
  return undefined;
}

class Server {
  readonly child: ChildProcess;
  private stderrTail = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(dataDir: string, cpuProfDir: string | null) {
    const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
    this.child = spawn(
      process.execPath,
      [...nodeArgs, CLI, 'serve', '--json', '--data-dir', dataDir, '--secret-store', 'file'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() },
    );
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (t: string) => {
      this.stderrTail = (this.stderrTail + t).slice(-8192);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get stderr(): string {
    return this.stderrTail.trim();
  }

  waitListening(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        reject(new BenchError(`serve did not report "listening" within ${SETUP_TIMEOUT_MS / 1000} s\n${this.stderr}`));
      }, SETUP_TIMEOUT_MS);
      this.child.stdout?.setEncoding('utf8');
      this.child.stdout?.on('data', (t: string) => {
        out += t;
        const msg = firstJson(out) as { event?: string; host?: string; port?: number } | undefined;
        if (msg?.event === 'listening' && typeof msg.host === 'string' && typeof msg.port === 'number') {
          clearTimeout(timer);
          resolve({ host: msg.host, port: msg.port });
        }
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new BenchError(`serve exited before listening (code ${code}, signal ${signal})\n${this.stderr}`));
      });
    });
  }

  /** Peak resident set (VmHWM) and CPU seconds used so far, from /proc. */
  procStats(): { rssKb: number | null; peakRssKb: number | null; cpuSeconds: number | null } {
    const pid = this.child.pid;
    if (!pid || process.platform !== 'linux') return { rssKb: null, peakRssKb: null, cpuSeconds: null };
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssKb: rss ? Number(rss[1]) : null, peakRssKb: hwm ? Number(hwm[1]) : null, cpuSeconds: ticks / 100 };
  }

  /** SIGTERM, then insist on a clean exit 0 within STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
    const result = await Promise.race([this.exited, timeout]);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      fail(`serve did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM (killed)\n${this.stderr}`);
    }
    if (result.code !== 0) {
      fail(`serve exited with code ${result.code} (signal ${result.signal}) after SIGTERM, not 0\n${this.stderr}`);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- main

interface Figures {
  mode: 'spawned mailroom serve' | 'external target';
  target: string;
  messages: number;
  concurrency: number;
  messageBytes: number;
  pipelining: boolean;
  wallSeconds: number;
  acceptRate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverPeakRssMb: number | null;
  serverRssBeforeLoadMb: number | null;
  serverCpuSeconds: number | null;
  clientCpuSeconds: number;
  queuedDeliveries: number | null;
  perConnection: { min: number; max: number };
  node: string;
  cpus: number;
}

function report(f: Figures, label: string): string {
  return [
    `${label}: ${f.mode} at ${f.target} (Node ${f.node}, ${f.cpus} CPUs)`,
    `  messages sent       ${f.messages} (${f.concurrency} connections, ~${f.messageBytes} bytes each, pipelining ${f.pipelining ? 'on' : 'off'})`,
    `  wall time           ${f.wallSeconds.toFixed(2)} s`,
    `  accept rate         ${f.acceptRate.toFixed(0)} msg/s`,
    `  time to 250         p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms, max ${f.maxMs.toFixed(2)} ms`,
    `  server peak RSS     ${f.serverPeakRssMb === null ? 'n/a' : `${f.serverPeakRssMb} MB (VmHWM; ${f.serverRssBeforeLoadMb} MB before the load)`}`,
    `  server CPU          ${f.serverCpuSeconds === null ? 'n/a' : `${f.serverCpuSeconds.toFixed(2)} s (${((f.serverCpuSeconds * 1e6) / f.messages).toFixed(0)} µs/msg)`}; client CPU ${f.clientCpuSeconds.toFixed(2)} s`,
    `  queued deliveries   ${f.queuedDeliveries === null ? 'n/a (external target)' : `${f.queuedDeliveries} (verified with status --json)`}`,
    '',
  ].join('\n');
}

/** Per numeric field, the median over the runs (the lower middle value for an even count). */
function medians(runs: Figures[]): Figures {
  const first = runs[0] as Figures;
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] as number;
  const out: Record<string, unknown> = { ...first };
  for (const [key, value] of Object.entries(first)) {
    if (typeof value === 'number') out[key] = mid(runs.map((r) => r[key as keyof Figures] as number));
  }
  out.perConnection = {
    min: Math.min(...runs.map((r) => r.perConnection.min)),
    max: Math.max(...runs.map((r) => r.perConnection.max)),
  };
  return out as unknown as Figures;
}

async function runOnce(opts: Options, log: (line: string) => void): Promise<Figures> {
  let dataDir: string | null = null;
  let server: Server | null = null;
  try {
    let target = opts.target;
    let creds = opts.user !== null && opts.password !== null ? { user: opts.user, password: opts.password } : null;
    if (!target) {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-'));
      log(`Setting up a fresh data folder in ${dataDir} ...`);
      if (fs.statfsSync(dataDir).type === TMPFS_MAGIC) {
        process.stderr.write(
          `bench/relay: warning: ${os.tmpdir()} is a tmpfs, where fsync costs nothing; set TMPDIR to a disk folder for real figures\n`,
        );
      }
      await runCli(dataDir, ['domains', 'add', SENDER_DOMAIN]);
      await runCli(dataDir, ['settings', 'set', 'relay.port', '0']);
      // This benchmark measures intake only: nothing leaves, and no DNS query is made
      // for the example.net recipients (bench:delivery measures sending).
      await runCli(dataDir, ['settings', 'set', 'delivery.paused', 'true']);
      const c = firstJson(await runCli(dataDir, ['relay', 'credentials', '--show-password', '--json'])) as
        | { username?: string; password?: string }
        | undefined;
      if (!c?.username || !c.password) fail('"relay credentials --show-password --json" printed no username/password');
      creds = { user: c.username, password: c.password };
      if (opts.cpuProfDir) fs.mkdirSync(opts.cpuProfDir, { recursive: true });
      server = new Server(dataDir, opts.cpuProfDir);
      target = await server.waitListening();
      log(`mailroom serve (process ${server.child.pid}) listening on ${target.host}:${target.port}`);
    }
    const shownTarget = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    log(
      `Sending ${opts.count} messages of about ${opts.size} bytes over ${opts.concurrency} connections to ${shownTarget} ...`,
    );

    const before = server?.procStats() ?? null;
    const load = await runLoad(opts, target, creds);
    let peakRssKb: number | null = null;
    let serverCpu: number | null = null;
    let queued: number | null = null;
    if (server) {
      const after = server.procStats();
      peakRssKb = after.peakRssKb;
      serverCpu = after.cpuSeconds !== null && before?.cpuSeconds != null ? after.cpuSeconds - before.cpuSeconds : null;
      await server.stop();
      if (opts.cpuProfDir) log(`CPU profile written to ${opts.cpuProfDir}`);
      const status = firstJson(await runCli(dataDir as string, ['status', '--json'])) as
        | { messages?: number; deliveries?: Record<string, number> }
        | undefined;
      queued = status?.deliveries?.queued ?? null;
      if (queued !== opts.count) {
        fail(
          `status --json counts ${queued} queued deliveries (messages: ${status?.messages}), expected ${opts.count}: accepted mail is missing or extra`,
        );
      }
    }

    const sorted = load.latenciesMs.slice().sort();
    const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
    return {
      mode: server ? 'spawned mailroom serve' : 'external target',
      target: shownTarget,
      messages: load.sent,
      concurrency: opts.concurrency,
      messageBytes: new MessageFactory(opts.size, opts.count).approxBytes,
      pipelining: load.pipelined,
      wallSeconds: round(load.wallMs / 1000, 3),
      acceptRate: round(load.sent / (load.wallMs / 1000), 1),
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(percentile(sorted, 100)),
      serverPeakRssMb: peakRssKb === null ? null : round(peakRssKb / 1024, 1),
      serverRssBeforeLoadMb: before?.rssKb == null ? null : round(before.rssKb / 1024, 1),
      serverCpuSeconds: serverCpu === null ? null : round(serverCpu),
      clientCpuSeconds: round(load.clientCpuMs / 1000),
      queuedDeliveries: queued,
      perConnection: { min: Math.min(...load.perConnection), max: Math.max(...load.perConnection) },
      node: process.version,
      cpus: os.availableParallelism(),
    };
  } catch (err) {
    if (err instanceof BenchError && server?.stderr && !err.message.includes(server.stderr)) {
      err.message += `\nserve stderr (last lines):\n${server.stderr}`;
    }
    throw err;
  } finally {
    server?.kill();
    if (dataDir) {
      if (opts.keep) log(`Kept the data folder ${dataDir}`);
      else fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const log = (line: string) => {
    if (!opts.json) process.stderr.write(`${line}\n`);
  };
  const runs: Figures[] = [];
  try {
    for (let r = 1; r <= opts.runs; r++) {
      if (opts.runs > 1) log(`--- run ${r} of ${opts.runs}`);
      const figures = await runOnce(opts, log);
      runs.push(figures);
      if (!opts.json) process.stdout.write(report(figures, opts.runs > 1 ? `Run ${r}` : 'Relay benchmark'));
    }
  } catch (err) {
    const message = err instanceof BenchError ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`bench/relay: FAILED${opts.runs > 1 ? ` in run ${runs.length + 1}` : ''}: ${message}\n`);
    return 1;
  }
  if (opts.runs === 1) {
    if (opts.json) process.stdout.write(`${JSON.stringify(runs[0])}\n`);
    return 0;
  }
  const median = medians(runs);
  if (opts.json) process.stdout.write(`${JSON.stringify({ median, runs })}\n`);
  else {
    process.stdout.write(report(median, `Medians of ${runs.length} runs`));
    process.stdout.write(`  accept rates        ${runs.map((r) => r.acceptRate.toFixed(0)).join(', ')} msg/s\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`bench/relay: FAILED: ${err.message}\n`);
    process.exitCode = 1;
  },
);
