// Delivery benchmark: how fast does `mailroom serve` take mail in over SMTP, DKIM-sign it and
// hand it to the next hop? The next hop is the smarthost route pointed at a loopback sink.
//
//   node bench/delivery.ts                   10,000 messages of 5 KB and of 50 KB, one recipient each, end to
//                                            end: Mailroom unsigned, Mailroom with DKIM rsa-2048 and (as root,
//                                            with Postfix installed) Postfix relaying the same load, interleaved;
//                                            the headline puts Mailroom unsigned next to Postfix (also unsigned)
//                                            and Mailroom signed beside them
//   node bench/delivery.ts --size 50k        one size (bytes, or with k: 50k = 51,200 bytes; a list: 5k,50k)
//   node bench/delivery.ts --dkim on         Mailroom signed only (off: unsigned only, as --no-dkim; both)
//   node bench/delivery.ts --postfix no      without Postfix (auto: when it can run here; yes: insist)
//   node bench/delivery.ts --mode separate   enqueue with sending paused, then time the delivery alone
//   node bench/delivery.ts --mode both       both of the above (each with a fresh data folder and server)
//   node bench/delivery.ts --runs 3 --json   three runs of each, interleaved, medians, as JSON
//   node bench/delivery.ts --cpu-prof DIR    write a V8 CPU profile of the `serve` child into DIR
//   node bench/delivery.ts --target 127.0.0.1:2527 --sink-port 2600
//                                            submit to another server that relays to the sink this
//                                            benchmark runs on 127.0.0.1:2600 (see bench/postfix-delivery.sh)
//
// Processes: the engine (`mailroom serve`) and the sink each run in a child process, so the
// engine's CPU time (utime+stime from /proc/PID/stat) and peak RSS (VmHWM) are its own. The
// sink is Postfix's smtp-sink when installed (/usr/sbin/smtp-sink -c prints a message counter
// on every final dot), else a counting smtp-server in a child process. This process is the
// client: raw SMTP like bench/relay.ts (AUTH once per connection, MAIL/RCPT/DATA pipelined).
//
// Clocks: "end to end" runs from the first connection of the client to the moment the sink
// has counted every message. "Delivery" (separate mode) runs from the first message to
// reach the sink to the last; the time from `settings set delivery.paused false` to the last
// message is shown too (it includes the up to ~1 s the dispatcher takes to see the setting).
// Afterwards `mailroom status --json` must show every delivery as delivered.
//
// The engine never uses the system resolver: the route is the smarthost 127.0.0.1 (an IP
// literal, no lookup) and delivery.dnsServers points at loopback in case anything asks.

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { BenchError, fail, MessageFactory, SENDER_DOMAIN, SmtpClient, show } from './smtp-load.ts';

const CLI = path.resolve(import.meta.dirname, '../src/main/cli/main.ts');
const SMTP_SINK = '/usr/sbin/smtp-sink';
const SETUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 45_000;
const VERIFY_TIMEOUT_MS = 60_000;
const TMPFS_MAGIC = 0x01021994;

// ---------------------------------------------------------------- options

type Mode = 'e2e' | 'separate';
type SinkKind = 'smtp-sink' | 'internal';

interface Options {
  count: number;
  /** The message sizes to run. */
  sizes: number[];
  /** Mailroom without and/or with DKIM. */
  dkims: boolean[];
  /** Postfix relaying the same load (bench/postfix-delivery.sh), interleaved with Mailroom's runs. */
  postfix: boolean;
  /** The size and signing of the run at hand. */
  size: number;
  connections: number;
  runs: number;
  json: boolean;
  modes: Mode[];
  dkim: boolean;
  sink: 'auto' | SinkKind;
  sinkPort: number;
  target: { host: string; port: number } | null;
  settings: [string, string][];
  signSeconds: number;
  timeLimitMs: number;
  keep: boolean;
  cpuProfDir: string | null;
}

