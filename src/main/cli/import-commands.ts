import type { FieldType, ImportMapping, ImportProgress, ImportReport } from '../../shared/domain/contacts.ts';
import { EXISTING_MODES, FIELD_TYPES, SUPPRESSION_REASONS } from '../../shared/domain/contacts.ts';
import type { StartedImport } from '../contacts/import/import-service.ts';
import type { Engine } from '../engine/engine.ts';
import type { CliOptions } from './main.ts';
import { type Out, print, usage } from './output.ts';

// `mailroom contacts import|imports|undo-import` and `mailroom suppressions import`: thin
// adapters over engine.imports. The import runs on its worker thread; Ctrl+C cancels it
// (nothing changes), and progress goes to standard error (one JSON object per line with --json).

const n = (v: number) => v.toLocaleString('en-US');

export async function contactsImport(engine: Engine, out: Out, rest: string[], opts: CliOptions): Promise<number> {
  if (rest.length !== 1) {
    usage(
      'Use: mailroom contacts import FILE --list NAME [--dry-run] [--encoding E] [--delimiter D] [--map email=COLUMN,...] [--existing skip|fill|overwrite] [--basis TEXT] [--tag T]',
    );
  }
  const file = rest[0] as string;
  if (!opts.list) usage('Say which list to add people to: --list NAME (a new name creates the list).');
  const existing = opts.existing ?? 'skip';
  if (!(EXISTING_MODES as readonly string[]).includes(existing)) {
    usage(`--existing is one of ${EXISTING_MODES.join(', ')} (got "${existing}").`);
  }
  const delimiter = parseDelimiter(opts.delimiter);
  const mapping = opts.map ? await resolveMap(engine, file, opts.map, opts.encoding, delimiter) : undefined;
  // Always a name ("2024" is a list called 2024, created if new), never an id.
  const list = opts.list;
  const job = engine.imports.start(
    file,
    {
      list,
      tags: opts.tag ?? [],
      basis: opts.basis,
      existing: existing as 'skip',
      encoding: opts.encoding,
      delimiter,
      mapping,
      fieldTypes: parseFieldTypes(opts['field-type']),
      fieldLabels: parseFieldLabels(opts['field-label']),
      dryRun: Boolean(opts['dry-run']),
    },
    progressPrinter(out),
  );
  const report = await untilDone(engine, job);
  print(out, report, describe(report, `the list ${opts.list}`));
  return 0;
}

export async function suppressionsImport(engine: Engine, out: Out, rest: string[], opts: CliOptions): Promise<number> {
  if (rest.length !== 1) usage('Use: mailroom suppressions import FILE [--reason R] [--dry-run]');
  const file = rest[0] as string;
  const reasons = SUPPRESSION_REASONS.filter((r) => r !== 'erased');
  if (opts.reason && !(reasons as readonly string[]).includes(opts.reason)) {
    usage(`--reason is one of ${reasons.join(', ')} (got "${opts.reason}").`);
  }
  const delimiter = parseDelimiter(opts.delimiter);
  const mapping = opts.map ? await resolveMap(engine, file, opts.map, opts.encoding, delimiter) : undefined;
  const job = engine.imports.startSuppressions(
    file,
    {
      reason: opts.reason as 'manual' | undefined,
      encoding: opts.encoding,
      delimiter,
      mapping,
      dryRun: Boolean(opts['dry-run']),
    },
    progressPrinter(out),
  );
  const report = await untilDone(engine, job);
  const text = [
    `${report.dryRun ? 'Dry run (nothing was changed): ' : ''}${report.fileName}: ${n(report.records)} records, ${n(report.suppressionsAdded ?? 0)} new suppressions, ${n(report.suppressed - (report.suppressionsAdded ?? 0))} already suppressed, ${n(report.skipped)} left out.`,
    ...problemLines(report),
  ].join('\n');
  print(out, report, text);
  return 0;
}

export function importsList(engine: Engine, out: Out): number {
  const list = engine.imports.list();
  const lines = list.length
    ? list.map(
        (i) =>
          `${i.id}  ${new Date(i.createdAt).toISOString()}  ${i.state.padEnd(9)}  ${i.fileName}: ${n(i.counts.added)} added, ${n(i.counts.updated)} updated, ${n(i.counts.suppressed)} suppressed`,
      )
    : ['No imports yet.'];
  print(out, list, lines.join('\n'));
  return 0;
}

export function undoLastImport(engine: Engine, out: Out, rest: string[]): number {
  if (rest.length > 1) usage('Use: mailroom contacts undo-import [ID] (the last import when no ID is given)');
  let id: number;
  if (rest[0] !== undefined) {
    if (!/^\d+$/.test(rest[0]))
      usage(`The import ID is a number, as "mailroom contacts imports" shows (got "${rest[0]}").`);
    id = Number(rest[0]);
  } else {
    const last = engine.imports.lastCommitted();
    if (!last) usage('There is no import to undo.');
    id = last.id;
  }
  const summary = engine.imports.undo(id);
  print(
    out,
    summary,
    `Undid import ${summary.id} (${summary.fileName}): the people it added are removed and what it changed is restored. Suppressions and unsubscribes stay as they are.`,
  );
  return 0;
}

