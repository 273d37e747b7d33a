import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/main/db/connection.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { queryDeliveryLog } from '../../src/main/queue/delivery-log.ts';
import { cancelDeliveries, retryDeliveries } from '../../src/main/queue/log-actions.ts';
import { csvCell, writeDeliveryCsv } from '../../src/main/queue/log-csv.ts';
import { deliveryDetail } from '../../src/main/queue/log-detail.ts';
import type { SearchTuning } from '../../src/main/queue/log-plan.ts';
import { searchDeliveries } from '../../src/main/queue/log-search.ts';
import { todayCounts } from '../../src/main/queue/log-today.ts';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../src/shared/domain/delivery.ts';
import {
  LOG_SORTS,
  type LogFilter,
  type LogPage,
  type LogQuery,
  type LogSort,
  logDetailSchema,
  logQuerySchema,
  logRowSchema,
} from '../../src/shared/domain/delivery-log.ts';
import { MailroomError } from '../../src/shared/errors.ts';
import { tempDir } from '../helpers/engine.ts';

let dir: string;
let engine: Engine;
let db: Db;

beforeEach(() => {
  dir = tempDir();
  engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  db = engine.db;
});
afterEach(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 0, 10, 12);
const MIN = 60_000;

interface MessageSeed {
  source?: string;
  queueId: string;
  mailFrom?: string;
  subject?: string | null;
  messageId?: string | null;
  body?: Buffer | null;
  spoolPath?: string | null;
  createdAt?: number;
}