const USAGE = `Usage: node bench/delivery.ts [options]

  --count N            messages (default 10000), one recipient each
  --size LIST          approximate size of each message in bytes, 50k for 51200; a comma list runs each
                       (default 5k,50k)
  --connections N      client connections to the relay (default 10)
  --mode M             e2e (default): sending on from the start, time until the sink has them all;
                       separate: enqueue with sending paused, then time the delivery alone; both
  --dkim WHICH         both (default): Mailroom without and with a DKIM rsa-2048 key; on; off
  --no-dkim            the same as --dkim off: no DKIM key, mail goes out unsigned
  --postfix WHEN       auto (default): also run Postfix relaying the same load to the same sink, between
                       Mailroom's runs, when this runs as root with Postfix installed (bench/postfix-delivery.sh;
                       e2e only); yes: insist; no: Mailroom only
  --sink KIND          auto (default: smtp-sink if ${SMTP_SINK} exists), smtp-sink, or internal
                       (a counting smtp-server in a child process)
  --sink-port PORT     port of the loopback sink (default: a free one; required with --target)
  --set KEY=VALUE      an extra engine setting before start, e.g. --set delivery.maxConnectionsPerDestination=10
                       (repeatable)
  --target HOST:PORT   submit to this loopback server instead of spawning "mailroom serve"; it must relay
                       to the sink on 127.0.0.1:--sink-port (e2e only; no AUTH)
  --sign-seconds S     how long to time in-process RSA-2048 DKIM signing (default 2; 0 skips it)
  --runs N             repeat each configuration N times (fresh data folder and server each), interleaved,
                       and print the medians
  --time-limit SEC     give up and fail when a phase takes longer (default 300)
  --cpu-prof DIR       run the spawned server with --cpu-prof and write the profile into DIR
  --keep               keep the temporary data folders (their paths are printed)
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
      size: { type: 'string' },
      dkim: { type: 'string' },
      postfix: { type: 'string' },
      connections: { type: 'string' },
      mode: { type: 'string' },
      'no-dkim': { type: 'boolean', default: false },
      sink: { type: 'string' },
      'sink-port': { type: 'string' },
      set: { type: 'string', multiple: true },
      target: { type: 'string' },
      'sign-seconds': { type: 'string' },
      runs: { type: 'string' },
      'time-limit': { type: 'string' },
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
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      fail(`${name} must be a whole number from ${min} to ${max} (got "${text}")`);
    return n;
  };
  const count = int('--count', values.count, 10_000, 1, 1_000_000);
  const sizes = (values.size ?? '5k,50k').split(',').map((item) => {
    const text = item.trim().toLowerCase();
    const n = text.endsWith('k') ? Number(text.slice(0, -1)) * 1024 : Number(text);
    if (!Number.isInteger(n) || n < 600 || n > 20 * 1024 * 1024)
      fail(`--size takes sizes from 600 bytes to 20 MB, like 5120, 50k or 5k,50k (got "${item}")`);
    return n;
  });
  const dkimText = values['no-dkim'] ? 'off' : (values.dkim ?? 'both');
  if (!['on', 'off', 'both'].includes(dkimText)) fail(`--dkim must be on, off or both (got "${dkimText}")`);
  if (values['no-dkim'] && values.dkim && values.dkim !== 'off') fail('--no-dkim contradicts --dkim on/both');
  const dkims = dkimText === 'both' ? [false, true] : [dkimText === 'on'];
  const postfixText = values.postfix ?? 'auto';
  if (!['auto', 'yes', 'no'].includes(postfixText)) fail(`--postfix must be auto, yes or no (got "${postfixText}")`);
  const connections = int('--connections', values.connections, 10, 1, 1000);
  const runs = int('--runs', values.runs, 1, 1, 100);
  const timeLimit = int('--time-limit', values['time-limit'], 300, 1, 86_400);
  const signSeconds = int('--sign-seconds', values['sign-seconds'], 2, 0, 60);
  const sinkPort = int('--sink-port', values['sink-port'], 0, 1, 65535);
  if (sinkPort === 25) fail('--sink-port 25 is refused: use another loopback port (e.g. 2600)');

  const modeText = values.mode ?? 'e2e';
  if (!['e2e', 'separate', 'both'].includes(modeText)) fail(`--mode must be e2e, separate or both (got "${modeText}")`);
  const modes: Mode[] = modeText === 'both' ? ['e2e', 'separate'] : [modeText as Mode];

  const sink = values.sink ?? 'auto';
  if (sink !== 'auto' && sink !== 'smtp-sink' && sink !== 'internal')
    fail(`--sink must be auto, smtp-sink or internal (got "${sink}")`);

  let target: Options['target'] = null;
  if (values.target) {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(values.target);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      fail(`--target must look like 127.0.0.1:2527 (got "${values.target}")`);
    target = { host: m[1] as string, port: Number(m[2]) };
    if (!isLoopback(target.host))
      fail(`--target ${values.target} is not on this computer; this benchmark stays on loopback`);
    if (target.port === 25)
      fail('--target uses port 25; run the server under test on another loopback port (e.g. 2527)');
    if (!sinkPort) fail('--target needs --sink-port: the port the target relays to');
    if (modeText !== 'e2e') fail('--target measures end to end only (--mode e2e)');
    if (values['no-dkim'] || values.dkim || values.set?.length || values['cpu-prof'])
      fail('--dkim, --no-dkim, --set and --cpu-prof apply to the spawned server, not to --target');
    if (postfixText === 'yes') fail('--postfix yes and --target exclude each other');
  }

  const settings: [string, string][] = [];
  for (const item of values.set ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) fail(`--set takes KEY=VALUE (got "${item}")`);
    const key = item.slice(0, eq);
    if (/^(smarthost\.|delivery\.(route|paused|dnsServers|mxPort)$|relay\.(host|port)$)/.test(key))
      fail(`--set ${key} is refused: the benchmark owns the route to the loopback sink`);
    settings.push([key, item.slice(eq + 1)]);
  }

  const postfixHere = canRunPostfix();
  if (postfixText === 'yes' && postfixHere !== true) fail(`--postfix yes: ${postfixHere}`);
  if (postfixText === 'yes' && modeText === 'separate') fail('--postfix yes: Postfix is measured end to end only');
  return {
    count,
    sizes,
    dkims,
    postfix: !target && postfixText !== 'no' && postfixHere === true && modeText !== 'separate',
    size: sizes[0] as number,
    connections: Math.min(connections, count),
    runs,
    json: values.json,
    modes,
    dkim: dkims[0] as boolean,
    sink,
    sinkPort,
    target,
    settings,
    signSeconds,
    timeLimitMs: timeLimit * 1000,
    keep: values.keep,
    cpuProfDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null,
  };
}

/** True when bench/postfix-delivery.sh can run here, else why not. */
function canRunPostfix(): true | string {
  if (!fs.existsSync('/usr/sbin/postfix')) return 'Postfix is not installed (Debian: apt-get install postfix)';
  if (process.getuid?.() !== 0) return 'Postfix needs root to start (it drops to the postfix user)';
  return true;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

interface SubmitResult {
  wallMs: number;
  clientCpuMs: number;
}

/** Sends `count` messages over `connections` connections; every message must get 250. */
async function submit(
  opts: Options,
  target: { host: string; port: number },
  creds: { user: string; password: string } | null,
  deadline: number,
): Promise<SubmitResult> {
  const factory = new MessageFactory(opts.size, opts.count);
  const clients: SmtpClient[] = [];
  let next = 0;
  let sent = 0;
  let aborted: Error | null = null;
  const abortAll = (err: Error) => {
    if (aborted) return;
    aborted = err;
    for (const c of clients) c.abort(err);
  };
  const timer = setTimeout(
    () => abortAll(new BenchError(`time limit reached after ${sent} of ${opts.count} messages were accepted`)),
    Math.max(1, deadline - performance.now()),
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
      if (!methods.includes('PLAIN')) fail(`${name}: the server offers no AUTH PLAIN (EHLO said: ${show(ehlo)})`);
      client.write(`AUTH PLAIN ${Buffer.from(`\0${creds.user}\0${creds.password}`).toString('base64')}\r\n`);
      await client.expect(235, 'AUTH PLAIN');
    }
    const pipelining = ext.has('PIPELINING');
    const mailFrom = `MAIL FROM:<${factory.sender}>\r\n`;
    for (let i = next++; i < opts.count && !aborted; i = next++) {
      const rcpt = `RCPT TO:<${factory.recipient(i)}>\r\n`;
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
      client.write(factory.data(i, opts.count));
      await client.expect(250, `${label} end of data`);
      sent++;
    }
    if (aborted) throw aborted;
    await client.quit();
  };

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  try {
    const results = await Promise.allSettled(
      Array.from({ length: opts.connections }, (_, n) =>
        worker(n).catch((err: Error) => {
          abortAll(err);
          throw err;
        }),
      ),
    );
    if (aborted) throw aborted;
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
  } finally {
    clearTimeout(timer);
    for (const c of clients) c.abort(new BenchError('finished'));
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  if (sent !== opts.count) fail(`only ${sent} of ${opts.count} messages were accepted`);
  return { wallMs, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

// ---------------------------------------------------------------- /proc

let clockTicks: number | null = null;

/** USER_HZ: the unit of /proc/PID/stat times and /proc/stat. */
function clkTck(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used so far; null when not on Linux or gone. */
function processCpuSeconds(pid: number | undefined): number | null {
  if (!pid || process.platform !== 'linux') return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clkTck();
  } catch {
    return null;
  }
}

function processMemoryKb(pid: number | undefined): { rss: number | null; peak: number | null } {
  if (!pid || process.platform !== 'linux') return { rss: null, peak: null };
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return { rss: rss ? Number(rss[1]) : null, peak: hwm ? Number(hwm[1]) : null };
  } catch {
    return { rss: null, peak: null };
  }
}

/** Busy CPU seconds of the whole machine, all cores (everything but idle and iowait). */
function machineBusySeconds(): number | null {
  if (process.platform !== 'linux') return null;
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  const n = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  return (total - (n[3] as number) - (n[4] as number)) / clkTck();
}

function delta(after: number | null, before: number | null): number | null {
  return after === null || before === null ? null : after - before;
}

// ---------------------------------------------------------------- the sink

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
  });
}

/**
 * A loopback SMTP server in a child process that accepts everything and reports a running
 * count of messages on stdout ("msg=N"; smtp-sink -c writes "mesg=N" ended by CR).
 */
class Sink {
  readonly kind: SinkKind;
  readonly port: number;
  readonly child: ChildProcess;
  count = 0;
  /** performance.now() when the first message arrived. */
  firstAt: number | null = null;
  private rest = '';
  private stderrTail = '';
  private goal: { n: number; resolve: (at: number) => void } | null = null;
  private readonly exited: Promise<void>;

  private constructor(kind: SinkKind, port: number, child: ChildProcess) {
    this.kind = kind;
    this.port = port;
    this.child = child;
    child.stdout?.setEncoding('latin1');
    child.stdout?.on('data', (t: string) => this.onData(t));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (t: string) => {
      this.stderrTail = (this.stderrTail + t).slice(-4096);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get label(): string {
    return this.kind === 'smtp-sink' ? `smtp-sink (${SMTP_SINK} -c)` : 'internal smtp-server sink (child process)';
  }

  static async start(wanted: Options['sink'], fixedPort: number): Promise<Sink> {
    const kind: SinkKind = wanted === 'auto' ? (fs.existsSync(SMTP_SINK) ? 'smtp-sink' : 'internal') : wanted;
    if (kind === 'smtp-sink' && !fs.existsSync(SMTP_SINK))
      fail(`${SMTP_SINK} is not installed (Debian: apt-get install postfix); use --sink internal`);
    const port = fixedPort || (await freePort());
    let child: ChildProcess;
    if (kind === 'smtp-sink') {
      // As root, smtp-sink insists on dropping privileges (-u).
      const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
      child = spawn(SMTP_SINK, ['-c', ...user, `127.0.0.1:${port}`, '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } else {
      child = spawn(process.execPath, [import.meta.filename, '--internal-sink', String(port)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    }
    const sink = new Sink(kind, port, child);
    let gone = false;
    void sink.exited.then(() => {
      gone = true;
    });
    for (let i = 0; i < 100; i++) {
      if (gone) fail(`the sink (${sink.label}) exited at start: ${sink.stderrTail.trim()}`);
      if (await canConnect(port)) return sink;
      await new Promise((r) => setTimeout(r, 100));
    }
    sink.stop();
    fail(`the sink (${sink.label}) is not listening on 127.0.0.1:${port} after 10 s: ${sink.stderrTail.trim()}`);
  }

  private onData(text: string): void {
    const all = this.rest + text;
    const cut = Math.max(all.lastIndexOf('\r'), all.lastIndexOf('\n'));
    if (cut < 0) {
      this.rest = all.slice(-200);
      return;
    }
    this.rest = all.slice(cut + 1);
    const m = /(?:mesg|msg)=(\d+)[^\r\n]*[\r\n]*$/.exec(all.slice(0, cut + 1));
    if (!m) return;
    const now = performance.now();
    const n = Number(m[1]);
    if (n > this.count) {
      if (this.count === 0) this.firstAt = now;
      this.count = n;
    }
    if (this.goal && this.count >= this.goal.n) {
      const g = this.goal;
      this.goal = null;
      g.resolve(now);
    }
  }

  /** Resolves with performance.now() at the moment the count reached n; fails at the deadline. */
  waitFor(n: number, deadline: number, what: string): Promise<number> {
    if (this.count >= n) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.goal = null;
          reject(new BenchError(`time limit reached: the sink received ${this.count} of ${n} messages (${what})`));
        },
        Math.max(1, deadline - performance.now()),
      );
      this.goal = {
        n,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new BenchError(`the sink exited after ${this.count} messages: ${this.stderrTail.trim()}`));
      });
    });
  }

  cpuSeconds(): number | null {
    return processCpuSeconds(this.child.pid);
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}

/** `--internal-sink PORT`: the fallback sink, run as a child of the benchmark. */
async function internalSink(port: number): Promise<void> {
  const { SMTPServer } = await import('smtp-server');
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hideSTARTTLS: true,
    disableReverseLookup: true,
    logger: false,
    maxClients: 1000,
    onData(stream, _session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => {
        count++;
        process.stdout.write(`msg=${count}\n`);
        cb();
      });
    },
  });
  server.on('error', (err: Error) => process.stderr.write(`sink: ${err.message}\n`));
  server.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------- the spawned server

function engineEnv(dataDir: string): NodeJS.ProcessEnv {
  return { ...process.env, MAILROOM_DATA_DIR: dataDir, MAILROOM_SECRET_STORE: 'file' };
}

function runCli(dataDir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: SETUP_TIMEOUT_MS, env: engineEnv(dataDir) },
      (err, stdout, stderr) => {
        if (err) reject(new BenchError(`mailroom ${args.join(' ')} failed: ${err.message.trim()}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
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

