// Read-only throughput of the contacts import reader (no validation, no database): how long
// openSource + records() take over a large file, and the peak RSS.
//
//   node bench/read-contacts.ts [--rows 1000000] [--runs 3] [--file F] [--encoding windows-1252] [--batches]
//
// --batches reads with source.batches() (one await per 32 KB chunk) instead of records()
// (one await per record). --semi MB runs the reader with V8's --max-semi-space-size=MB: on a
// busy machine V8 grows its young generation and the peak RSS doubles (~112 -> ~225 MB)
// without more live data; 8 MB keeps it near 100 MB at no measurable cost (the import worker
// can get the same with resourceLimits.maxYoungGenerationSizeMb).
// Without --file it writes a temp file with bench/make-contacts-file.ts (and, with
// --encoding other than utf-8, re-encodes it) and deletes it afterwards. Medians of --runs,
// each run in a fresh child process so the RSS peak is that run's own.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';
import { openSource } from '../src/main/contacts/import/read-file.ts';
import { makeContactsFile } from './make-contacts-file.ts';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    file: { type: 'string' },
    encoding: { type: 'string', default: 'utf-8' },
    child: { type: 'boolean', default: false },
    batches: { type: 'boolean', default: false },
    semi: { type: 'string' },
  },
});

if (opts.child) {
  const t0 = performance.now();
  const src = await openSource(opts.file!);
  const opened = performance.now() - t0;
  let records = 0;
  let cells = 0;
  if (opts.batches) {
    for await (const b of src.batches()) {
      for (const r of b) {
        records++;
        cells += r.cells.length;
      }
    }
  } else {
    for await (const r of src.records()) {
      records++;
      cells += r.cells.length;
    }
  }
  const ms = performance.now() - t0;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ ms, opened, records, cells, rssMb, encoding: src.layout.encoding }));
  process.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let file = opts.file;
let tmp: string | null = null;
if (!file) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-read-'));
  file = path.join(tmp, 'contacts.csv');
  const counts = await makeContactsFile(file, Number(opts.rows));
  if (opts.encoding !== 'utf-8') {
    fs.writeFileSync(file, iconv.encode(fs.readFileSync(file, 'utf8'), opts.encoding));
  }
  console.error(`wrote ${counts.rows} rows, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB (${opts.encoding})`);
}
try {
  const runs: Array<{ ms: number; rssMb: number; records: number }> = [];
  for (let i = 0; i < Number(opts.runs); i++) {
    const args = [
      ...(opts.semi ? [`--max-semi-space-size=${Number(opts.semi)}`] : []),
      import.meta.filename,
      '--child',
      '--file',
      file,
      ...(opts.batches ? ['--batches'] : []),
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const run = JSON.parse(r.stdout);
    runs.push(run);
    console.error(`run ${i + 1}: ${run.ms.toFixed(0)} ms, ${run.records} records, peak RSS ${run.rssMb.toFixed(0)} MB`);
  }
  console.log(
    JSON.stringify({
      records: runs[0]!.records,
      msMedian: Math.round(median(runs.map((r) => r.ms))),
      rssMbMedian: Math.round(median(runs.map((r) => r.rssMb))),
      rssMbMax: Math.round(Math.max(...runs.map((r) => r.rssMb))),
      msRuns: runs.map((r) => Math.round(r.ms)),
      cpus: os.cpus().length,
      load: os.loadavg().map((x) => x.toFixed(2)),
    }),
  );
} finally {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
