// Delivery-log benchmark: does the log screen stay fast with 1,000,000 deliveries?
//
//   node bench/log.ts                        seed a temp data folder (200,000 messages × 5 recipients), time, delete it
//   node bench/log.ts --data DIR             seed DIR if it has no deliveries yet, else reuse it; keep it afterwards
//   node bench/log.ts --messages 20000       a smaller log (× --recipients, default 5)
//   node bench/log.ts --runs 7 --plans       runs per case (median); --plans prints SQLite's plan for each statement
//   node bench/log.ts --json                 the figures as one JSON object on stdout
//
// The seed is 30 days of relay mail ending now: message sizes 1–6 KB stored inline (as the
// relay stores anything under 1 MB), recipients over ten big mailbox providers and a long
// tail of 5,000 company domains, statuses by age (older mail delivered, bounced or
// cancelled; the last days also deferred and unknown; the last hour queued and sending),
// 2–3 events per delivery, outcome times rounded to 100 ms so updated_at has ties. A few
// subjects carry the rare word "Zebracorn".
//
// Each case is run once right after opening the database (cold: SQLite's cache is empty,
// the OS file cache is not), then --runs times; the table shows the cold time and the
// median. Everything goes through the same functions the window calls.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Db } from '../src/main/db/connection.ts';
import { Engine } from '../src/main/engine/engine.ts';
import { silentLogger } from '../src/main/engine/log.ts';
import { writeDeliveryCsv } from '../src/main/queue/log-csv.ts';
import { searchDeliveries } from '../src/main/queue/log-search.ts';
import { todayCounts } from '../src/main/queue/log-today.ts';
import { type LogQuery, logQuerySchema } from '../src/shared/domain/delivery-log.ts';

const DAY = 86_400_000;

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string' },
    messages: { type: 'string', default: '200000' },
    recipients: { type: 'string', default: '5' },
    runs: { type: 'string', default: '7' },
    plans: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(opts.messages);
const RECIPIENTS = Number(opts.recipients);
const RUNS = Math.max(1, Number(opts.runs));
const say = (line: string) => {
  if (!opts.json) console.log(line);
};

