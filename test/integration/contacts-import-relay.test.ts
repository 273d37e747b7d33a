import path from 'node:path';
import { expect, it } from 'vitest';
import { makeContactsFile } from '../../bench/make-contacts-file.ts';
import type { ImportProgress } from '../../src/shared/domain/contacts.ts';
import { readStore, startRelay } from '../helpers/engine.ts';
import { RawSmtp, simpleMessage } from '../helpers/smtp-client.ts';

// The import reads and stages on its own thread and connection, and holds the write lock
// only for its one short merge: the relay in the same process keeps answering 250 meanwhile.

it('the relay keeps accepting mail while 200,000 rows are imported', async () => {
  const relay = await startRelay();
  try {
    const big = path.join(relay.dir, 'big.csv');
    const made = await makeContactsFile(big, 200_000);
    const phases = new Set<ImportProgress['phase']>();
    const job = relay.engine.imports.start(big, { list: 'News' }, (p) => phases.add(p.phase));
    let finished = false;
    const done = job.done.finally(() => {
      finished = true;
    });

    const smtp = await RawSmtp.connect(relay.port);
    await smtp.expect(await smtp.reply(), 220);
    await smtp.login(relay.username, relay.password);
    let accepted = 0;
    let duringImport = 0;
    // Sends one message after another until the import has committed (bounded: 3,000 at most).
    for (let i = 0; i < 3000 && !finished; i++) {
      await smtp.openData('news@example.com', [`reader${i}@example.net`]);
      smtp.write(`${simpleMessage({ subject: `during import ${i}` })}.\r\n`);
      await smtp.expect(await smtp.reply(30_000), 250);
      accepted++;
      if (!finished) duringImport++;
    }
    await smtp.cmd('QUIT');
    smtp.close();
    const report = await done;
    expect(report.added).toBe(made.unique);
    expect(phases.has('saving')).toBe(true);
    // Mail went through while the import was running, and every message is stored.
    expect(duringImport).toBeGreaterThan(0);
    expect(readStore(relay.dir).messages).toHaveLength(accepted);
  } finally {
    await relay.stop();
  }
});