interface StatusJson {
  messages?: number;
  deliveries?: Record<string, number>;
  delivery?: { waiting?: string | null; unsignedDomains?: string[] };
}

async function status(dataDir: string): Promise<StatusJson> {
  const s = firstJson(await runCli(dataDir, ['status', '--json'])) as StatusJson | undefined;
  if (!s?.deliveries) fail('"mailroom status --json" printed no deliveries');
  return s;
}

class Server {
  readonly child: ChildProcess;
  private stderrTail = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(dataDir: string, cpuProfDir: string | null) {
    const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
    this.child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: engineEnv(dataDir),
    });
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
        if (out.length > 65536) return;
        out += t;
        const msg = firstJson(out) as { event?: string; host?: string; port?: number } | undefined;
        if (msg?.event === 'listening' && typeof msg.host === 'string' && typeof msg.port === 'number') {
          clearTimeout(timer);
          resolve({ host: msg.host, port: msg.port });
        }
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new BenchError(`serve exited before listening (code ${code}, signal ${signal})\n${this.stderr}`));
      });
    });
  }

  cpuSeconds(): number | null {
    return processCpuSeconds(this.child.pid);
  }

  memoryKb(): { rss: number | null; peak: number | null } {
    return processMemoryKb(this.child.pid);
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

/** Configures a fresh data folder; returns the relay login. */
async function setUp(
  opts: Options,
  dataDir: string,
  sinkPort: number,
  paused: boolean,
): Promise<{ user: string; password: string }> {
  const set = (key: string, value: string) => runCli(dataDir, ['settings', 'set', key, value]);
  await set('relay.port', '0');
  await runCli(dataDir, ['domains', 'add', SENDER_DOMAIN]);
  if (opts.dkim) await runCli(dataDir, ['dkim', 'generate', SENDER_DOMAIN, '--algorithm', 'rsa-2048']);
  await set('delivery.route', 'smarthost');
  await set('smarthost.host', '127.0.0.1');
  await set('smarthost.port', String(sinkPort));
  await set('smarthost.security', 'none');
  // Never the system resolver: if anything asked DNS, it would ask a closed loopback port.
  await set('delivery.dnsServers', '127.0.0.1:9');
  await set('delivery.paused', paused ? 'true' : 'false');
  for (const [key, value] of opts.settings) await set(key, value);
  const c = firstJson(await runCli(dataDir, ['relay', 'credentials', '--show-password', '--json'])) as
    | { username?: string; password?: string }
    | undefined;
  if (!c?.username || !c.password) fail('"relay credentials --show-password --json" printed no username/password');
  return { user: c.username, password: c.password };
}

/** Polls `status --json` until every delivery is delivered (the results are committed in batches). */
async function verifyDelivered(dataDir: string, count: number): Promise<StatusJson> {
  const deadline = performance.now() + VERIFY_TIMEOUT_MS;
  for (let i = 0; i < 200; i++) {
    const s = await status(dataDir);
    const d = s.deliveries ?? {};
    if (d.delivered === count) return s;
    const other = Object.entries(d).filter(([k, v]) => k !== 'delivered' && k !== 'sending' && k !== 'queued' && v > 0);
    if (other.length)
      fail(`status --json shows ${other.map(([k, v]) => `${v} ${k}`).join(', ')}: ${JSON.stringify(d)}`);
    if (performance.now() > deadline)
      fail(`status --json still shows ${JSON.stringify(d)} ${VERIFY_TIMEOUT_MS / 1000} s after the sink had them all`);
    await new Promise((r) => setTimeout(r, 250));
  }
  fail('status --json never showed every delivery as delivered');
}

// ---------------------------------------------------------------- in-process DKIM signing

interface SigningFigures {
  seconds: number;
  signs: number;
  signsPerSecond: number;
  microsPerSign: number;
  /** Bare crypto.sign('sha256') of the same bytes, for the signer's own overhead. */
  rawSignsPerSecond: number;
}

async function measureSigning(opts: Options): Promise<SigningFigures> {
  const { DkimSigner } = await import('../src/main/dkim/sign.ts');
  const { generateDkimKey } = await import('../src/main/dkim/keys.ts');
  const key = crypto.createPrivateKey(generateDkimKey('rsa-2048').privateKeyPem);
  const signer = new DkimSigner([{ domain: SENDER_DOMAIN, selector: 'bench', algorithm: 'rsa-2048', privateKey: key }]);
  const factory = new MessageFactory(opts.size, 1000);
  const messages = Array.from({ length: 1000 }, (_, i) => factory.message(i, 1000));
  const budgetMs = opts.signSeconds * 1000;
  for (let i = 0; i < 20; i++) signer.sign(messages[i] as Buffer); // warm-up

  let signs = 0;
  let t0 = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs && signs < 10_000_000) {
    signer.sign(messages[signs % messages.length] as Buffer);
    signs++;
    if (signs % 16 === 0) elapsed = performance.now() - t0;
  }
  elapsed = performance.now() - t0;

  let raw = 0;
  t0 = performance.now();
  let rawElapsed = 0;
  while (rawElapsed < budgetMs / 2 && raw < 10_000_000) {
    crypto.sign('sha256', messages[raw % messages.length] as Buffer, key);
    raw++;
    if (raw % 16 === 0) rawElapsed = performance.now() - t0;
  }
  rawElapsed = performance.now() - t0;
  return {
    seconds: elapsed / 1000,
    signs,
    signsPerSecond: signs / (elapsed / 1000),
    microsPerSign: (elapsed * 1000) / signs,
    rawSignsPerSecond: raw / (rawElapsed / 1000),
  };
}

