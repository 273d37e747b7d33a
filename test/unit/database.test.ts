import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, SCHEMA_VERSION } from '../../src/main/db/connection.ts';
import { sql as schema1 } from '../../src/main/db/migrations/001_initial.ts';
import { tempDir } from '../helpers/engine.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const d = tempDir();
  dirs.push(d);
  return path.join(d, 'mailroom.db');
}

describe('database', () => {
  it('migrates a new file to the current schema version, once', () => {
    const file = dbFile();
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const id = db.prepare("SELECT value FROM meta WHERE key='install_id'").pluck().get();
    db.close();
    const again = openDatabase(file);
    expect(again.prepare("SELECT value FROM meta WHERE key='install_id'").pluck().get()).toBe(id);
    again.close();
  });

  it('refuses a database written by a newer Mailroom and leaves it untouched', () => {
    const file = dbFile();
    const raw = new Database(file);
    raw.exec('CREATE TABLE future (x)');
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    const before = fs.readFileSync(file);
    expect(() => openDatabase(file)).toThrow(/newer Mailroom \(schema \d+; this version understands up to \d+\)/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('enforces the delivery status set and foreign keys', () => {
    const db = openDatabase(dbFile());
    expect(() =>
      db
        .prepare(
          "INSERT INTO deliveries (message_id, recipient, domain, next_attempt_at, created_at, updated_at) VALUES (999, 'a@b.c', 'b.c', 0, 0, 0)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('upgrades a schema-1 folder without losing a message, delivery or event', () => {
    const file = dbFile();
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.exec(schema1);
    raw.pragma('user_version = 1');
    raw.exec(`INSERT INTO messages (id, source, queue_id, mail_from, size, body, created_at) VALUES (1, 'relay', 'q1', 'a@ours.test', 3, x'616263', 1);
      INSERT INTO deliveries (id, message_id, recipient, domain, next_attempt_at, created_at, updated_at) VALUES (1, 1, 'b@x.test', 'x.test', 1, 1, 1);
      INSERT INTO delivery_events (delivery_id, at, kind) VALUES (1, 1, 'queued');`);
    raw.close();
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.prepare('SELECT count(*) FROM deliveries').pluck().get()).toBe(1);
    expect(db.prepare('SELECT count(*) FROM delivery_events').pluck().get()).toBe(1);
    expect((db.prepare('SELECT body FROM messages WHERE id = 1').pluck().get() as Buffer).toString()).toBe('abc');
    // The rebuilt table still cascades and accepts the new source.
    db.prepare(
      "INSERT INTO messages (source, queue_id, mail_from, size, body, bounce_of, created_at) VALUES ('bounce', 'q2', '', 1, x'00', 1, 2)",
    ).run();
    db.prepare('DELETE FROM messages WHERE id = 1').run();
    expect(db.prepare('SELECT count(*) FROM deliveries').pluck().get()).toBe(0);
    db.close();
  });
});
