import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { mailroom } from '../helpers/cli.ts';
import { tempDir } from '../helpers/engine.ts';

// The contacts commands of the `mailroom` CLI, run as a real child process: lists,
// contacts, suppressions, segments and export. Every bad input exits non-zero with a
// sentence and changes nothing.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dataFolder(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir();
  dirs.push(dir);
  return { dir, env: { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_SECRET_STORE: 'file' } };
}

async function ok(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await mailroom(args, env);
  if (r.code !== 0) throw new Error(`mailroom ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const json = async <T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> =>
  JSON.parse(await ok([...args, '--json'], env)) as T;

/** Every contacts table, read through a separate connection. */
function snapshot(dir: string) {
  const db = new Database(path.join(dir, 'mailroom.db'), { readonly: true });
  try {
    const tables = [
      'lists',
      'contacts',
      'list_members',
      'tags',
      'contact_tags',
      'contact_fields',
      'segments',
      'suppressions',
      'suppression_events',
    ];
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()]));
  } finally {
    db.close();
  }
}

describe('mailroom lists, contacts, suppressions, segments', () => {
  it('manages lists, contacts, suppressions, segments and exports', async () => {
    const { dir, env } = dataFolder();
    await ok(['lists', 'add', 'News'], env);
    await ok(['lists', 'add', 'Old'], env);
    await ok(['lists', 'rename', 'old', 'Former'], env);
    const added = await ok(
      [
        'contacts',
        'add',
        'Anna@Example.com',
        '--first-name',
        'Anna',
        '--list',
        'News',
        '--tag',
        'vip',
        '--tag',
        'Köln',
        '--basis',
        'bought from me',
      ],
      env,
    );
    expect(added).toMatch(/^Added Anna@Example.com \(contact #1\)/);
    await ok(['contacts', 'add', 'bob@example.org', '--last-name', 'Brown', '--list', 'Former'], env);

    const lists = await json<{ name: string; subscribed: number }[]>(['lists', 'list'], env);
    expect(lists.map((l) => [l.name, l.subscribed])).toEqual([
      ['Former', 1],
      ['News', 1],
    ]);
    const page = await json<{ rows: { address: string; tags: string[] }[]; total: { count: number } }>(
      ['contacts', 'list', '--list', 'News'],
      env,
    );
    expect(page.rows.map((r) => r.address)).toEqual(['Anna@Example.com']);
    expect(page.rows[0]?.tags).toEqual(['Köln', 'vip']);
    expect((await ok(['contacts', 'list', '--search', 'bro'], env)).split('\n')[0]).toMatch(
      /^#2 bob@example.org {2}\(Brown\)/,
    );
    expect(await ok(['contacts', 'list', '--tag', 'VIP', '--limit', '1'], env)).toMatch(/Anna@Example.com/);
    const shown = await ok(['contacts', 'show', 'ANNA@example.COM'], env);
    expect(shown).toMatch(/Consent: +typed by hand on .*; basis: bought from me/);
    expect(shown).toMatch(/Lists: +News \(subscribed\)/);

    // Suppressions: add, add again (a no-op that says so), list as JSON.
    expect(await ok(['suppressions', 'add', 'bob@example.org', '--reason', 'bounced'], env)).toMatch(
      /on the do-not-send list now/,
    );
    expect(await ok(['suppressions', 'add', 'BOB@example.org'], env)).toMatch(
      /already on the do-not-send list \(bounced/,
    );
    const supp = await json<Record<string, unknown>[]>(['suppressions', 'list'], env);
    expect(supp).toEqual([
      { address: 'bob@example.org', reason: 'bounced', source: 'added by hand (command line)', at: expect.any(Number) },
    ]);
    expect(await ok(['contacts', 'list', '--suppressed'], env)).toMatch(/bob@example.org .*SUPPRESSED \(bounced\)/);

    // Segments in the short syntax and in JSON.
    expect(await ok(['segments', 'add', 'VIPs', '--where', 'tag vip and list News'], env)).toMatch(/1 contact match/);
    await ok(
      [
        'segments',
        'add',
        'Browns',
        '--where',
        JSON.stringify({ conditions: [{ kind: 'field', field: 'last_name', op: 'is', value: 'brown' }] }),
      ],
      env,
    );
    expect((await ok(['segments', 'count', 'browns'], env)).trim()).toBe('1');
    expect((await json<{ name: string }[]>(['segments', 'list'], env)).map((s) => s.name)).toEqual(['Browns', 'VIPs']);

    // Export a list; Python reads it in the unit tests, here the file and its first bytes.
    const file = path.join(dir, 'news.csv');
    expect(await ok(['contacts', 'export', file, '--list', 'News'], env)).toMatch(/^1 contact written/);
    expect(fs.readFileSync(file).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const sfile = path.join(dir, 'supp.csv');
    expect(await ok(['suppressions', 'export', sfile], env)).toMatch(/^1 entry written/);
  });

  it('erases a contact for good, lifts it only with a reason, and deletes a list without its people', async () => {
    const { env } = dataFolder();
    await ok(['lists', 'add', 'Former'], env);
    await ok(['contacts', 'add', 'Anna@Example.com', '--list', 'Former'], env);
    await ok(['contacts', 'add', 'bob@example.org', '--list', 'Former'], env);
    await ok(['suppressions', 'add', 'bob@example.org', '--reason', 'bounced'], env);

    // Erasure: a hash stays; re-adding in another case is refused with a sentence until lifted.
    expect(await ok(['contacts', 'remove', 'anna@example.com'], env)).toMatch(/1 contact deleted/);
    const again = await mailroom(['contacts', 'add', 'ANNA@EXAMPLE.COM'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/was deleted \(erased\).*lift it first/);
    const erased = await json<{ address: string | null; reason: string }[]>(['suppressions', 'list'], env);
    expect(erased.find((s) => s.address === null)?.reason).toBe('erased');
    expect(await ok(['suppressions', 'remove', 'Anna@example.com', '--reason', 'asked to come back'], env)).toMatch(
      /may receive mail again/,
    );
    await ok(['contacts', 'add', 'anna@example.com'], env);

    // Deleting a list keeps its people and their suppressions.
    await ok(['lists', 'remove', 'Former'], env);
    expect((await json<{ rows: { address: string }[] }>(['contacts', 'list'], env)).rows.map((r) => r.address)).toEqual(
      ['anna@example.com', 'bob@example.org'],
    );
    expect((await json<{ address: string }[]>(['suppressions', 'list'], env)).map((s) => s.address)).toEqual([
      'bob@example.org',
    ]);
  });

  it('a deleted list is not listed, and made again by name it keeps its unsubscribes', async () => {
    const { dir, env } = dataFolder();
    await ok(['lists', 'add', 'Newsletter'], env);
    await ok(['contacts', 'add', 'ann@example.com', '--list', 'Newsletter'], env);
    await ok(['contacts', 'add', 'bob@example.com', '--list', 'Newsletter'], env);
    // Ann unsubscribes (as the unsubscribe link would record it).
    const db = new Database(path.join(dir, 'mailroom.db'));
    db.prepare(
      "UPDATE list_members SET status = 'unsubscribed' WHERE contact_id = (SELECT id FROM contacts WHERE address = 'ann@example.com')",
    ).run();
    db.close();
    expect(await ok(['lists', 'remove', 'Newsletter'], env)).toMatch(/unsubscribed from it is remembered/);
    expect(await json<unknown[]>(['lists', 'list'], env)).toEqual([]);
    expect(await ok(['lists', 'list'], env)).not.toMatch(/Newsletter/);
    const shown = await json<{ rows: { address: string; lists: unknown[] }[] }>(['contacts', 'list'], env);
    expect(shown.rows.map((r) => r.lists)).toEqual([[], []]);
    await ok(['lists', 'add', 'Other'], env);
    const refused = await mailroom(['lists', 'rename', 'Other', 'Newsletter'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/deleted list was called "Newsletter"/);
    await ok(['lists', 'add', 'Newsletter'], env);
    // contacts list --status: the status on that list.
    const unsub = await json<{ rows: { address: string }[] }>(
      ['contacts', 'list', '--list', 'Newsletter', '--status', 'unsubscribed'],
      env,
    );
    expect(unsub.rows.map((r) => r.address)).toEqual(['ann@example.com']);
    const noList = await mailroom(['contacts', 'list', '--status', 'unsubscribed'], env);
    expect(noList.code).not.toBe(0);
    expect(noList.stderr).toMatch(/--status goes with --list NAME/);
    const lists = await json<{ name: string; subscribed: number; unsubscribed: number }[]>(['lists', 'list'], env);
    expect(lists.map((l) => [l.name, l.subscribed, l.unsubscribed])).toEqual([
      ['Newsletter', 0, 1],
      ['Other', 0, 0],
    ]);
  });

  it('refuses every bad input with a sentence and a non-zero exit, changing nothing', async () => {
    const { dir, env } = dataFolder();
    await ok(['lists', 'add', 'News'], env);
    await ok(['contacts', 'add', 'anna@example.com', '--list', 'News'], env);
    await ok(['suppressions', 'add', 'x@example.com'], env);
    const before = snapshot(dir);
    const bad: [string[], RegExp][] = [
      [['lists', 'add', 'news'], /already a list called "News"/],
      [['lists', 'remove', 'Nope'], /no list called "Nope"/],
      [['contacts', 'add', 'anna@@example.com'], /is not an email address/],
      [['contacts', 'add', 'ANNA@example.com', '--tag', 'x'], /already a contact \(#1/],
      [['contacts', 'add', 'b@example.com', '--field', 'city=Lyon'], /no custom field "city"/],
      [['contacts', 'add', 'b@example.com', '--field', 'nonsense'], /--field takes key=value/],
      [['contacts', 'add', 'b@example.com', '--list', 'Nope'], /no list called "Nope"/],
      [
        ['contacts', 'remove', 'anna@example.com', 'nobody@example.com'],
        /No contact has the address nobody@example.com/,
      ],
      [['contacts', 'list', '--limit', '0'], /--limit takes a whole number/],
      [['contacts', 'show', 'nobody@example.com'], /No contact has the address/],
      [['contacts', 'export', path.join(dir, 'x.csv'), '--list', 'News', '--segment', 'S'], /not both/],
      [['suppressions', 'add', 'y@example.com', '--reason', 'erased'], /--reason is one of/],
      [['suppressions', 'remove', 'x@example.com'], /Say why with --reason/],
      [['suppressions', 'remove', 'x@example.com', '--reason', ' '], /Say why this address/],
      [['suppressions', 'remove', 'nobody@example.com', '--reason', 'because'], /not on the do-not-send list/],
      [['segments', 'add', 'S', '--where', 'town is Lyon'], /field "town" that does not exist/],
      [['segments', 'add', 'S', '--where', '{not json'], /JSON cannot be read/],
      [['segments', 'add', 'S'], /--where/],
      [['segments', 'count', 'Nope'], /no segment called "Nope"/],
      [['contacts', 'frobnicate'], /Use: mailroom contacts/],
    ];
    for (const [args, re] of bad) {
      const r = await mailroom(args, env);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
    expect(snapshot(dir)).toEqual(before);
    expect(fs.existsSync(path.join(dir, 'x.csv'))).toBe(false);
  });
});