// ---------------------------------------------------------------- one run

interface Figures {
  mode: Mode;
  server: string;
  sink: string;
  dkim: boolean | null;
  messages: number;
  connections: number;
  messageBytes: number;
  /** Submission: all messages accepted (250) by the relay. */
  acceptSeconds: number;
  acceptRate: number;
  /** e2e: first connection to the last message at the sink. */
  e2eSeconds: number | null;
  e2eRate: number | null;
  /** separate: first to last message at the sink. */
  deliverySeconds: number | null;
  deliveryRate: number | null;
  /** separate: `settings set delivery.paused false` returning to the last message at the sink. */
  deliveryRateFromUnpause: number | null;
  firstArrivalAfterUnpauseSeconds: number | null;
  /** Engine CPU over the measured phase (e2e: everything; separate: the delivery phase). */
  engineCpuSeconds: number | null;
  engineCpuMsPerMessage: number | null;
  /** separate: engine CPU while enqueueing, per message. */
  engineEnqueueCpuMsPerMessage: number | null;
  enginePeakRssMb: number | null;
  engineRssBeforeMb: number | null;
  /** All cores, every process (engine, client, sink, anything else), over the measured phase. */
  machineCpuMsPerMessage: number | null;
  clientCpuSeconds: number;
  sinkCpuSeconds: number | null;
  delivered: number | null;
  node: string;
  cpus: number;
}