function addMessage(m: MessageSeed): number {
  const body = m.body === undefined && m.spoolPath == null && m.source !== 'campaign' ? Buffer.from('x') : m.body;
  return Number(
    db
      .prepare(
        `INSERT INTO messages (source, queue_id, mail_from, message_id, subject, size, body, spool_path, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        m.source ?? 'relay',
        m.queueId,
        m.mailFrom ?? 'news@shop.test',
        m.messageId ?? null,
        m.subject ?? null,
        body?.length ?? 0,
        body ?? null,
        m.spoolPath ?? null,
        m.createdAt ?? T0,
      ).lastInsertRowid,
  );
}

interface DeliverySeed {
  recipient: string;
  domain?: string;
  status?: DeliveryStatus;
  createdAt?: number;
  updatedAt?: number;
  nextAttemptAt?: number;
  leaseUntil?: number | null;
  attempts?: number;
  lastCode?: number | null;
  lastEnhanced?: string | null;
  lastResponse?: string | null;
  category?: string | null;
}

function addDelivery(messageId: number, d: DeliverySeed): number {
  return Number(
    db
      .prepare(
        `INSERT INTO deliveries (message_id, recipient, domain, status, attempts, next_attempt_at, lease_until,
           last_code, last_enhanced, last_response, category, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        messageId,
        d.recipient,
        d.domain ?? d.recipient.slice(d.recipient.lastIndexOf('@') + 1).toLowerCase(),
        d.status ?? 'queued',
        d.attempts ?? 0,
        d.nextAttemptAt ?? (d.createdAt ?? T0) + 5 * MIN,
        d.leaseUntil ?? null,
        d.lastCode ?? null,
        d.lastEnhanced ?? null,
        d.lastResponse ?? null,
        d.category ?? null,
        d.createdAt ?? T0,
        d.updatedAt ?? d.createdAt ?? T0,
      ).lastInsertRowid,
  );
}

// ---------------------------------------------------------------- a log to search

const SUBJECTS = [
  'Invoice 100% paid',
  'under_score offer',
  'back\\slash news',
  'Weekly news',
  null,
  'Ihre Bestellung',
  'Order 42 shipped',
];
const SENDERS = ['news@shop.test', 'billing@shop.test', '', 'anna@percent.test'];
// Case variants and repeats: recipient order has ties, and sorts case-insensitively.
const RECIPIENTS = [
  'alice@a.test',
  'Bob@b.test',
  'bob@b.test',
  'carol@xn--bcher-kva.test',
  'dave@a.test',
  'ALICE@a.test',
  'erin_x@b.test',
  'frank%y@c.test',
  'gina@a.test',
];

interface Ref {
  id: number;
  recipient: string;
  domain: string;
  status: DeliveryStatus;
  createdAt: number;
  updatedAt: number;
  mailFrom: string;
  subject: string | null;
  queueId: string;
  messageId: string | null;
}

/** About 300 deliveries over 60 messages, with ties in updated_at and recipient and a few out-of-order created_at. */
function seedLog(): Ref[] {
  let k = 0;
  for (let i = 0; i < 60; i++) {
    const mid = addMessage({
      queueId: `Q${String(i).padStart(3, '0')}AB`,
      mailFrom: SENDERS[i % SENDERS.length],
      subject: SUBJECTS[i % SUBJECTS.length] ?? null,
      messageId: i % 9 === 0 ? null : `<m${i}.x_y@shop.test>`,
      createdAt: T0 + i * MIN,
    });
    for (let r = 0; r < 1 + (i % 9); r++) {
      k++;
      const created = k % 17 === 0 ? T0 - k * 1000 : T0 + i * MIN + r; // a few queued "before" older rows
      addDelivery(mid, {
        recipient: RECIPIENTS[(i + r * 4) % RECIPIENTS.length] as string,
        status: DELIVERY_STATUSES[(k * 3) % DELIVERY_STATUSES.length] as DeliveryStatus,
        createdAt: created,
        updatedAt: T0 + (k % 6) * 1000, // many ties
        attempts: k % 4,
      });
    }
  }
  return db
    .prepare(
      `SELECT d.id, d.recipient, d.domain, d.status, d.created_at AS createdAt, d.updated_at AS updatedAt,
         m.mail_from AS mailFrom, m.subject, m.queue_id AS queueId, m.message_id AS messageId
       FROM deliveries d JOIN messages m ON m.id = d.message_id ORDER BY d.id`,
    )
    .all() as Ref[];
}

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const nocase = (a: string, b: string) => Buffer.compare(Buffer.from(asciiLower(a)), Buffer.from(asciiLower(b)));

/** What the log should show: filtered and sorted in plain JavaScript. */
function expected(all: Ref[], filter: LogFilter, sort: LogSort): number[] {
  const text = filter.text ? asciiLower(filter.text) : null;
  const rows = all.filter(
    (r) =>
      (!filter.statuses?.length || filter.statuses.includes(r.status)) &&
      (filter.domain === undefined || r.domain === filter.domain) &&
      (filter.since === undefined || r.createdAt >= filter.since) &&
      (filter.until === undefined || r.createdAt < filter.until) &&
      (text === null ||
        [r.recipient, r.mailFrom, r.subject, r.queueId, r.messageId].some(
          (v) => v !== null && asciiLower(v).includes(text),
        )),
  );
  const cmp: Record<LogSort, (a: Ref, b: Ref) => number> = {
    newest: (a, b) => b.id - a.id,
    oldest: (a, b) => a.id - b.id,
    'recently-updated': (a, b) => b.updatedAt - a.updatedAt || b.id - a.id,
    recipient: (a, b) => nocase(a.recipient, b.recipient) || a.id - b.id,
  };
  return rows.sort(cmp[sort]).map((r) => r.id);
}

const search = (q: LogQuery, tuning?: Partial<SearchTuning>) => searchDeliveries(db, logQuerySchema.parse(q), tuning);

/** Pages forward to the end, then back to the start, checking every page against the expected order. */
function walkBothWays(q: LogQuery, want: number[], tuning?: Partial<SearchTuning>): void {
  const size = (q.pageSize ?? 50) as number;
  const pages: number[][] = [];
  let page: LogPage = search(q, tuning);
  expect(page.previous).toBeNull();
  for (;;) {
    pages.push(page.rows.map((r) => r.id));
    if (!page.next) break;
    const next = search({ ...q, cursor: page.next }, tuning);
    expect(next.previous).not.toBeNull();
    page = next;
    if (pages.length > 100) throw new Error('runaway paging');
  }
  expect(pages.flat()).toEqual(want);
  expect(pages.slice(0, -1).every((p) => p.length === size)).toBe(true);
  // And back, page by page, to the first page.
  for (let i = pages.length - 2; i >= 0; i--) {
    expect(page.previous).not.toBeNull();
    page = search({ ...q, cursor: page.previous as string }, tuning);
    expect(page.rows.map((r) => r.id)).toEqual(pages[i]);
  }
  expect(page.previous).toBeNull();
}

describe('delivery log search', () => {
  it('pages forward and back through every sort and filter with every plan, with no gaps or repeats', () => {
    const all = seedLog();
    expect(all.length).toBeGreaterThan(250);
    const filters: LogFilter[] = [
      {},
      { statuses: ['delivered', 'bounced', 'queued'] },
      { statuses: ['deferred'] },
      { domain: 'a.test' },
      { since: T0 + 10 * MIN, until: T0 + 40 * MIN },
      { text: 'b' },
      { text: 'news' },
      { statuses: ['queued', 'deferred', 'unknown', 'sending'], domain: 'b.test', since: T0 },
      { statuses: ['delivered', 'cancelled'], text: 'a', until: T0 + 50 * MIN },
    ];
    const tunings: Partial<SearchTuning>[] = [
      {},
      { force: 'ids' },
      { countCap: 3 },
      { countCap: 3, probeCap: 2 },
      { countCap: 3, force: 'walk' },
      { countCap: 3, force: 'status' },
      { countCap: 3, force: 'domain' },
      { countCap: 3, force: 'date' },
      { countCap: 3, budget: 0 },
    ];
    for (const filter of filters) {
      for (const sort of LOG_SORTS) {
        const want = expected(all, filter, sort);
        expect(want.length).toBeGreaterThan(0);
        for (const tuning of tunings) {
          try {
            walkBothWays({ filter, sort, pageSize: 25 }, want, tuning);
          } catch (err) {
            throw new Error(`${JSON.stringify({ filter, sort, tuning })}: ${(err as Error).message}`);
          }
        }
      }
    }
  });

  it('returns rows in the shared shape, with the domain and a due time only while waiting', () => {
    seedLog();
    const page = search({ pageSize: 200 });
    expect(page.rows).toHaveLength(200);
    for (const row of page.rows) {
      expect(logRowSchema.strict().parse(row)).toEqual(row);
      expect(row.domain).toBe(row.recipient.slice(row.recipient.indexOf('@') + 1).toLowerCase());
      if (row.status === 'queued' || row.status === 'deferred') expect(row.nextAttemptAt).toBeTypeOf('number');
      else expect(row.nextAttemptAt).toBeNull();
    }
    const mid = addMessage({ queueId: 'QNULL', mailFrom: '', subject: null });
    addDelivery(mid, {
      recipient: 'x@z.test',
      status: 'bounced',
      lastCode: 550,
      lastEnhanced: '5.1.1',
      lastResponse: 'no',
      category: 'recipient',
    });
    const [row] = search({ pageSize: 25 }).rows;
    expect(row).toMatchObject({
      queueId: 'QNULL',
      mailFrom: '',
      subject: null,
      lastCode: 550,
      lastEnhanced: '5.1.1',
      category: 'recipient',
    });
  });

  it('filters by status, domain (any case, IDN, leading @), time and text', () => {
    const all = seedLog();
    const ids = (filter: LogFilter, sort: LogSort = 'newest') => {
      const out: number[] = [];
      let page = search({ filter, sort, pageSize: 200 });
      out.push(...page.rows.map((r) => r.id));
      while (page.next) {
        page = search({ filter, sort, pageSize: 200, cursor: page.next });
        out.push(...page.rows.map((r) => r.id));
      }
      return out;
    };
    expect(ids({ statuses: ['bounced'] })).toEqual(expected(all, { statuses: ['bounced'] }, 'newest'));
    // Every status is the same as none.
    expect(ids({ statuses: [...DELIVERY_STATUSES] })).toEqual(expected(all, {}, 'newest'));
    expect(ids({ statuses: [] })).toEqual(expected(all, {}, 'newest'));
    for (const typed of ['B.TEST', '@b.test', ' b.test. ']) {
      expect(ids({ domain: typed })).toEqual(expected(all, { domain: 'b.test' }, 'newest'));
    }
    const idn = expected(all, { domain: 'xn--bcher-kva.test' }, 'newest');
    expect(idn.length).toBeGreaterThan(0);
    expect(ids({ domain: 'BÜCHER.test' })).toEqual(idn);
    expect(ids({ domain: 'not a domain' })).toEqual([]);
    expect(ids({ since: T0 + 30 * MIN })).toEqual(expected(all, { since: T0 + 30 * MIN }, 'newest'));
    expect(ids({ until: T0 })).toEqual(expected(all, { until: T0 }, 'newest'));
    expect(ids({ until: T0 }).length).toBeGreaterThan(0); // the out-of-order rows
    expect(ids({ since: T0 + 30 * MIN, until: T0 + 30 * MIN })).toEqual([]);
    // Text: case-insensitive, in each of the five places.
    expect(ids({ text: 'BOB@' })).toEqual(expected(all, { text: 'bob@' }, 'newest'));
    expect(ids({ text: 'BILLING@' })).toEqual(expected(all, { text: 'billing@' }, 'newest'));
    expect(ids({ text: 'bestellung' })).toEqual(expected(all, { text: 'Bestellung' }, 'newest'));
    expect(ids({ text: 'q007ab' })).toEqual(expected(all, { text: 'Q007AB' }, 'newest'));
    expect(ids({ text: '<M8.X_Y@' })).toEqual(expected(all, { text: '<m8.x_y@' }, 'newest'));
    expect(ids({ text: '<M8.X_Y@' }).length).toBeGreaterThan(0);
  });

  it('treats LIKE wildcards in the text literally', () => {
    const all = seedLog();
    for (const text of ['%', '_', '\\', '100%', 'r_s', 'k%y', '%p']) {
      const want = expected(all, { text }, 'newest');
      const got = search({ filter: { text }, pageSize: 200 });
      expect(got.rows.map((r) => r.id)).toEqual(want.slice(0, 200));
    }
    // '%' and '_' match only where they are: fewer rows than everything.
    expect(expected(all, { text: '%' }, 'newest').length).toBeLessThan(all.length);
    expect(expected(all, { text: '%' }, 'newest').length).toBeGreaterThan(0);
    expect(expected(all, { text: '\\' }, 'newest').length).toBeGreaterThan(0);
    expect(search({ filter: { text: 'zz%zz' } }).rows).toEqual([]);
  });

  it('counts matches exactly up to the cap, then says "more than"', () => {
    const all = seedLog();
    expect(search({}).total).toEqual({ count: all.length, capped: false });
    const bounced = expected(all, { statuses: ['bounced'] }, 'newest').length;
    expect(search({ filter: { statuses: ['bounced'] } }).total).toEqual({ count: bounced, capped: false });
    expect(search({ filter: { statuses: ['bounced'] } }, { probeCap: 10 }).total).toEqual({ count: 10, capped: true });
    const two = expected(all, { statuses: ['bounced'], domain: 'a.test' }, 'newest').length;
    expect(search({ filter: { statuses: ['bounced'], domain: 'a.test' } }).total).toEqual({
      count: two,
      capped: false,
    });
    expect(search({ filter: { statuses: ['bounced'], domain: 'a.test' } }, { countCap: 5 }).total).toEqual({
      count: 5,
      capped: true,
    });
    const text = expected(all, { text: 'a' }, 'newest').length;
    expect(search({ filter: { text: 'a' } }).total).toEqual({ count: text, capped: false });
    expect(search({ filter: { text: 'a' } }, { countCap: 20 }).total).toEqual({ count: 20, capped: true });
    expect(search({ filter: { text: 'nothing like it' } }).total).toEqual({ count: 0, capped: false });
  });

  it('refuses a malformed or foreign cursor with VALIDATION', () => {
    seedLog();
    const first = search({ pageSize: 25 });
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const good = JSON.parse(Buffer.from(first.next as string, 'base64url').toString('utf8'));
    const bad = [
      'garbage!',
      b64('just a string'),
      Buffer.from('{not json').toString('base64url'),
      b64({ ...good, v: 2 }),
      b64({ ...good, id: -1 }),
      b64({ ...good, id: 1.5 }),
      b64({ ...good, d: 'x' }),
      b64({ ...good, p: 'key on the id order' }),
      b64({ ...good, extra: 1 }),
    ];
    for (const cursor of bad) {
      expect(() => search({ pageSize: 25, cursor }), cursor).toThrow(MailroomError);
      try {
        search({ pageSize: 25, cursor });
      } catch (err) {
        expect((err as MailroomError).code).toBe('VALIDATION');
        expect((err as Error).message).toMatch(/first page/);
      }
    }
    // From another sort or filter.
    const foreign: [LogQuery, RegExp][] = [
      [{ sort: 'oldest', cursor: first.next as string }, /another search/],
      [{ filter: { statuses: ['bounced'] }, cursor: first.next as string }, /another search/],
    ];
    for (const [q, msg] of foreign) {
      expect(() => search(q)).toThrow(msg);
    }
    const updated = search({ sort: 'recently-updated', pageSize: 25 });
    const u = JSON.parse(Buffer.from(updated.next as string, 'base64url').toString('utf8'));
    expect(() => search({ sort: 'recently-updated', cursor: b64({ ...u, p: 'text' }) })).toThrow(
      /not one Mailroom made/,
    );
    expect(() => search({ sort: 'recently-updated', cursor: b64({ ...u, p: undefined }) })).toThrow(
      /not one Mailroom made/,
    );
  });

  it('an empty log has one empty page', () => {
    expect(search({})).toEqual({ rows: [], next: null, previous: null, total: { count: 0, capped: false } });
    expect(search({ filter: { text: 'x', statuses: ['bounced'] } }).rows).toEqual([]);
  });

  it('keeps the CLI log working and its recipient lookup case-insensitive', () => {
    seedLog();
    const entries = queryDeliveryLog(db, { recipient: 'BOB@b.test', limit: 1000 });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.recipient.toLowerCase() === 'bob@b.test')).toBe(true);
  });
});

