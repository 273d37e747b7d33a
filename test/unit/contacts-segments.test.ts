import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSegmentText } from '../../src/main/contacts/segment-syntax.ts';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import type { SegmentCondition, SegmentDefinition } from '../../src/shared/domain/contacts.ts';
import { type Person, type Seeded, seedContacts } from '../helpers/contacts.ts';
import { tempDir } from '../helpers/engine.ts';

// Segment counts against a brute-force computation over the same people in JavaScript.

let dir: string;
let engine: Engine;
let seed: Seeded;

beforeAll(() => {
  dir = tempDir();
  engine = new Engine({ dataDir: dir, secretStore: 'file', log: silentLogger });
  seed = seedContacts(engine.db, 2000);
});
afterAll(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Field = Extract<SegmentCondition, { kind: 'field' }>;

function fieldValue(p: Person, field: string): string | number | null {
  switch (field) {
    case 'email':
      return p.address;
    case 'first_name':
      return p.first;
    case 'last_name':
      return p.last;
    case 'company':
      return p.company;
    case 'city':
      return p.city;
    case 'customer_since':
      return p.since;
    case 'orders':
      return p.orders;
  }
  throw new Error(field);
}

function matches(p: Person, c: SegmentCondition): boolean {
  if (c.kind === 'list') return (p.lists.get(c.listId) === (c.status ?? 'subscribed')) !== Boolean(c.negate);
  if (c.kind === 'tag') return p.tags.has(c.tagId) !== Boolean(c.negate);
  const v = fieldValue(p, c.field);
  const empty = v === null || v === '';
  const lower = (x: unknown) => String(x).toLowerCase();
  switch (c.op) {
    case 'is_empty':
      return empty;
    case 'is_not_empty':
      return !empty;
    case 'is':
      return !empty && (typeof v === 'number' ? v === Number(c.value) : lower(v) === lower(c.value));
    case 'is_not':
      return empty || (typeof v === 'number' ? v !== Number(c.value) : lower(v) !== lower(c.value));
    case 'contains':
      return !empty && lower(v).includes(lower(c.value));
    case 'starts_with':
      return !empty && lower(v).startsWith(lower(c.value));
    case 'before':
    case 'less_than':
      return !empty && (typeof v === 'number' ? v < Number(c.value) : String(v) < String(c.value));
    case 'after':
    case 'greater_than':
      return !empty && (typeof v === 'number' ? v > Number(c.value) : String(v) > String(c.value));
  }
}

const brute = (def: SegmentDefinition) =>
  seed.people.filter((p) =>
    def.match === 'any' ? def.conditions.some((c) => matches(p, c)) : def.conditions.every((c) => matches(p, c)),
  );

const f = (field: string, op: Field['op'], value?: string | number): Field =>
  value === undefined ? { kind: 'field', field, op } : { kind: 'field', field, op, value };

describe('segments', () => {
  it('count what a brute-force pass over the same people counts', () => {
    const L = seed.lists;
    const T = seed.tags;
    const cases: SegmentCondition[][] = [
      [{ kind: 'list', listId: L.news, status: 'subscribed', negate: false }],
      [{ kind: 'list', listId: L.news, status: 'unsubscribed', negate: false }],
      [{ kind: 'list', listId: L.customers, status: 'pending', negate: true }],
      [{ kind: 'tag', tagId: T.vip, negate: false }],
      [{ kind: 'tag', tagId: T.rare, negate: true }],
      [f('city', 'is', 'Lyon')],
      [f('city', 'is_not', 'lyon')],
      [f('city', 'contains', 'YON')],
      [f('city', 'starts_with', 'ly')],
      [f('city', 'is_empty')],
      [f('city', 'is_not_empty')],
      [f('customer_since', 'before', '2020-01-01')],
      [f('customer_since', 'after', '2022-06-30')],
      [f('customer_since', 'is', '2016-02-02')],
      [f('customer_since', 'is_empty')],
      [f('orders', 'less_than', 10)],
      [f('orders', 'greater_than', '30')],
      [f('orders', 'is', 7)],
      [f('orders', 'is_not', 7)],
      [f('orders', 'is_empty')],
      [f('first_name', 'is', 'anna')],
      [f('last_name', 'starts_with', 'MAR')],
      [f('email', 'contains', 'ex3.')],
      [f('company', 'is_not_empty')],
      [
        { kind: 'list', listId: L.news, status: 'subscribed', negate: false },
        { kind: 'tag', tagId: T.vip, negate: false },
      ],
      [{ kind: 'list', listId: L.customers, status: 'subscribed', negate: false }, f('city', 'is', 'lyon')],
      [
        { kind: 'tag', tagId: T.vip, negate: false },
        f('customer_since', 'before', '2024-01-01'),
        f('orders', 'greater_than', 5),
      ],
      [
        { kind: 'list', listId: L.news, status: 'subscribed', negate: true },
        { kind: 'tag', tagId: T.vip, negate: true },
      ],
    ];
    for (const conditions of cases) {
      for (const match of ['all', 'any'] as const) {
        const def = { match, conditions } as SegmentDefinition;
        const want = brute(def).length;
        expect(engine.contacts.countSegment(def), JSON.stringify(def)).toBe(want);
        // The ids the campaign engine would read are the same people.
        const ids = [...engine.contacts.segmentContactIds(def, 97)].flat();
        expect(ids.sort((a, b) => a - b)).toEqual(
          brute(def)
            .map((p) => p.id)
            .sort((a, b) => a - b),
        );
      }
    }
  });

  it('keep values as values: a quote or SQL in a value matches nothing', () => {
    for (const value of ["x' OR 1=1 --", '%', '_', "Lyon' --"]) {
      expect(engine.contacts.countSegment({ conditions: [f('city', 'is', value)] })).toBe(0);
      expect(engine.contacts.countSegment({ conditions: [f('city', 'contains', value)] })).toBe(0);
    }
  });

  it('refuse unknown fields, comparisons that do not fit the type, and bad values, saving nothing', () => {
    const bad: [SegmentDefinition | unknown, RegExp][] = [
      [{ conditions: [f('town', 'is', 'Lyon')] }, /field "town" that does not exist/],
      [{ conditions: [f('city', 'before', '2024-01-01')] }, /does not apply to city/],
      [{ conditions: [f('customer_since', 'before', '01.01.2024')] }, /YYYY-MM-DD/],
      [{ conditions: [f('customer_since', 'before', '2023-02-30')] }, /YYYY-MM-DD/],
      [{ conditions: [f('orders', 'greater_than', 'many')] }, /number/],
      [{ conditions: [f('city', 'is')] }, /needs a value/],
      [{ conditions: [] }, /at least one condition/],
      [{ conditions: [{ kind: 'field', field: "city') OR 1=1 --", op: 'is', value: 'x' }] }, /does not exist/],
    ];
    for (const [def, re] of bad) {
      expect(() => engine.contacts.createSegment('Bad', def)).toThrow(re);
    }
    expect(engine.contacts.listSegments()).toEqual([]);
  });

  it('saves, renames, redefines and removes a segment', () => {
    const s = engine.contacts.createSegment('Lyon', { conditions: [f('city', 'is', 'lyon')] });
    expect(() => engine.contacts.createSegment('LYON', { conditions: [f('city', 'is', 'x')] })).toThrow(
      /already a segment/,
    );
    const u = engine.contacts.updateSegment(s.id, {
      name: 'Paris',
      definition: { conditions: [f('city', 'is', 'paris')] },
    });
    expect(engine.contacts.countSegment(u.definition)).toBe(brute(u.definition).length);
    expect(engine.contacts.listSegments().map((x) => x.name)).toEqual(['Paris']);
    engine.contacts.removeSegment(s.id);
    expect(engine.contacts.listSegments()).toEqual([]);
  });

  it('reads the command line short syntax', () => {
    const def = parseSegmentText(
      engine.db,
      'city is Lyon and customer_since before 2024-01-01 and list Newsletter and not tag vip',
    ) as SegmentDefinition;
    expect(def).toEqual({
      match: 'all',
      conditions: [
        f('city', 'is', 'Lyon'),
        f('customer_since', 'before', '2024-01-01'),
        { kind: 'list', listId: seed.lists.news, status: 'subscribed', negate: false },
        { kind: 'tag', tagId: seed.tags.vip, negate: true },
      ],
    });
    expect(parseSegmentText(engine.db, 'orders > 3 or city is not "New York" or list Customers is pending')).toEqual({
      match: 'any',
      conditions: [
        f('orders', 'greater_than', 3),
        f('city', 'is_not', 'New York'),
        { kind: 'list', listId: seed.lists.customers, status: 'pending', negate: false },
      ],
    });
    expect(() => parseSegmentText(engine.db, 'city is Lyon and tag vip or tag rare')).toThrow(/either "and" or "or"/);
    expect(() => parseSegmentText(engine.db, 'list Nope')).toThrow(/no list called "Nope"/);
    expect(() => parseSegmentText(engine.db, 'city near Lyon')).toThrow(/not a condition/);
  });
});

describe('audience', () => {
  function bruteAudience(listIds: number[], segments: SegmentDefinition[]) {
    const out = { count: 0, suppressed: 0, unsubscribed: 0, pending: 0 };
    for (const p of seed.people) {
      const onLists = listIds.filter((l) => p.lists.has(l));
      const inSeg = segments.some((d) => brute(d).includes(p));
      if (!onLists.length && !inSeg) continue;
      if (p.suppressed) out.suppressed++;
      else if (onLists.some((l) => p.lists.get(l) === 'unsubscribed')) out.unsubscribed++;
      else if (!inSeg && !onLists.some((l) => p.lists.get(l) === 'subscribed')) out.pending++;
      else out.count++;
    }
    return out;
  }

  it('counts lists and segments minus suppressed, unsubscribed and pending-only people, as a brute force does', () => {
    const lyon = engine.contacts.createSegment('Lyon people', { conditions: [f('city', 'is', 'lyon')] });
    const vip = engine.contacts.createSegment('VIP', {
      conditions: [{ kind: 'tag', tagId: seed.tags.vip, negate: false }],
    });
    const L = seed.lists;
    const cases: [number[], { id: number; definition: SegmentDefinition }[]][] = [
      [[L.news], []],
      [[L.customers], []],
      [[L.news, L.customers], []],
      [[], [lyon]],
      [[L.news], [lyon]],
      [
        [L.news, L.customers],
        [lyon, vip],
      ],
      [[L.empty], []],
    ];
    for (const [listIds, segs] of cases) {
      const want = bruteAudience(
        listIds,
        segs.map((s) => s.definition),
      );
      const sel = { listIds, segmentIds: segs.map((s) => s.id) };
      const got = engine.contacts.audienceCount(sel);
      const label = JSON.stringify(sel);
      expect(
        {
          count: got.count,
          s: Object.values(got.excluded.suppressed).reduce((a, b) => a + b, 0),
          u: got.excluded.unsubscribed,
          p: got.excluded.pending,
        },
        label,
      ).toEqual({ count: want.count, s: want.suppressed, u: want.unsubscribed, p: want.pending });
      expect(
        Object.values(got.excluded.suppressed).reduce((a, b) => a + b, 0),
        label,
      ).toBe(want.suppressed);
      expect(got.excluded.unsubscribed, label).toBe(want.unsubscribed);
      expect(got.excluded.pending, label).toBe(want.pending);
      // The SQL the campaign engine will read selects exactly that many people.
      const q = engine.contacts.audienceQuery(sel);
      expect(engine.db.prepare(`SELECT count(*) FROM (${q.sql})`).pluck().get(q.params), label).toBe(want.count);
    }
    expect(() => engine.contacts.audienceCount({})).toThrow(/at least one list or segment/);
  });
});
