import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/engine.ts';
import { silentLogger } from '../../src/main/engine/log.ts';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createIpcDispatcher, type IpcDispatch } from '../../src/main/ipc/register.ts';
import { IPC_EVENT_PAYLOADS } from '../../src/shared/ipc/contract.ts';
import { handlerContext, type TestDesktop } from '../helpers/handler-context.ts';

// The contacts and import channels through the real dispatcher and handlers over a real
// engine: the window names a chosen file only by its token (never a path), progress is
// pushed as events, bad input changes nothing.

let dir: string;
let engine: Engine;
let desktop: TestDesktop;
let dispatch: IpcDispatch;
const events: { event: string; payload: unknown }[] = [];
const ask = async (channel: string, input?: unknown) => {
  const answer = await dispatch(channel, 'app://mailroom/index.html', input);
  return answer as { ok: boolean; data?: never; error?: { code: string; message: string } };
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-contacts-ipc-'));
  engine = new Engine({ dataDir: path.join(dir, 'data'), secretStore: 'file', log: silentLogger });
  const ctx = handlerContext(engine, {
    emit: (event, payload) => events.push({ event, payload: IPC_EVENT_PAYLOADS[event].parse(payload) }),
  });
  desktop = ctx.desktop;
  dispatch = createIpcDispatcher(createHandlers(ctx), () => true);
});

afterAll(async () => {
  await engine?.close(2000);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('contacts and import over IPC', () => {
  it('keeps the chosen file in main: the window gets a token, and cannot name a path', async () => {
    const secret = path.join(dir, 'private', 'clients.csv');
    fs.mkdirSync(path.dirname(secret));
    fs.writeFileSync(secret, 'Email,Name\r\nann@example.com,Ann\r\nbad,Bob\r\n');

    // A path named by the page is refused before any handler runs.
    const named = await ask('imports.preview', { path: secret });
    expect(named.error?.code).toBe('VALIDATION');
    const guessed = await ask('imports.preview', { token: secret });
    expect(guessed.error?.code).toBe('NOT_FOUND');

    // Cancelling the dialog gives nothing.
    desktop.openPath = null;
    expect(await ask('imports.chooseFile')).toEqual({ ok: true, data: null });

    desktop.openPath = secret;
    const chosen = await ask('imports.chooseFile');
    expect(chosen.ok).toBe(true);
    const file = chosen.data as unknown as { token: string; fileName: string; size: number };
    expect(file.fileName).toBe('clients.csv');
    expect(file.size).toBe(fs.statSync(secret).size);
    const preview = await ask('imports.preview', { token: file.token });
    expect(preview.ok).toBe(true);
    // Nothing the window receives names the folder the file is in.
    expect(JSON.stringify([chosen, preview])).not.toContain(path.dirname(secret));

    // The import runs; progress comes as events; the result answers once.
    const started = await ask('imports.start', { token: file.token, options: { list: 'Clients', basis: 'customers' } });
    const { jobId } = started.data as unknown as { jobId: string };
    const result = await ask('imports.result', { jobId });
    expect(result.ok).toBe(true);
    const report = result.data as unknown as { added: number; skipped: number; importId: number };
    expect(report).toMatchObject({ added: 1, skipped: 1 });
    const progress = events.filter((e) => e.event === 'imports.progress').map((e) => e.payload as { phase: string });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.phase).toBe('done');
    expect((await ask('imports.result', { jobId })).error?.code).toBe('NOT_FOUND');

    // The report downloads only where the save dialog says; cancelling writes nothing.
    desktop.savePath = null;
    expect((await ask('imports.downloadReport', { importId: report.importId })).data).toEqual({
      saved: false,
      path: null,
      rows: 0,
    });
    desktop.savePath = path.join(dir, 'report.csv');
    const saved = await ask('imports.downloadReport', { importId: report.importId });
    expect(saved.data).toMatchObject({ saved: true, rows: 1 });
    expect(fs.readFileSync(desktop.savePath, 'utf8')).toContain('bad');
  });

  it('previews every kind of fixture file within the contract', async () => {
    const dirOf = path.resolve('test/fixtures/contacts');
    const files = fs.readdirSync(dirOf).filter((f) => /\.(csv|txt|vcf)$/.test(f) && !f.includes('unclosed'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      desktop.openPath = path.join(dirOf, f);
      const chosen = (await ask('imports.chooseFile')).data as unknown as { token: string };
      const preview = await ask('imports.preview', { token: chosen.token });
      expect({ f, ok: preview.ok, error: preview.error }).toEqual({ f, ok: true, error: undefined });
    }
    // A file the reader refuses says why, as a sentence the wizard shows.
    desktop.openPath = path.join(dirOf, 'quirk-unclosed-quote.csv');
    const chosen = (await ask('imports.chooseFile')).data as unknown as { token: string };
    const refused = await ask('imports.preview', { token: chosen.token });
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('IMPORT_FILE');
    expect(refused.error?.message).toMatch(/quote/i);
  });

  it('lifts a suppression only with a stated reason, and acts on a whole filter', async () => {
    engine.contacts.suppress('ann@example.com', 'complaint', 'Marked as spam at the provider');
    const noReason = await ask('suppressions.remove', { address: 'ann@example.com', reason: ' ' });
    expect(noReason.error?.code).toBe('VALIDATION');
    expect(engine.contacts.isSuppressed('ann@example.com')).not.toBeNull();
    expect((await ask('suppressions.remove', { address: 'ann@example.com', reason: 'She asked again' })).ok).toBe(true);
    expect(engine.contacts.isSuppressed('ann@example.com')).toBeNull();

    const tagged = await ask('contacts.bulk', { action: 'tag', target: { filter: { text: 'ann' } }, tag: 'vip' });
    expect(tagged.data).toMatchObject({ changed: 1 });
    const tags = await ask('contacts.tags');
    expect(tags.data).toEqual([expect.objectContaining({ name: 'vip' })]);
  });
});