async function runOnce(opts: Options, mode: Mode, log: (line: string) => void): Promise<Figures> {
  let dataDir: string | null = null;
  let server: Server | null = null;
  let sink: Sink | null = null;
  const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
  const perMsg = (seconds: number | null) => (seconds === null ? null : round((seconds * 1000) / opts.count, 3));
  try {
    sink = await Sink.start(opts.sink, opts.sinkPort);
    log(`Sink: ${sink.label} on 127.0.0.1:${sink.port} (process ${sink.child.pid})`);
    let target = opts.target;
    let creds: { user: string; password: string } | null = null;
    if (!target) {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-delivery-'));
      log(`Setting up a fresh data folder in ${dataDir} (${opts.dkim ? 'DKIM rsa-2048' : 'no DKIM'}) ...`);
      if (fs.statfsSync(dataDir).type === TMPFS_MAGIC) {
        process.stderr.write(
          `bench/delivery: warning: ${os.tmpdir()} is a tmpfs, where fsync costs nothing; set TMPDIR to a disk folder for real figures\n`,
        );
      }
      creds = await setUp(opts, dataDir, sink.port, mode === 'separate');
      if (opts.cpuProfDir) fs.mkdirSync(opts.cpuProfDir, { recursive: true });
      server = new Server(dataDir, opts.cpuProfDir);
      target = await server.waitListening();
      log(`mailroom serve (process ${server.child.pid}) listening on ${target.host}:${target.port}`);
    }
    const shownTarget = `${target.host}:${target.port}`;
    const rssBefore = server?.memoryKb().rss ?? null;
    const sinkCpu0 = sink.cpuSeconds();

    let acceptMs: number;
    let clientCpuMs: number;
    let e2eMs: number | null = null;
    let deliveryMs: number | null = null;
    let fromUnpauseMs: number | null = null;
    let firstAfterUnpauseMs: number | null = null;
    let engineCpu: number | null;
    let enqueueCpu: number | null = null;
    let machineCpu: number | null;

    if (mode === 'e2e') {
      log(
        `Sending ${opts.count} messages of about ${opts.size} bytes over ${opts.connections} connections to ${shownTarget}, sending on ...`,
      );
      const cpu0 = server?.cpuSeconds() ?? null;
      const busy0 = machineBusySeconds();
      const t0 = performance.now();
      const deadline = t0 + opts.timeLimitMs;
      const arrived = sink.waitFor(opts.count, deadline, 'end to end');
      arrived.catch(() => {}); // awaited below; a failed submission must not leave it unhandled
      const load = await submit(opts, target, creds, deadline);
      acceptMs = load.wallMs;
      clientCpuMs = load.clientCpuMs;
      log(`  accepted all in ${(acceptMs / 1000).toFixed(2)} s; waiting for the sink (${sink.count} so far) ...`);
      const tEnd = await arrived;
      e2eMs = tEnd - t0;
      engineCpu = delta(server?.cpuSeconds() ?? null, cpu0);
      machineCpu = delta(machineBusySeconds(), busy0);
    } else {
      log(
        `Sending ${opts.count} messages of about ${opts.size} bytes over ${opts.connections} connections to ${shownTarget}, sending paused ...`,
      );
      const cpu0 = server?.cpuSeconds() ?? null;
      const load = await submit(opts, target, creds, performance.now() + opts.timeLimitMs);
      acceptMs = load.wallMs;
      clientCpuMs = load.clientCpuMs;
      enqueueCpu = delta(server?.cpuSeconds() ?? null, cpu0);
      const dir = dataDir as string;
      const before = await status(dir);
      if (before.deliveries?.queued !== opts.count || sink.count !== 0) {
        fail(
          `after enqueueing, status --json shows ${JSON.stringify(before.deliveries)} and the sink has ${sink.count}; expected ${opts.count} queued and 0`,
        );
      }
      log(`  ${opts.count} queued in ${(acceptMs / 1000).toFixed(2)} s; resuming sending ...`);
      const cpu1 = server?.cpuSeconds() ?? null;
      const busy0 = machineBusySeconds();
      const t0 = performance.now();
      const deadline = t0 + opts.timeLimitMs;
      const arrived = sink.waitFor(opts.count, deadline, 'delivery');
      arrived.catch(() => {});
      await runCli(dir, ['settings', 'set', 'delivery.paused', 'false']);
      const tUnpaused = performance.now();
      const tEnd = await arrived;
      engineCpu = delta(server?.cpuSeconds() ?? null, cpu1);
      machineCpu = delta(machineBusySeconds(), busy0);
      const first = sink.firstAt ?? tEnd;
      deliveryMs = tEnd - first;
      fromUnpauseMs = tEnd - tUnpaused;
      firstAfterUnpauseMs = first - tUnpaused;
    }
    const sinkCpu = delta(sink.cpuSeconds(), sinkCpu0);
    const memory = server?.memoryKb() ?? { rss: null, peak: null };
    log(`  the sink has all ${opts.count}${server ? '; checking status --json ...' : ''}`);

    let delivered: number | null = null;
    if (server && dataDir) {
      const s = await verifyDelivered(dataDir, opts.count);
      delivered = s.deliveries?.delivered ?? null;
      const unsigned = s.delivery?.unsignedDomains ?? [];
      if (opts.dkim && unsigned.length)
        fail(`status --json says ${unsigned.join(', ')} has no DKIM key: mail went unsigned`);
      await server.stop();
      if (opts.cpuProfDir) log(`CPU profile written to ${opts.cpuProfDir}`);
    }
    if (sink.count !== opts.count) fail(`the sink received ${sink.count} messages, expected ${opts.count}`);

    const mb = (kb: number | null) => (kb === null ? null : round(kb / 1024, 1));
    const rate = (ms: number | null) => (ms === null || ms <= 0 ? null : round(opts.count / (ms / 1000), 1));
    return {
      mode,
      server: server ? 'spawned mailroom serve' : `external target ${shownTarget}`,
      sink: sink.label,
      dkim: server ? opts.dkim : null,
      messages: opts.count,
      connections: opts.connections,
      messageBytes: new MessageFactory(opts.size, opts.count).approxBytes,
      acceptSeconds: round(acceptMs / 1000, 3),
      acceptRate: round(opts.count / (acceptMs / 1000), 1),
      e2eSeconds: e2eMs === null ? null : round(e2eMs / 1000, 3),
      e2eRate: rate(e2eMs),
      deliverySeconds: deliveryMs === null ? null : round(deliveryMs / 1000, 3),
      deliveryRate: rate(deliveryMs),
      deliveryRateFromUnpause: rate(fromUnpauseMs),
      firstArrivalAfterUnpauseSeconds: firstAfterUnpauseMs === null ? null : round(firstAfterUnpauseMs / 1000, 3),
      engineCpuSeconds: engineCpu === null ? null : round(engineCpu),
      engineCpuMsPerMessage: perMsg(engineCpu),
      engineEnqueueCpuMsPerMessage: perMsg(enqueueCpu),
      enginePeakRssMb: mb(memory.peak),
      engineRssBeforeMb: mb(rssBefore),
      machineCpuMsPerMessage: perMsg(machineCpu),
      clientCpuSeconds: round(clientCpuMs / 1000),
      sinkCpuSeconds: sinkCpu === null ? null : round(sinkCpu),
      delivered,
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
    sink?.stop();
    if (dataDir) {
      if (opts.keep) log(`Kept the data folder ${dataDir}`);
      else fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------- report

const fmt = (n: number | null, digits = 0, unit = '') => (n === null ? 'n/a' : `${n.toFixed(digits)}${unit}`);

function report(f: Figures, label: string, signing: SigningFigures | null): string {
  const signed =
    f.dkim === null ? "signing up to the target's own configuration" : f.dkim ? 'DKIM rsa-2048' : 'no DKIM';
  const lines = [
    `${label}: ${f.mode === 'e2e' ? 'end to end' : 'enqueue, then deliver'} — ${f.server}, ${signed} (Node ${f.node}, ${f.cpus} CPUs)`,
    `  load                ${f.messages} messages, ~${f.messageBytes} bytes, 1 recipient each, ${f.connections} client connections`,
    `  sink                ${f.sink}`,
    `  accepted            ${fmt(f.acceptRate)} msg/s (${fmt(f.acceptSeconds, 2)} s${f.mode === 'e2e' ? ', sending on' : ', sending paused'})`,
  ];
  if (f.mode === 'e2e') {
    lines.push(
      `  END TO END          ${fmt(f.e2eRate)} msg/s (${fmt(f.e2eSeconds, 2)} s, first connection to last message at the sink)`,
    );
  } else {
    lines.push(
      `  DELIVERY            ${fmt(f.deliveryRate)} msg/s (${fmt(f.deliverySeconds, 2)} s, first to last message at the sink)`,
      `    from unpausing    ${fmt(f.deliveryRateFromUnpause)} msg/s (first message ${fmt(f.firstArrivalAfterUnpauseSeconds, 2)} s after "settings set delivery.paused false")`,
    );
  }
  const phase = f.mode === 'e2e' ? 'intake + delivery' : 'delivery phase';
  if (f.enginePeakRssMb !== null || f.engineCpuMsPerMessage !== null)
    lines.push(
      `  engine CPU          ${f.engineCpuMsPerMessage === null ? 'n/a' : `${fmt(f.engineCpuMsPerMessage, 3)} ms/msg (${fmt(f.engineCpuSeconds, 2)} s, ${phase})`}${f.engineEnqueueCpuMsPerMessage === null ? '' : `; enqueue ${fmt(f.engineEnqueueCpuMsPerMessage, 3)} ms/msg`}`,
      `  engine peak RSS     ${f.enginePeakRssMb === null ? 'n/a' : `${f.enginePeakRssMb} MB (VmHWM; ${f.engineRssBeforeMb} MB before the load)`}`,
    );
  lines.push(
    `  machine CPU         ${fmt(f.machineCpuMsPerMessage, 3)} ms/msg, all cores and processes (client ${fmt(f.clientCpuSeconds, 2)} s, sink ${fmt(f.sinkCpuSeconds, 2)} s)`,
    `  delivered           ${f.delivered === null ? `${f.messages} at the sink (external target)` : `${f.delivered} (sink count and status --json)`}`,
  );
  const rate = f.mode === 'e2e' ? f.e2eRate : f.deliveryRate;
  if (signing && f.dkim && rate !== null) {
    const share = f.engineCpuMsPerMessage ? (signing.microsPerSign / 1000 / f.engineCpuMsPerMessage) * 100 : null;
    lines.push(
      `  vs signing limit    ${((rate / signing.signsPerSecond) * 100).toFixed(0)}% of one core's ${signing.signsPerSecond.toFixed(0)} signs/s; signing is ~${fmt(share)}% of the engine's CPU per message`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

function signingReport(s: SigningFigures, size: number): string {
  return [
    `In-process RSA-2048 DKIM signing of ${sizeLabel(size)} messages (DkimSigner, relaxed/relaxed, this process, one core)`,
    `  DkimSigner.sign     ${s.signsPerSecond.toFixed(0)} signs/s (${(s.microsPerSign / 1000).toFixed(3)} ms each, ${s.signs} in ${s.seconds.toFixed(1)} s)`,
    `  bare crypto.sign    ${s.rawSignsPerSecond.toFixed(0)} signs/s (same bytes; the rest is canonicalisation and hashing)`,
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
  return out as unknown as Figures;
}

// ---------------------------------------------------------------- Postfix alongside

const POSTFIX_SCRIPT = path.resolve(import.meta.dirname, 'postfix-delivery.sh');

/** Postfix relaying the same load to a sink of this benchmark (bench/postfix-delivery.sh), one run. */
async function runPostfix(opts: Options, log: (line: string) => void): Promise<Figures> {
  const [port, sinkPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    PFX_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-postfix-')),
    PFX_PORT: String(port),
    PFX_SINK_PORT: String(sinkPort),
  };
  const script = (command: string) =>
    new Promise<string>((resolve, reject) => {
      execFile('sh', [POSTFIX_SCRIPT, command], { env, timeout: SETUP_TIMEOUT_MS }, (err, stdout, stderr) => {
        if (err) reject(new BenchError(`sh bench/postfix-delivery.sh ${command} failed: ${stderr || err.message}`));
        else resolve(stdout.trim());
      });
    });
  try {
    log(await script('start'));
    for (let i = 0; !(await canConnect(port)); i++) {
      if (i >= 50) fail(`Postfix is not listening on 127.0.0.1:${port} after 5 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const figures = await runOnce({ ...opts, dkim: false, target: { host: '127.0.0.1', port }, sinkPort }, 'e2e', log);
    const left = Number(await script('count'));
    if (left !== 0) log(`warning: ${left} messages still in the Postfix queue`);
    return { ...figures, server: 'Postfix (bench/postfix-delivery.sh)', dkim: false };
  } finally {
    await script('purge').catch(() => {});
  }
}

// ---------------------------------------------------------------- main

interface Series {
  mode: Mode;
  size: number;
  /** 'mailroom' (dkim true/false) or 'postfix'. */
  server: 'mailroom' | 'postfix';
  dkim: boolean;
  runs: Figures[];
}

const sizeLabel = (bytes: number) => (bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`);
const seriesLabel = (x: Series) =>
  x.server === 'postfix' ? 'Postfix unsigned' : x.dkim ? 'Mailroom DKIM' : 'Mailroom unsigned';
const rateOf = (f: Figures) => (f.mode === 'e2e' ? f.e2eRate : f.deliveryRate);

interface HeadlineRow {
  size: number;
  mailroomUnsigned: number | null;
  postfix: number | null;
  mailroomSigned: number | null;
  unsignedRatio: number | null;
  signedRatio: number | null;
  cpuMsUnsigned: number | null;
  cpuMsSigned: number | null;
}

function headlineRows(series: Series[]): HeadlineRow[] {
  const rows: HeadlineRow[] = [];
  for (const size of [...new Set(series.filter((x) => x.mode === 'e2e').map((x) => x.size))]) {
    const pick = (server: Series['server'], dkim: boolean) => {
      const x = series.find((y) => y.mode === 'e2e' && y.size === size && y.server === server && y.dkim === dkim);
      return x?.runs.length ? medians(x.runs) : null;
    };
    const mu = pick('mailroom', false);
    const ms = pick('mailroom', true);
    const pf = pick('postfix', false);
    const ratio = (a: Figures | null) =>
      a?.e2eRate && pf?.e2eRate ? Math.round((a.e2eRate / pf.e2eRate) * 100) / 100 : null;
    rows.push({
      size,
      mailroomUnsigned: mu?.e2eRate ?? null,
      postfix: pf?.e2eRate ?? null,
      mailroomSigned: ms?.e2eRate ?? null,
      unsignedRatio: ratio(mu),
      signedRatio: ratio(ms),
      cpuMsUnsigned: mu?.engineCpuMsPerMessage ?? null,
      cpuMsSigned: ms?.engineCpuMsPerMessage ?? null,
    });
  }
  return rows;
}

function headlineReport(rows: HeadlineRow[], runs: number, count: number, connections: number): string {
  const cell = (rate: number | null, ratio: number | null) =>
    rate === null ? 'n/a' : `${rate.toFixed(0)} msg/s${ratio === null ? '' : ` (${ratio.toFixed(2)}×)`}`;
  const lines = [
    `HEADLINE: end to end, ${count} messages, ${connections} connections, ${runs > 1 ? `medians of ${runs} interleaved runs` : 'one run each'}; × is the ratio to Postfix`,
    `  ${'size'.padEnd(8)} ${'Mailroom unsigned'.padEnd(22)} ${'Postfix unsigned'.padEnd(18)} ${'Mailroom DKIM'.padEnd(22)} engine CPU ms/msg (unsigned, DKIM)`,
  ];
  for (const r of rows) {
    lines.push(
      `  ${sizeLabel(r.size).padEnd(8)} ${cell(r.mailroomUnsigned, r.unsignedRatio).padEnd(22)} ${cell(r.postfix, null).padEnd(18)} ${cell(r.mailroomSigned, r.signedRatio).padEnd(22)} ${fmt(r.cpuMsUnsigned, 3)}, ${fmt(r.cpuMsSigned, 3)}`,
    );
  }
  lines.push(
    `  load average at the end: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(', ')} (${os.availableParallelism()} CPUs)`,
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const log = (line: string) => {
    if (!opts.json) process.stderr.write(`${line}\n`);
  };
  const signing = new Map<number, SigningFigures>();
  const series: Series[] = [];
  try {
    if (opts.signSeconds > 0 && !opts.target && opts.dkims.includes(true)) {
      for (const size of opts.sizes) {
        log(`Timing in-process RSA-2048 DKIM signing of ${sizeLabel(size)} messages for ${opts.signSeconds} s ...`);
        const s = await measureSigning({ ...opts, size });
        signing.set(size, s);
        if (!opts.json) process.stdout.write(signingReport(s, size));
      }
    }
    for (const mode of opts.modes) {
      for (const size of opts.sizes) {
        const here: Series[] = opts.target
          ? [{ mode, size, server: 'mailroom', dkim: false, runs: [] }]
          : opts.dkims.map((dkim) => ({ mode, size, server: 'mailroom' as const, dkim, runs: [] }));
        if (opts.postfix && mode === 'e2e') here.push({ mode, size, server: 'postfix', dkim: false, runs: [] });
        series.push(...here);
        // Interleaved: each run of every configuration sees the machine as the others do.
        for (let r = 1; r <= opts.runs; r++) {
          for (const x of here) {
            const name = opts.target ? 'the target' : seriesLabel(x);
            log(`--- ${mode}, ${sizeLabel(size)}, ${name}${opts.runs > 1 ? `: run ${r} of ${opts.runs}` : ''}`);
            const runOpts = { ...opts, size, dkim: x.dkim };
            const figures = x.server === 'postfix' ? await runPostfix(runOpts, log) : await runOnce(runOpts, mode, log);
            x.runs.push(figures);
            if (!opts.json)
              process.stdout.write(
                report(figures, opts.runs > 1 ? `Run ${r}` : 'Delivery benchmark', signing.get(size) ?? null),
              );
          }
        }
        if (opts.runs > 1 && !opts.json) {
          for (const x of here) {
            process.stdout.write(
              report(medians(x.runs), `Medians of ${x.runs.length} runs, ${seriesLabel(x)}`, signing.get(size) ?? null),
            );
            process.stdout.write(`  rates               ${x.runs.map((f) => fmt(rateOf(f))).join(', ')} msg/s\n\n`);
          }
        }
      }
    }
  } catch (err) {
    const message = err instanceof BenchError ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`bench/delivery: FAILED: ${message}\n`);
    return 1;
  }
  const rows = opts.target ? [] : headlineRows(series);
  if (opts.json) {
    const out = {
      signing: Object.fromEntries(signing),
      headline: rows,
      series: series.map((x) => ({
        mode: x.mode,
        size: x.size,
        server: x.server,
        dkim: x.dkim,
        median: medians(x.runs),
        runs: x.runs,
      })),
      loadAverage: os.loadavg(),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (rows.length) {
    process.stdout.write(headlineReport(rows, opts.runs, opts.count, opts.connections));
  }
  return 0;
}

if (process.argv[2] === '--internal-sink') {
  void internalSink(Number(process.argv[3]));
} else {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`bench/delivery: FAILED: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
