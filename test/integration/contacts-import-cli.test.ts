import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeContactsFile } from '../../bench/make-contacts-file.ts';
import type { ImportProgress } from '../../src/shared/domain/contacts.ts';
import { mailroom } from '../helpers/cli.ts';
import { dumpContacts } from '../helpers/contacts-dump.ts';
import { CLI, tempDir } from '../helpers/engine.ts';

// `mailroom contacts import`, `contacts imports`, `contacts undo-import` and
// `suppressions import` as scripts use them: the real command, real files, real SQLite.

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = tempDir('mailroom-import-cli-');
  env = { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_SECRET_STORE: 'file' };
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await mailroom([...args, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('mailroom contacts import', () => {
  it('--json prints the counts, the layout, the mapping and every problem; --map takes names and positions', async () => {
    // Excel "CSV" on a European machine: semicolons, Windows-1252, CRLF.
    const text =
      'Nom;Mail;Prénom;Ville\r\nMüller;anna@example.com;Anna;Köln\r\nDupont;ANNA@example.com;Anne;Lyon\r\n;;;\r\nRoss;nope;Bo;Roma\r\nLéa;lea@example.com;Léa;Nîmes\r\n';
    const f = file('export.csv', Buffer.from(text, 'latin1'));
    const dry = await json([
      'contacts',
      'import',
      f,
      '--list',
      'Clients',
      '--map',
      'email=Mail,first_name=3,last_name=Nom',
      '--dry-run',
    ]);
    expect(dumpContacts(dir).contacts).toEqual([]);
    const r = await json([
      'contacts',
      'import',
      f,
      '--list',
      'Clients',
      '--map',
      'email=Mail,first_name=3,last_name=Nom,field:town=Ville',
      '--field-label',
      'town=Home town, or village',
      '--tag',
      'fair',
      '--basis',
      'met at the fair',
    ]);
    expect(r).toMatchObject({
      records: 5,
      blank: 1,
      added: 2,
      updated: 0,
      unchanged: 0,
      suppressed: 0,
      encoding: 'windows-1252',
      delimiter: ';',
      mapping: { email: 1, first_name: 2, last_name: 0, 'field:town': 3 },
    });
    expect({ ...dry, importId: null, dryRun: false, mapping: null }).toEqual({
      ...r,
      importId: null,
      dryRun: false,
      mapping: null,
    });
    expect(r.problems).toEqual([
      {
        record: 2,
        line: 3,
        kind: 'duplicate',
        value: 'ANNA@example.com',
        reason: 'The same address as record 1: only the first one is imported.',
        sameAs: 1,
      },
      expect.objectContaining({ record: 4, line: 5, kind: 'invalid', value: 'nope' }),
    ]);
    const contacts = dumpContacts(dir).contacts as { last_name: string; consent_basis: string }[];
    expect(contacts.map((c) => c.last_name)).toEqual(['Müller', 'Léa']);
    expect(contacts[0]?.consent_basis).toBe('met at the fair');
    // --field-label names the field the import creates (a comma in it stays).
    expect(dumpContacts(dir).contact_fields).toEqual([
      expect.objectContaining({ key: 'town', label: 'Home town, or village', type: 'text' }),
    ]);
  });

  it('--list is always a list name, even one made of digits', async () => {
    expect((await mailroom(['lists', 'add', 'First'], env)).code).toBe(0); // list #1
    const f = file('l.csv', 'Email\r\nann@example.com\r\n');
    await json(['contacts', 'import', f, '--list', '1']);
    await json(['contacts', 'import', f, '--list', '2024']);
    const lists = (await json(['lists', 'list'])) as unknown as { name: string; subscribed: number }[];
    expect(lists.map((l) => [l.name, l.subscribed])).toEqual([
      ['1', 1],
      ['2024', 1],
      ['First', 0],
    ]);
  });

  it('refuses unknown columns and options with a sentence, changing nothing', async () => {
    const f = file('a.csv', 'Email\r\nann@example.com\r\n');
    const r = await mailroom(['contacts', 'import', f, '--list', 'News', '--map', 'email=Courriel'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The file has no column named "Courriel"');
    const r2 = await mailroom(['contacts', 'import', f, '--list', 'News', '--existing', 'replace'], env);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('--existing is one of skip, fill, overwrite');
    const r3 = await mailroom(['contacts', 'import', f], env);
    expect(r3.stderr).toContain('--list NAME');
    expect(dumpContacts(dir).contacts).toEqual([]);
  });

  it('imports lists and undo-import takes back the last one', async () => {
    const a = file('a.csv', 'Email,First Name\r\nann@example.com,Ann\r\n');
    const b = file('b.csv', 'Email,First Name\r\nann@example.com,Annie\r\nbob@example.com,Bob\r\n');
    await json(['contacts', 'import', a, '--list', 'News']);
    const afterFirst = dumpContacts(dir);
    await json(['contacts', 'import', b, '--list', 'News', '--existing', 'overwrite']);
    const list = (await mailroom(['contacts', 'imports', '--json'], env)).stdout;
    expect(JSON.parse(list)).toMatchObject([
      { id: 2, fileName: 'b.csv', state: 'committed', counts: { added: 1, updated: 1 } },
      { id: 1, fileName: 'a.csv', state: 'committed', counts: { added: 1 } },
    ]);
    const refused = await mailroom(['contacts', 'undo-import', '1'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Undo that one first');
    const undo = await mailroom(['contacts', 'undo-import'], env);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain('Undid import 2 (b.csv)');
    expect(dumpContacts(dir)).toEqual(afterFirst);
  });
});

describe('mailroom suppressions import', () => {
  it('a plain list becomes suppressions and nothing else changes; existing ones keep their reason', async () => {
    const a = file('a.csv', 'Email\r\nann@example.com\r\nbob@example.com\r\n');
    await json(['contacts', 'import', a, '--list', 'News']);
    const db = new Database(path.join(dir, 'mailroom.db'));
    db.prepare(
      "INSERT INTO suppressions (key, address, reason, source, at) VALUES ('bob@example.com', 'bob@example.com', 'complaint', 'Feedback loop', 5)",
    ).run();
    db.close();
    const before = dumpContacts(dir);
    const list = file('blocked.txt', 'Bob@Example.com\nzed@example.com\n\nnot an address\n');
    const r = await json(['suppressions', 'import', list, '--reason', 'manual']);
    expect(r).toMatchObject({ records: 4, blank: 1, suppressed: 2, suppressionsAdded: 1, skipped: 1 });
    const after = dumpContacts(dir);
    for (const t of ['contacts', 'list_members', 'lists', 'tags', 'contact_tags']) expect(after[t]).toEqual(before[t]);
    expect(after.suppressions).toEqual([
      {
        key: 'bob@example.com',
        address: 'bob@example.com',
        reason: 'complaint',
        source: 'Feedback loop',
        detail: null,
        import_id: null,
        at: 5,
      },
      expect.objectContaining({
        key: 'zed@example.com',
        address: 'zed@example.com',
        reason: 'manual',
        source: 'Imported from the file blocked.txt',
      }),
    ]);
  });
});

describe('kill -9 in the middle of a large import', () => {
  for (const phase of ['checking', 'saving'] as const) {
    it(`leaves every table as it was (killed while ${phase})`, async () => {
      const seedFile = file('seed.csv', 'Email,First Name\r\nann@example.com,Ann\r\nbob@example.com,Bob\r\n');
      await json(['contacts', 'import', seedFile, '--list', 'News']);
      const before = dumpContacts(dir);
      const big = path.join(dir, 'big.csv');
      await makeContactsFile(big, 200_000);
      const child = spawn(
        process.execPath,
        [CLI, 'contacts', 'import', big, '--list', 'News', '--existing', 'overwrite', '--json'],
        {
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      const seen: ImportProgress[] = [];
      const killed = await new Promise<boolean>((resolve) => {
        readline.createInterface({ input: child.stderr }).on('line', (line) => {
          const p = JSON.parse(line) as ImportProgress;
          seen.push(p);
          if (p.phase === phase && (phase === 'saving' || p.records > 50_000) && child.exitCode === null) {
            child.kill('SIGKILL');
            resolve(true);
          }
        });
        child.once('exit', () => resolve(false));
      });
      await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r)));
      expect(killed, JSON.stringify(seen.slice(-3))).toBe(true);
      expect(child.signalCode).toBe('SIGKILL');
      expect(dumpContacts(dir)).toEqual(before);
      // The folder is sound afterwards: the next import works.
      const r = await json(['contacts', 'import', seedFile, '--list', 'News']);
      expect(r).toMatchObject({ added: 0, unchanged: 2 });
      expect((await json(['contacts', 'imports'])) as unknown as unknown[]).toHaveLength(2);
    });
  }
});
