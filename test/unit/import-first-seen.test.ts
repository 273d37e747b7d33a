import { expect, it } from 'vitest';
import { FirstSeen } from '../../src/main/contacts/import/first-seen.ts';

// The duplicate finder of the import against a Map of the keys themselves.

it('finds the first record of every repeated key, across the table growing', () => {
  const keys: string[] = [];
  const seen = new FirstSeen((r) => keys[r]);
  const reference = new Map<string, number>();
  let repeats = 0;
  for (let record = 1; record <= 300_000; record++) {
    // Every 7th record repeats an earlier one's key; the others are new.
    const key =
      record % 7 === 0 ? (keys[1 + ((record * 7919) % (record - 1))] as string) : `p${record}@x${record % 97}.example`;
    keys[record] = key;
    const expected = reference.get(key);
    if (expected === undefined) reference.set(key, record);
    else repeats++;
    expect(seen.firstWith(key, record)).toBe(expected);
  }
  expect(repeats).toBeGreaterThan(40_000);
});

it('tells apart two keys whose hashes match by asking for the key itself', () => {
  // keyOf says record 1 holds another key than the one asked for: the same hash is not enough.
  const keys = ['', 'a@example.com'];
  const seen = new FirstSeen((r) => (r === 1 ? 'someone-else@example.com' : keys[r]));
  expect(seen.firstWith('a@example.com', 1)).toBeUndefined();
  keys[2] = 'a@example.com';
  expect(seen.firstWith('a@example.com', 2)).toBeUndefined();
  expect(seen.firstWith('a@example.com', 3)).toBe(2);
});