async function untilDone(engine: Engine, job: StartedImport): Promise<ImportReport> {
  // Ctrl+C (or a polite kill) cancels: the import changes nothing until its last step.
  const stop = () => engine.imports.cancel(job.jobId);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await job.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function progressPrinter(out: Out): (p: ImportProgress) => void {
  if (out.json) return (p) => process.stderr.write(`${JSON.stringify(p)}\n`);
  if (!process.stderr.isTTY) return () => {};
  return (p) => {
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
    process.stderr.write(`\r${p.phase} ${pct}% (${n(p.records)} records)   `);
    if (p.phase === 'done' || p.phase === 'cancelled' || p.phase === 'failed') process.stderr.write('\n');
  };
}

function describe(r: ImportReport, where: string): string {
  const head = r.dryRun
    ? 'Dry run (nothing was changed): '
    : `Imported (import ${r.importId}, undo with: mailroom contacts undo-import ${r.importId}): `;
  const declined = r.declined ? `, ${n(r.declined)} said no to email marketing (kept as contacts, not subscribed)` : '';
  return [
    `${head}${r.fileName} into ${where}: ${n(r.records)} records (${n(r.blank)} blank), ${n(r.added)} added, ${n(r.updated)} updated, ${n(r.unchanged)} unchanged, ${n(r.suppressed)} suppressed${declined}, ${n(r.skipped)} left out.`,
    `Read as ${r.encoding}${r.delimiter ? `, cells separated by ${JSON.stringify(r.delimiter)}` : ''}${r.recognised ? `, recognised as ${r.recognised}` : ''}.`,
    ...r.notes.map((note) => `Note: ${note}`),
    ...problemLines(r),
  ].join('\n');
}

function problemLines(r: ImportReport): string[] {
  if (r.problems.length === 0) return ['No problems.'];
  const shown = r.problems.slice(0, 50);
  return [
    `${n(r.problemCount)} problems${r.problems.length > shown.length ? ` (the first ${shown.length}; --json lists them all)` : ''}:`,
    ...shown.map(
      (p) =>
        `  record ${p.record} (line ${p.line}) ${p.kind}: ${p.value === null ? '' : `${JSON.stringify(p.value)} `}${p.reason}`,
    ),
  ];
}

function parseDelimiter(d: string | undefined): string | undefined {
  if (d === undefined) return undefined;
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|' };
  const v = named[d.toLowerCase()] ?? d;
  if (![',', ';', '\t', '|'].includes(v)) usage(`--delimiter is one of , ; | or tab (got "${d}").`);
  return v;
}

function parseFieldTypes(specs: string[] | undefined): Record<string, FieldType> {
  const types: Record<string, FieldType> = {};
  for (const spec of specs ?? []) {
    for (const part of spec.split(',')) {
      const [key, type] = part.split('=').map((s) => s.trim());
      if (!key || !type || !(FIELD_TYPES as readonly string[]).includes(type)) {
        usage(`--field-type takes KEY=TYPE with TYPE one of ${FIELD_TYPES.join(', ')} (got "${part}").`);
      }
      types[key] = type as FieldType;
    }
  }
  return types;
}

/** `--field-label city=Home town` (one per option: a label may hold a comma). */
function parseFieldLabels(specs: string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const spec of specs ?? []) {
    const eq = spec.indexOf('=');
    const key = spec.slice(0, eq).trim();
    const label = spec.slice(eq + 1).trim();
    if (eq < 0 || !key || !label)
      usage(`--field-label takes KEY=LABEL, e.g. --field-label city="Home town" (got "${spec}").`);
    labels[key] = label;
  }
  return labels;
}

/** `email=Email,first_name=2,field:city=Town`: a column by its header name or 1-based position. */
async function resolveMap(
  engine: Engine,
  file: string,
  spec: string,
  encoding: string | undefined,
  delimiter: string | undefined,
): Promise<ImportMapping> {
  const pairs = spec.split(',').map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) usage(`--map takes FIELD=COLUMN pairs separated by commas (got "${p}").`);
    return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const;
  });
  const needHeader = pairs.some(([, c]) => !/^\d+$/.test(c));
  const names = needHeader
    ? (await engine.imports.preview(file, { encoding, delimiter })).columns.map((c) => c.name)
    : [];
  const mapping: ImportMapping = {};
  for (const [field, col] of pairs) {
    if (/^\d+$/.test(col)) {
      if (Number(col) < 1) usage(`Column positions start at 1 (got ${col} for ${field}).`);
      mapping[field] = Number(col) - 1;
      continue;
    }
    const i = names.findIndex((name) => name.trim().toLowerCase() === col.toLowerCase());
    if (i < 0) {
      usage(
        `The file has no column named "${col}" (for ${field}). Its columns: ${names.map((c) => JSON.stringify(c)).join(', ')}.`,
      );
    }
    mapping[field] = i;
  }
  return mapping;
}
