import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryContacts } from '../../src/main/contacts/contact-page.ts';
import { DEFAULT_TUNING, type Tuning } from '../../src/main/contacts/contact-plan.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import type { ContactFilter, ContactPage } from '../../src/shared/domain/contacts.ts';
import { contactPageSchema } from '../../src/shared/domain/contacts.ts';
import { MailroomError } from '../../src/shared/errors.ts';
import { type Person, type Seeded, seedContacts } from '../helpers/contacts.ts';
import { tempDir } from '../helpers/engine.ts';

// Keyset paging over a few thousand contacts: every matching row exactly once, forward
// and back, for each filter, and under every plan (tiny caps force the walks; the default
// collects small filters whole).

let dir: string;
let engine: Engine;
let seed: Seeded;
const N = 3000;

beforeAll(() => {
  dir = tempDir();
  engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  seed = seedContacts(engine.db, N);
  engine.contacts.createSegment('Lyon fans', {
    conditions: [{ kind: 'field', field: 'city', op: 'is', value: 'lyon' }],
  });
});
afterAll(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const starts = (p: Person, w: string) =>
  [p.key, p.first.toLowerCase(), p.last.toLowerCase()].some((x) => x.startsWith(w.toLowerCase()));

function expected(f: ContactFilter): number[] {
  const segId = engine.contacts.getSegment('Lyon fans').id;
  return seed.people
    .filter((p) => {
      if (f.text && !f.text.split(/\s+/).every((w) => starts(p, w))) return false;
      if (f.listId !== undefined) {
        const st = p.lists.get(f.listId);
        if (!st || (f.status && st !== f.status)) return false;
      }
      if (f.tagId !== undefined && !p.tags.has(f.tagId)) return false;
      if (f.suppressed !== undefined && (p.suppressed !== null) !== f.suppressed) return false;
      if (f.segmentId === segId && p.city?.toLowerCase() !== 'lyon') return false;
      return true;
    })
    .map((p) => p.id)
    .sort((a, b) => b - a);
}

function walk(filter: ContactFilter, pageSize: 25 | 50 | 100 | 200, tuning: Tuning) {
  const pages: ContactPage[] = [];
  let page = queryContacts(engine.db, { filter, pageSize }, tuning);
  pages.push(page);
  for (let i = 0; page.next && i < 1000; i++) {
    page = queryContacts(engine.db, { filter, pageSize, cursor: page.next }, tuning);
    pages.push(page);
  }
  const back: ContactPage[] = [page];
  for (let i = 0; page.previous && i < 1000; i++) {
    page = queryContacts(engine.db, { filter, pageSize, cursor: page.previous }, tuning);
    back.unshift(page);
  }
  return { pages, back };
}

const filters = (): [string, ContactFilter][] => [
  ['no filter', {}],
  ['list', { listId: seed.lists.news }],
  ['list + unsubscribed', { listId: seed.lists.news, status: 'unsubscribed' }],
  ['list + pending', { listId: seed.lists.customers, status: 'pending' }],
  ['empty list', { listId: seed.lists.empty }],
  ['tag', { tagId: seed.tags.vip }],
  ['rare tag', { tagId: seed.tags.rare }],
  ['text: first or last name prefix', { text: 'mar' }],
  ['text: address prefix', { text: 'user12' }],
  ['text: two words', { text: 'ann user1' }],
  ['text: nothing', { text: 'zzz' }],
  ['suppressed', { suppressed: true }],
  ['not suppressed', { suppressed: false }],
  ['segment', { segmentId: engine.contacts.getSegment('Lyon fans').id }],
  ['list + tag', { listId: seed.lists.news, tagId: seed.tags.vip }],
  [
    'list + tag + not suppressed + text',
    { listId: seed.lists.news, tagId: seed.tags.vip, suppressed: false, text: 'a' },
  ],
  ['segment + suppressed', { segmentId: engine.contacts.getSegment('Lyon fans').id, suppressed: true }],
];

const tunings: [string, Tuning][] = [
  ['default plan', DEFAULT_TUNING],
  ['tiny caps (walks and budgets)', { countCap: 10, scanBudget: 30 }],
];

describe('queryContacts keyset paging', () => {
  for (const [tname, tuning] of tunings) {
    it(`gives every matching row once, forward and back, with each filter (${tname})`, () => {
      for (const [name, filter] of filters()) {
        const want = expected(filter);
        for (const size of [25, 200] as const) {
          const { pages, back } = walk(filter, size, tuning);
          const ids = pages.flatMap((p) => p.rows.map((r) => r.id));
          expect(ids, `${name}, pages of ${size}`).toEqual(want);
          expect(
            back.flatMap((p) => p.rows.map((r) => r.id)),
            `${name}, pages of ${size}, backwards`,
          ).toEqual(want);
          // Each page is full but the last, and the first has no previous.
          expect(pages[0]?.previous, name).toBeNull();
          for (const p of pages.slice(0, -1)) expect(p.rows.length).toBe(size);
          const total = pages[0]?.total as ContactPage['total'];
          if (total.capped) expect(total.count, name).toBeLessThanOrEqual(want.length);
          else expect(total.count, name).toBe(want.length);
          contactPageSchema.parse(pages[0]);
        }
      }
    });
  }

  it('counts exactly below the cap and says "more than" above it', () => {
    const all = queryContacts(engine.db, { filter: {} });
    expect(all.total).toEqual({ count: N, capped: false });
    const small = queryContacts(engine.db, { filter: { tagId: seed.tags.rare } });
    expect(small.total).toEqual({ count: expected({ tagId: seed.tags.rare }).length, capped: false });
    const big = queryContacts(engine.db, { filter: { listId: seed.lists.news } }, { countCap: 100, scanBudget: 1000 });
    expect(big.total).toEqual({ count: 100, capped: true });
  });

  it('rows carry lists with status, tags and the suppression reason', () => {
    const p = seed.people.find((x) => x.suppressed && x.lists.size && x.tags.size) as Person;
    const page = queryContacts(engine.db, { filter: { text: p.key } });
    const row = page.rows.find((r) => r.id === p.id);
    expect(row?.address).toBe(p.address);
    expect(row?.suppressed).toBe(p.suppressed);
    expect(row?.lists.map((l) => [l.id, l.status]).sort()).toEqual([...p.lists].sort());
    expect(row?.tags.length).toBe(p.tags.size);
  });

  it('refuses a cursor made for another filter, or one it did not make', () => {
    const page = queryContacts(engine.db, { filter: { listId: seed.lists.news } });
    expect(() => queryContacts(engine.db, { filter: { tagId: seed.tags.vip }, cursor: page.next as string })).toThrow(
      /another search/,
    );
    expect(() => queryContacts(engine.db, { filter: {}, cursor: 'garbage' })).toThrow(MailroomError);
    expect(() => queryContacts(engine.db, { filter: { segmentId: 999 } })).toThrow(/no segment #999/);
  });

  it('a text with LIKE wildcards matches them literally', () => {
    expect(queryContacts(engine.db, { filter: { text: '%' } }).rows).toEqual([]);
    expect(queryContacts(engine.db, { filter: { text: 'user_' } }).rows).toEqual([]);
  });
});
