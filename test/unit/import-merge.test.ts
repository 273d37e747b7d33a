import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { recordChecker } from '../../src/main/contacts/import/check-records.ts';
import { merge } from '../../src/main/contacts/import/merge.ts';
import { createStage, stageRows } from '../../src/main/contacts/import/stage.ts';
import { type Db, openDatabase } from '../../src/main/db/connection.ts';
import { tempDir } from '../helpers/engine.ts';

// The merge on its own, for what the worker cannot easily be made to do at the right moment.

let dir: string;
let db: Db;
afterEach(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('renumbers new contacts when someone added contacts between staging and the merge', () => {
  dir = tempDir();
  db = openDatabase(path.join(dir, 'mailroom.db'));
  const staged: string[] = [];
  const checker = recordChecker({ email: 0 }, {}, 1, (r) => staged[r]);
  createStage(db);
  const rows = ['a@example.com', 'b@example.com', 'a@example.com', 'c@example.com'].map((e, i) => {
    staged[i + 1] = e;
    return checker.check({ record: i + 1, line: i + 2, cells: [e], extra: false });
  });
  stageRows(
    db,
    rows.filter((r) => r !== null),
    0,
  ); // ids 1, 2, 4 planned
  // Meanwhile, by hand: the id 1 is taken, and c@example.com exists.
  db.prepare(
    "INSERT INTO contacts (id, address, address_key, consent_source, consent_at, created_at, updated_at) VALUES (1, 'c@example.com', 'c@example.com', 'manual', 1, 1, 1), (3, 'z@example.com', 'z@example.com', 'manual', 1, 1, 1)",
  ).run();
  const r = merge(db, {
    kind: 'contacts',
    fileName: 'f.csv',
    fileSha256: 'x',
    fileSize: 1,
    layout: { format: 'csv', encoding: 'utf-8', delimiter: ',', recognised: null },
    mapping: { email: 0 },
    header: ['Email'],
    fieldTypes: {},
    list: 'News',
    tags: ['t'],
    existing: 'skip',
    suppress: null,
    problems: checker.problems,
    idBase: 0,
    readCounts: checker.counts,
    dryRun: false,
    cancelled: () => false,
  });
  expect(r.counts).toMatchObject({ records: 4, added: 2, updated: 0, unchanged: 1, skipped: 1 }); // skip: joining the list is not an update
  const members = db
    .prepare('SELECT c.address FROM list_members m JOIN contacts c ON c.id = m.contact_id ORDER BY c.address')
    .pluck()
    .all();
  expect(members).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
  const tagged = db.prepare('SELECT count(*) FROM contact_tags').pluck().get();
  expect(tagged).toBe(3);
  expect(db.prepare('SELECT id, address FROM contacts ORDER BY id').all()).toEqual([
    { id: 1, address: 'c@example.com' },
    { id: 3, address: 'z@example.com' },
    { id: 4, address: 'a@example.com' },
    { id: 5, address: 'b@example.com' },
  ]);
  expect(db.prepare('SELECT record, kind, same_as FROM import_problems').all()).toEqual([
    { record: 3, kind: 'duplicate', same_as: 1 },
  ]);
});