// ---------------------------------------------------------------- detail

describe('delivery detail', () => {
  it('shows the header fields of an inline message, unfolded and in order, and the events oldest first', () => {
    const raw =
      'Received: from pc ([127.0.0.1])\r\n\tby relay (Mailroom); Sat, 10 Jan 2026 12:00:00 +0000\r\n' +
      'Subject: Hello\r\n  folded world \r\nX-Empty:\r\nnot a field line\r\nFrom: Anna <anna@shop.test>\r\n' +
      'To: bob@b.test\r\n\r\nBody-Looking: line\r\n';
    const mid = addMessage({
      queueId: 'QD1',
      body: Buffer.from(raw),
      subject: 'Hello folded world',
      messageId: '<d1@shop.test>',
    });
    const id = addDelivery(mid, { recipient: 'bob@b.test', status: 'deferred' });
    addDelivery(mid, { recipient: 'carl@b.test' });
    const ev = db.prepare(
      'INSERT INTO delivery_events (delivery_id, at, kind, remote_host, tls, code, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    ev.run(id, T0 + 2000, 'deferred', 'mx.b.test', 1, 451, 'later');
    ev.run(id, T0, 'queued', null, null, null, 'accepted');
    ev.run(id, T0 + 1000, 'deferred', 'mx.b.test', 0, 421, 'busy');
    const detail = deliveryDetail(db, dir, id);
    expect(logDetailSchema.parse(detail)).toEqual(detail);
    expect(detail.message.headers).toEqual([
      { name: 'Received', value: 'from pc ([127.0.0.1])\tby relay (Mailroom); Sat, 10 Jan 2026 12:00:00 +0000' },
      { name: 'Subject', value: 'Hello  folded world' },
      { name: 'X-Empty', value: '' },
      { name: 'From', value: 'Anna <anna@shop.test>' },
      { name: 'To', value: 'bob@b.test' },
    ]);
    expect(detail.message).toMatchObject({ queueId: 'QD1', recipients: 2, headerMessageId: '<d1@shop.test>' });
    expect(detail.delivery).toMatchObject({ id, recipient: 'bob@b.test', domain: 'b.test', status: 'deferred' });
    expect(detail.events.map((e) => [e.kind, e.tls, e.code])).toEqual([
      ['queued', null, null],
      ['deferred', false, 421],
      ['deferred', true, 451],
    ]);
  });

  it('reads only the start of a large spool file, caps fields and values, and copes with no stored bytes', () => {
    const fields = Array.from({ length: 250 }, (_, i) => `X-Field-${i}: value ${i}\r\n`).join('');
    const long = `X-Long: ${'a'.repeat(5000)}\r\n`;
    const head = `Subject: Big\r\n${long}${fields}\r\n`;
    fs.writeFileSync(
      path.join(dir, 'spool', 'QBIG.eml'),
      Buffer.concat([Buffer.from(head), Buffer.alloc(600_000, 'b')]),
    );
    const big = addDelivery(addMessage({ queueId: 'QBIG', spoolPath: path.join('spool', 'QBIG.eml') }), {
      recipient: 'a@a.test',
    });
    const headers = deliveryDetail(db, dir, big).message.headers;
    expect(headers).toHaveLength(200);
    expect(headers[0]).toEqual({ name: 'Subject', value: 'Big' });
    expect(headers[1]?.value).toBe(`${'a'.repeat(2000)}…`);
    expect(headers[199]).toEqual({ name: 'X-Field-197', value: 'value 197' });

    // A header section longer than the read limit: the cut-off last line is left out.
    const huge = Array.from({ length: 40_000 }, (_, i) => `X-H: ${i}\r\n`).join('');
    fs.writeFileSync(path.join(dir, 'spool', 'QHUGE.eml'), `${huge}\r\nbody`);
    const hugeId = addDelivery(addMessage({ queueId: 'QHUGE', spoolPath: 'spool/QHUGE.eml' }), {
      recipient: 'a@a.test',
    });
    expect(deliveryDetail(db, dir, hugeId).message.headers).toHaveLength(200);

    const campaign = addDelivery(addMessage({ queueId: 'QCAMP', source: 'campaign' }), { recipient: 'c@a.test' });
    expect(deliveryDetail(db, dir, campaign).message.headers).toEqual([]);
    const gone = addDelivery(addMessage({ queueId: 'QGONE', spoolPath: 'spool/QGONE.eml' }), { recipient: 'g@a.test' });
    expect(deliveryDetail(db, dir, gone).message.headers).toEqual([]);
    const outside = addDelivery(addMessage({ queueId: 'QOUT', spoolPath: '../../etc/passwd' }), {
      recipient: 'o@a.test',
    });
    expect(deliveryDetail(db, dir, outside).message.headers).toEqual([]);
    // No empty line at all: the whole (small) message is header.
    const noBlank = addDelivery(addMessage({ queueId: 'QNB', body: Buffer.from('Subject: only\r\nX-A: b') }), {
      recipient: 'n@a.test',
    });
    expect(deliveryDetail(db, dir, noBlank).message.headers).toEqual([
      { name: 'Subject', value: 'only' },
      { name: 'X-A', value: 'b' },
    ]);
  });

  it('says NOT_FOUND for a delivery that is not there', () => {
    expect(() => deliveryDetail(db, dir, 12345)).toThrow(/no delivery 12345/);
    try {
      deliveryDetail(db, dir, 12345);
    } catch (err) {
      expect((err as MailroomError).code).toBe('NOT_FOUND');
    }
  });
});

// ---------------------------------------------------------------- cancel and retry

describe('cancel and retry', () => {
  const NOW = T0 + 60 * MIN;
  function onePerStatus(): Record<DeliveryStatus, number> {
    const mid = addMessage({ queueId: 'QACT' });
    return Object.fromEntries(
      DELIVERY_STATUSES.map((status) => [
        status,
        addDelivery(mid, {
          recipient: `${status}@a.test`,
          status,
          leaseUntil: status === 'sending' || status === 'unknown' ? NOW + 10 * MIN : null,
          nextAttemptAt: NOW + 30 * MIN,
        }),
      ]),
    ) as Record<DeliveryStatus, number>;
  }
  const row = (id: number) =>
    db
      .prepare(
        'SELECT status, next_attempt_at AS nextAttemptAt, lease_until AS leaseUntil, updated_at AS updatedAt FROM deliveries WHERE id = ?',
      )
      .get(id) as { status: string; nextAttemptAt: number; leaseUntil: number | null; updatedAt: number };
  const events = (kind: string) =>
    db
      .prepare('SELECT delivery_id AS id, at, detail FROM delivery_events WHERE kind = ? ORDER BY delivery_id')
      .all(kind);

  it('cancels only queued, deferred and unknown deliveries, says why for the others, and never touches one being sent', () => {
    const ids = onePerStatus();
    const sendingBefore = row(ids.sending);
    const order = [...DELIVERY_STATUSES.map((s) => ids[s]), 9999, ids.queued];
    const result = cancelDeliveries(db, order, NOW);
    expect(result.changed).toBe(3);
    expect(result.skipped).toEqual([
      { id: ids.sending, reason: 'being sent right now; try again in a moment' },
      { id: ids.delivered, reason: 'already delivered' },
      { id: ids.bounced, reason: 'already bounced' },
      { id: ids.cancelled, reason: 'already cancelled' },
      { id: 9999, reason: 'no such delivery' },
    ]);
    for (const s of ['queued', 'deferred', 'unknown'] as const) {
      expect(row(ids[s])).toMatchObject({ status: 'cancelled', leaseUntil: null, updatedAt: NOW });
    }
    expect(row(ids.sending)).toEqual(sendingBefore);
    expect(events('cancelled')).toEqual(
      [ids.queued, ids.deferred, ids.unknown]
        .sort((a, b) => a - b)
        .map((id) => ({
          id,
          at: NOW,
          // After a lost connection the last attempt may have arrived: the event says only what is sure.
          detail:
            id === ids.unknown
              ? 'Cancelled by you: no more attempts. The last attempt may have arrived.'
              : 'Cancelled by you; it will not be sent.',
        })),
    );
    // Cancelled ones are not claimed any more.
    expect(engine.queue.claim({ now: NOW + 60 * MIN, leaseMs: 1000, limit: 10 })).toEqual([]);
    expect(cancelDeliveries(db, [], NOW)).toEqual({ changed: 0, skipped: [] });
  });

  it('cancels all or nothing', () => {
    const ids = onePerStatus();
    db.exec(
      `CREATE TEMP TRIGGER fail_cancel BEFORE INSERT ON delivery_events WHEN NEW.kind = 'cancelled' AND NEW.delivery_id = ${ids.unknown}
       BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
    );
    expect(() => cancelDeliveries(db, [ids.queued, ids.deferred, ids.unknown], NOW)).toThrow(/disk trouble/);
    expect(row(ids.queued).status).toBe('queued');
    expect(row(ids.deferred).status).toBe('deferred');
    expect(events('cancelled')).toEqual([]);
  });

  it('retries queued and deferred deliveries now, and says why for the others', () => {
    const ids = onePerStatus();
    const result = retryDeliveries(engine.queue, db, [...DELIVERY_STATUSES.map((s) => ids[s]), 4242], NOW);
    expect(result.changed).toBe(2);
    expect(result.skipped).toEqual([
      { id: ids.sending, reason: 'being sent right now' },
      { id: ids.delivered, reason: 'already delivered' },
      { id: ids.bounced, reason: 'already bounced' },
      { id: ids.cancelled, reason: 'cancelled' },
      { id: ids.unknown, reason: 'waiting to learn whether the last attempt arrived; it is retried automatically' },
      { id: 4242, reason: 'no such delivery' },
    ]);
    expect(row(ids.queued)).toMatchObject({ status: 'queued', nextAttemptAt: NOW, updatedAt: NOW });
    expect(row(ids.deferred)).toMatchObject({ status: 'deferred', nextAttemptAt: NOW, updatedAt: NOW });
    expect(row(ids.unknown).nextAttemptAt).toBe(NOW + 30 * MIN);
    expect(events('retry-now').map((e) => (e as { id: number }).id)).toEqual([ids.queued, ids.deferred]);
    // Due now: the dispatcher's claim takes them.
    expect(engine.queue.claim({ now: NOW, leaseMs: 1000, limit: 10 }).map((c) => c.id)).toEqual([
      ids.queued,
      ids.deferred,
    ]);
  });

  it('refuses ids that are not delivery numbers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => cancelDeliveries(db, [bad], NOW)).toThrow(/not a delivery number/);
      expect(() => retryDeliveries(engine.queue, db, [bad], NOW)).toThrow(/not a delivery number/);
    }
  });
});

// ---------------------------------------------------------------- today

describe('today', () => {
  it("counts today's delivered, bounced and deferral events only", () => {
    const mid = addMessage({ queueId: 'QT' });
    const id = addDelivery(mid, { recipient: 'a@a.test' });
    const ev = db.prepare('INSERT INTO delivery_events (delivery_id, at, kind) VALUES (?, ?, ?)');
    const day = T0 - 12 * 3_600_000;
    for (const [at, kind] of [
      [day - 1, 'delivered'],
      [day - 1, 'bounced'],
      [day - 1, 'deferred'],
      [day, 'delivered'],
      [day + 5, 'delivered'],
      [day + 6, 'bounced'],
      [day + 7, 'deferred'],
      [day + 8, 'deferred'],
      [day + 9, 'deferred'],
      [day + 10, 'queued'],
      [day + 10, 'retry-now'],
      [day + 10, 'unknown'],
      [day + 10, 'cancelled'],
    ] as const) {
      ev.run(id, at, kind);
    }
    expect(todayCounts(db, day)).toEqual({ delivered: 2, bounced: 1, deferred: 3 });
    expect(todayCounts(db, day + 100)).toEqual({ delivered: 0, bounced: 0, deferred: 0 });
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT kind, count(*) FROM delivery_events WHERE kind IN ('delivered', 'bounced', 'deferred') AND at >= ? GROUP BY kind`,
      )
      .all(day) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(
      /COVERING INDEX delivery_events_outcome \(kind=\? AND at>\?\)/,
    );
  });
});

// ---------------------------------------------------------------- CSV

function readCsv(file: string): { rows: string[][]; bom: boolean; crlf: boolean } {
  const script = `
import csv, json, sys
raw = open(sys.argv[1], 'rb').read()
with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
    rows = list(csv.reader(f, strict=True))
print(json.dumps({'rows': rows, 'bom': raw.startswith(b'\\xef\\xbb\\xbf'), 'crlf': raw.endswith(b'\\r\\n') and raw.count(b'\\r\\n') >= len(rows)}))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('CSV export', () => {
  const TRICKY = [
    '=HYPERLINK("http://evil.example","click")',
    '+1 555 0100',
    '-2',
    '@x',
    '\tTabbed',
    '\rCarriage',
    '  =spaced',
    '＝fullwidth',
    'Comma, "quoted"\r\nand a new line',
    'bare\nLF',
    'Grüße – ünïcødé 📨',
    'plain',
  ];

  it('writes every match as RFC 4180 CSV with a BOM, CRLF, and formulas defused', async () => {
    const ids: number[] = [];
    TRICKY.forEach((subject, i) => {
      const mid = addMessage({ queueId: `QC${i}`, subject, mailFrom: i === 0 ? '' : '-sender@shop.test' });
      ids.push(
        addDelivery(mid, {
          recipient: i === 1 ? '=cmd@a.test' : `r${i}@a.test`,
          status: i === 2 ? 'bounced' : 'delivered',
          createdAt: T0 + i * 1000,
          updatedAt: T0 + i * 2000,
          attempts: i,
          lastCode: i === 2 ? 550 : 250,
          lastEnhanced: i === 2 ? '5.1.1' : '2.0.0',
          lastResponse: i === 2 ? '550 5.1.1 "no such user", sorry' : '250 OK',
          category: i === 2 ? 'recipient' : null,
        }),
      );
    });
    const other = addDelivery(addMessage({ queueId: 'QOTHER' }), { recipient: 'z@other.test' });
    const file = path.join(dir, 'export.csv');
    const progress: [number, number | null][] = [];
    const result = await writeDeliveryCsv(db, { domain: 'a.test' }, 'oldest', file, (d, t) => progress.push([d, t]));
    expect(result).toEqual({ rows: TRICKY.length });
    expect(progress.at(-1)).toEqual([TRICKY.length, TRICKY.length]);
    const csv = readCsv(file);
    expect(csv.bom).toBe(true);
    expect(csv.crlf).toBe(true);
    expect(csv.rows[0]).toEqual([
      'Delivery ID',
      'Queued at',
      'Updated at',
      'Status',
      'Recipient',
      'Domain',
      'Sender',
      'Subject',
      'Queue ID',
      'Attempts',
      'Last code',
      'Last enhanced status',
      'Last reply',
      'Category',
    ]);
    const body = csv.rows.slice(1);
    expect(body).toHaveLength(TRICKY.length);
    expect(body.map((r) => Number(r[0]))).toEqual(ids);
    expect(body.some((r) => Number(r[0]) === other)).toBe(false);
    expect(body.map((r) => r[7])).toEqual([
      `'=HYPERLINK("http://evil.example","click")`,
      `'+1 555 0100`,
      `'-2`,
      `'@x`,
      `'\tTabbed`,
      `'\rCarriage`,
      `'  =spaced`,
      `'＝fullwidth`,
      'Comma, "quoted"\r\nand a new line',
      'bare\nLF',
      'Grüße – ünïcødé 📨',
      'plain',
    ]);
    expect(body[0]).toEqual([
      String(ids[0]),
      new Date(T0).toISOString(),
      new Date(T0).toISOString(),
      'delivered',
      'r0@a.test',
      'a.test',
      '<>',
      `'=HYPERLINK("http://evil.example","click")`,
      'QC0',
      '0',
      '250',
      '2.0.0',
      '250 OK',
      '',
    ]);
    expect(body[1]?.[4]).toBe(`'=cmd@a.test`);
    expect(body[1]?.[6]).toBe(`'-sender@shop.test`);
    expect(body[2]?.slice(3, 14)).toEqual([
      'bounced',
      'r2@a.test',
      'a.test',
      `'-sender@shop.test`,
      `'-2`,
      'QC2',
      '2',
      '550',
      '5.1.1',
      '550 5.1.1 "no such user", sorry',
      'recipient',
    ]);
    // Numbers stay numbers; nothing else is left over beside the file.
    expect(csvCell(-5)).toBe('-5');
    expect(fs.readdirSync(dir).filter((f) => f.includes('export'))).toEqual(['export.csv']);
  });

  it('exports in the chosen order, all pages of it ("recently updated" is written newest first)', async () => {
    const all = seedLog();
    const file = path.join(dir, 'all.csv');
    expect(await writeDeliveryCsv(db, {}, 'recipient', file)).toEqual({ rows: all.length });
    expect(
      readCsv(file)
        .rows.slice(1)
        .map((r) => Number(r[0])),
    ).toEqual(expected(all, {}, 'recipient'));
    const filter: LogFilter = { statuses: ['delivered', 'queued'], text: 'b' };
    expect(await writeDeliveryCsv(db, filter, 'recently-updated', file)).toEqual({
      rows: expected(all, filter, 'recently-updated').length,
    });
    expect(
      readCsv(file)
        .rows.slice(1)
        .map((r) => Number(r[0])),
    ).toEqual(expected(all, filter, 'newest'));
  });

  it('leaves no file behind when the export fails', async () => {
    seedLog();
    const missing = path.join(dir, 'no-such-folder', 'out.csv');
    await expect(writeDeliveryCsv(db, {}, 'newest', missing)).rejects.toMatchObject({ code: 'EXPORT_FAILED' });
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
    // The rename at the end fails (the target is a folder): the temporary file goes too.
    const target = path.join(dir, 'a-folder');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    const before = fs.readdirSync(dir).sort();
    await expect(writeDeliveryCsv(db, {}, 'newest', target)).rejects.toThrow(/Could not save the export/);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    expect(fs.readdirSync(target)).toEqual(['keep']);
  });
});