// ---------------------------------------------------------------- seed

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seed(db: Db, now: number) {
  const rand = rng(42);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)] as T;
  const big: [string, number][] = [
    ['gmail.com', 30],
    ['outlook.com', 10],
    ['yahoo.com', 7],
    ['hotmail.com', 5],
    ['icloud.com', 5],
    ['gmx.de', 4],
    ['web.de', 4],
    ['t-online.de', 3],
    ['aol.com', 1],
    ['proton.me', 1],
  ];
  const tail = Array.from({ length: 5000 }, (_, i) => `company${i}.example`);
  const domainOf = () => {
    let r = rand() * 100;
    for (const [d, w] of big) {
      r -= w;
      if (r < 0) return d;
    }
    return tail[Math.floor(tail.length * rand() ** 2)] as string; // a few big customers, a long tail
  };
  const first = ['anna', 'ben', 'carla', 'david', 'eva', 'felix', 'greta', 'hans', 'ida', 'jonas', 'karin', 'lukas'];
  const last = ['mueller', 'schmidt', 'meyer', 'weber', 'wagner', 'becker', 'schulz', 'hoffmann', 'koch', 'wolf'];
  const senders = ['news@shop.example', 'billing@shop.example', 'support@shop.example', 'anna@shop.example', ''];
  const subjects = [
    (n: number) => `Your order #${n} has shipped`,
    (n: number) => `Invoice INV-${n}`,
    () => 'Our spring newsletter: new arrivals',
    () => 'Last chance: 20% off everything',
    (n: number) => `Re: question about ticket ${n}`,
    () => 'Welcome to Shop Example',
    (n: number) => `Password reset code ${n % 1_000_000}`,
  ];
  const filler = Buffer.alloc(8192, 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ');
  const insMsg = db.prepare(
    `INSERT INTO messages (source, queue_id, mail_from, message_id, subject, header_from, size, body, created_at)
     VALUES ('relay', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insDel = db.prepare(
    `INSERT INTO deliveries (message_id, recipient, domain, route, status, attempts, next_attempt_at, lease_until,
       last_code, last_enhanced, last_response, category, created_at, updated_at)
     VALUES (?, ?, ?, 'direct', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insEv = db.prepare(
    `INSERT INTO delivery_events (delivery_id, at, kind, route, remote_host, tls, code, enhanced, response, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  type Ev = [
    at: number,
    kind: string,
    code: number | null,
    enhanced: string | null,
    reply: string | null,
    detail: string,
  ];
  const start = now - 30 * DAY;
  const step = (30 * DAY) / MESSAGES;
  let deliveries = 0;
  let events = 0;
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const created = Math.floor(start + i * step + rand() * 1000);
      const age = now - created;
      const sender = pick(senders);
      const subject = i % 10_000 === 7 ? `Zebracorn update ${i}` : pick(subjects)(Math.floor(rand() * 1e7));
      const msgId = `<${crypto.randomUUID()}@shop.example>`;
      const head = Buffer.from(
        `From: Shop <${sender || 'news@shop.example'}>\r\nTo: undisclosed-recipients:;\r\nSubject: ${subject}\r\n` +
          `Message-ID: ${msgId}\r\nDate: ${new Date(created).toUTCString()}\r\nMIME-Version: 1.0\r\n` +
          'Content-Type: text/plain; charset=utf-8\r\n\r\n',
      );
      const body = Buffer.concat([head, filler.subarray(0, 1000 + Math.floor(rand() * 5000))]);
      const queueId = crypto.randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
      const mid = Number(
        insMsg.run(queueId, sender, msgId, subject, `Shop <${sender}>`, body.length, body, created).lastInsertRowid,
      );
      for (let r = 0; r < RECIPIENTS; r++) {
        const domain = domainOf();
        let local = `${pick(first)}.${pick(last)}${Math.floor(rand() * 1000)}`;
        if (rand() < 0.1) local = local[0]?.toUpperCase() + local.slice(1);
        const x = rand();
        let status: string;
        if (age > 5 * DAY) status = x < 0.935 ? 'delivered' : x < 0.985 ? 'bounced' : 'cancelled';
        else if (age > 3_600_000)
          status =
            x < 0.88
              ? 'delivered'
              : x < 0.92
                ? 'bounced'
                : x < 0.985
                  ? 'deferred'
                  : x < 0.995
                    ? 'cancelled'
                    : 'unknown';
        else
          status =
            x < 0.6
              ? 'delivered'
              : x < 0.8
                ? 'queued'
                : x < 0.9
                  ? 'deferred'
                  : x < 0.95
                    ? 'sending'
                    : x < 0.99
                      ? 'bounced'
                      : 'unknown';
        const evs: Ev[] = [[created, 'queued', null, null, null, 'accepted from 127.0.0.1 as relay']];
        let t = created;
        const later = (ms: number) => {
          t = Math.min(now, Math.round((t + ms) / 100) * 100);
          return t;
        };
        let attempts = 0;
        const defer = () => {
          attempts++;
          evs.push([
            later(300_000 + rand() * 600_000),
            'deferred',
            451,
            '4.7.1',
            '451 4.7.1 Try again later',
            'Later.',
          ]);
        };
        if (status === 'delivered' || status === 'bounced') {
          if (rand() < (status === 'delivered' ? 0.15 : 0.3)) defer();
          attempts++;
          evs.push(
            status === 'delivered'
              ? [later(500 + rand() * 20_000), 'delivered', 250, '2.0.0', '250 2.0.0 OK', 'Delivered.']
              : [later(500 + rand() * 20_000), 'bounced', 550, '5.1.1', '550 5.1.1 User unknown', 'No such user.'],
          );
        } else if (status === 'deferred') {
          defer();
          if (rand() < 0.5) defer();
        } else if (status === 'cancelled') {
          defer();
          evs.push([later(60_000), 'cancelled', null, null, null, 'Cancelled by you; it will not be sent.']);
        } else if (status === 'unknown') {
          attempts++;
          evs.push([later(500), 'unknown', null, null, null, 'The connection was lost after the final dot.']);
        } else if (status === 'sending') attempts++;
        const outcome = evs.findLast((e) => e[2] !== null);
        const updated = (evs[evs.length - 1] as Ev)[0];
        const did = Number(
          insDel.run(
            mid,
            `${local}@${domain}`,
            domain,
            status,
            attempts,
            status === 'deferred' ? updated + 600_000 : status === 'queued' ? created : updated,
            status === 'sending' || status === 'unknown' ? now + 60_000 : null,
            outcome?.[2] ?? null,
            outcome?.[3] ?? null,
            outcome?.[4] ?? null,
            status === 'bounced' ? 'recipient' : status === 'deferred' ? 'rate-limit' : null,
            created,
            updated,
          ).lastInsertRowid,
        );
        deliveries++;
        for (const [at, kind, code, enhanced, reply, detail] of evs) {
          const remote = code === null ? null : `mx.${domain}`;
          insEv.run(
            did,
            at,
            kind,
            code === null ? null : 'direct',
            remote,
            code === null ? null : 1,
            code,
            enhanced,
            reply,
            detail,
          );
          events++;
        }
      }
    }
  });
  for (let i = 0; i < MESSAGES; i += 5000) batch(i, Math.min(MESSAGES, i + 5000));
  return { deliveries, events };
}

// ---------------------------------------------------------------- timing

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Result {
  name: string;
  coldMs: number;
  medianMs: number;
  note: string;
}

async function main(dir: string) {
  const open = () => new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  let engine = open();
  const nowFile = path.join(dir, 'bench-log-now');
  const existing = engine.db.prepare('SELECT count(*) FROM deliveries').pluck().get() as number;
  let now: number;
  if (existing > 0 && fs.existsSync(nowFile)) {
    now = Number(fs.readFileSync(nowFile, 'utf8'));
    say(`Reusing ${dir}: ${existing.toLocaleString('en')} deliveries.`);
  } else {
    if (existing > 0) throw new Error(`${dir} already has deliveries that this benchmark did not seed`);
    now = Date.now();
    say(`Seeding ${dir}: ${MESSAGES.toLocaleString('en')} messages × ${RECIPIENTS} recipients…`);
    const t0 = performance.now();
    const seeded = seed(engine.db, now);
    const ms = performance.now() - t0;
    engine.db.pragma('wal_checkpoint(TRUNCATE)');
    fs.writeFileSync(nowFile, String(now));
    say(
      `Seeded ${seeded.deliveries.toLocaleString('en')} deliveries and ${seeded.events.toLocaleString('en')} events in ${(ms / 1000).toFixed(1)} s (${Math.round(seeded.deliveries / (ms / 1000)).toLocaleString('en')} deliveries/s with their messages and events).`,
    );
  }
  // A fresh connection: SQLite's page cache is empty for the cold runs.
  await engine.close();
  engine = open();
  const db = engine.db;
  const dbBytes = fs.statSync(path.join(dir, 'mailroom.db')).size;

  const plans = new Map<string, string[]>();
  const withPlans = async <T>(name: string, fn: () => T): Promise<Awaited<T>> => {
    if (!opts.plans) return await fn();
    const prepare = db.prepare;
    const seen: string[] = [];
    db.prepare = ((sql: string) => {
      seen.push(sql);
      return prepare.call(db, sql);
    }) as typeof db.prepare;
    try {
      return await fn();
    } finally {
      db.prepare = prepare;
      plans.set(
        name,
        seen.flatMap((sql) => {
          if (!/^\s*SELECT/i.test(sql)) return [];
          const params = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], planParam(m[1] as string)]));
          const positional = (sql.match(/\?/g) ?? []).map(() => '[]');
          try {
            const stmt = prepare.call(db, `EXPLAIN QUERY PLAN ${sql}`) as unknown as {
              all(...a: unknown[]): unknown[];
            };
            const rows = (Object.keys(params).length ? stmt.all(params) : stmt.all(...positional)) as {
              detail: string;
            }[];
            return [`${sql.replace(/\s+/g, ' ').slice(0, 160)}`, ...rows.map((r) => `    ${r.detail}`)];
          } catch (err) {
            return [`${sql.replace(/\s+/g, ' ').slice(0, 160)}`, `    (no plan: ${(err as Error).message})`];
          }
        }),
      );
    }
  };
  const planParam = (name: string) =>
    ['ids'].includes(name) ? '[]' : ['like', 'domain', 'kp'].includes(name) ? 'x' : 0;

  const results: Result[] = [];
  const time = async (name: string, fn: () => unknown, note: (out: unknown) => string = () => '', runs = RUNS) => {
    let t = performance.now();
    let out = await withPlans(name, fn);
    const coldMs = performance.now() - t;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      out = await fn();
      times.push(performance.now() - t);
    }
    const r = { name, coldMs, medianMs: median(times), note: note(out) };
    results.push(r);
    say(`${name.padEnd(52)} ${r.coldMs.toFixed(1).padStart(9)} ${r.medianMs.toFixed(1).padStart(9)}   ${r.note}`);
  };
  const search = (q: LogQuery) => () => searchDeliveries(db, logQuerySchema.parse(q));
  const pageNote = (out: unknown) => {
    const p = out as ReturnType<typeof searchDeliveries>;
    return `${p.rows.length} rows, total ${p.total.capped ? 'more than ' : ''}${p.total.count.toLocaleString('en')}`;
  };

  say('');
  say(`${'case'.padEnd(52)} ${'cold ms'.padStart(9)} ${'median'.padStart(9)}   result`);
  await time('first page, newest (50)', search({ pageSize: 50 }), pageNote);
  await time(
    'total count alone (SELECT count(*))',
    () => db.prepare('SELECT count(*) FROM deliveries').pluck().get(),
    (n) => `${(n as number).toLocaleString('en')} deliveries`,
  );
  const first = searchDeliveries(db, logQuerySchema.parse({ pageSize: 50 }));
  await time('next page via cursor', search({ pageSize: 50, cursor: first.next ?? undefined }), pageNote);
  let deep = first;
  for (let i = 0; i < 999 && deep.next; i++) deep = searchDeliveries(db, logQuerySchema.parse({ cursor: deep.next }));
  await time('page 1,001 via cursor', search({ pageSize: 50, cursor: deep.next ?? undefined }), pageNote);
  await time('previous page from page 1,001', search({ pageSize: 50, cursor: deep.previous ?? undefined }), pageNote);
  await time('status = bounced', search({ filter: { statuses: ['bounced'] } }), pageNote);
  await time(
    'status = deferred, oldest first',
    search({ filter: { statuses: ['deferred'] }, sort: 'oldest' }),
    pageNote,
  );
  await time('status = unknown or sending', search({ filter: { statuses: ['unknown', 'sending'] } }), pageNote);
  await time('status = delivered (most rows)', search({ filter: { statuses: ['delivered'] } }), pageNote);
  await time('domain = gmail.com', search({ filter: { domain: 'gmail.com' } }), pageNote);
  await time('domain = company4000.example (rare)', search({ filter: { domain: 'company4000.example' } }), pageNote);
  const day20 = now - 20 * DAY;
  await time('queued in one day, 20 days ago', search({ filter: { since: day20, until: day20 + DAY } }), pageNote);
  await time('queued in the last 7 days', search({ filter: { since: now - 7 * DAY } }), pageNote);
  await time(
    'delivered + one day 20 days ago',
    search({ filter: { statuses: ['delivered'], since: day20, until: day20 + DAY } }),
    pageNote,
  );
  await time(
    'bounced + gmail.com + last 7 days',
    search({ filter: { statuses: ['bounced'], domain: 'gmail.com', since: now - 7 * DAY } }),
    pageNote,
  );
  await time('text "zebracorn" (rare)', search({ filter: { text: 'zebracorn' } }), pageNote);
  await time('text "order" (common)', search({ filter: { text: 'order' } }), pageNote);
  await time('text "mueller" + bounced', search({ filter: { text: 'mueller', statuses: ['bounced'] } }), pageNote);
  await time('sort recently-updated', search({ sort: 'recently-updated' }), pageNote);
  await time('sort recipient', search({ sort: 'recipient' }), pageNote);
  await time('sort recipient + bounced', search({ sort: 'recipient', filter: { statuses: ['bounced'] } }), pageNote);
  await time(
    'recently-updated + one day 20 days ago',
    search({ sort: 'recently-updated', filter: { since: day20, until: day20 + DAY } }),
    pageNote,
  );
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  await time(
    'todayCounts (since local midnight)',
    () => todayCounts(db, midnight.getTime()),
    (c) => JSON.stringify(c),
  );
  await time(
    'todayCounts (last 24 hours)',
    () => todayCounts(db, now - DAY),
    (c) => JSON.stringify(c),
  );
  await time(
    'engine.status() (GROUP BY status over all)',
    () => engine.status(),
    (s) =>
      Object.entries((s as ReturnType<Engine['status']>).deliveries)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
  );
  const csvFile = path.join(dir, 'bench-export.csv');
  const exportBounced = async () => (await writeDeliveryCsv(db, { statuses: ['bounced'] }, 'newest', csvFile)).rows;
  await time(
    'CSV export, status = bounced',
    exportBounced,
    (n) => `${(n as number).toLocaleString('en')} rows, ${(fs.statSync(csvFile).size / 1e6).toFixed(1)} MB`,
    3,
  );
  const csv = results[results.length - 1] as Result;
  const exported = Number(csv.note.split(' ')[0]?.replaceAll(',', ''));
  const rate = Math.round(exported / (csv.medianMs / 1000));
  csv.note += `, ${rate.toLocaleString('en')} rows/s`;
  say(`${''.padEnd(52)} ${''.padStart(9)} ${''.padStart(9)}   = ${rate.toLocaleString('en')} rows/s`);

  // The relay keeps working during an export: the longest the event loop was blocked.
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
  }, 1);
  await exportBounced();
  clearInterval(timer);
  say(`${'longest event-loop stall during that export'.padEnd(52)} ${''.padStart(9)} ${maxGap.toFixed(1).padStart(9)}`);
  results.push({ name: 'longest event-loop stall during the export', coldMs: 0, medianMs: maxGap, note: '' });

  say('');
  say(`Database: ${(dbBytes / 1e6).toFixed(0)} MB (${path.join(dir, 'mailroom.db')})`);
  for (const [name, lines] of plans) {
    say(`\n# ${name}`);
    for (const l of lines) say(`  ${l}`);
  }
  if (opts.json) console.log(JSON.stringify({ dbBytes, results }, null, 2));
  await engine.close();
  fs.rmSync(csvFile, { force: true });
}

const benchDir = opts.data ? path.resolve(opts.data) : fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-log-'));
const cleanUp = () => {
  if (!opts.data) fs.rmSync(benchDir, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  cleanUp();
  process.exit(130);
});
try {
  await main(benchDir);
} finally {
  cleanUp();
}
