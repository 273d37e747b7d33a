import fs from 'node:fs';
import path from 'node:path';
import type { ImportLayout, ImportPreview } from '../../../shared/domain/contacts.ts';
import { MailroomError } from '../../../shared/errors.ts';
import { DelimitedTextReader, type TextRecord, UnclosedQuoteError } from './csv-text.ts';
import {
  bomOf,
  checkEncodingName,
  detectEncoding,
  makeDecoder,
  notUtf8Guess,
  suggestCodePage,
  Utf8Checker,
} from './decode.ts';
import { autoMap, RECOGNISED_LABELS, recogniseHeader, targetOfColumn } from './header-map.ts';
import { parseDelimiterOption, sniff } from './sniff.ts';
import { readVcard, VCARD_HEADER } from './vcard.ts';

// Opens a contacts file of any kind the import reads (CSV/TSV in any of the offered
// encodings, one address per line, vCard) and streams its records with their record number
// and the physical line each starts on. Pure reading: no database, nothing written.

export interface SourceRecord {
  /** 1-based data record (the header is not a record). */
  record: number;
  /** 1-based physical line where the record starts (quoted line breaks count). */
  line: number;
  /** Cells by column position, as many as the row has (not padded to the header). */
  cells: string[];
  /** More non-empty fields than the header: the row's columns cannot be trusted. */
  extra: boolean;
}

export interface Source {
  layout: ImportLayout;
  /** Header names by position, as written (trimmed; '' for an unnamed column). */
  header: string[];
  /** Sentences for the preview and the report: what was guessed, skipped or normalised. */
  notes: string[];
  /** Data records in file order. Each call reads the file again from the start. */
  records(): AsyncIterable<SourceRecord>;
  /** The same records in batches (one per chunk read): fewer awaits for a fast consumer. */
  batches(): AsyncIterable<SourceRecord[]>;
  /** File size in bytes. */
  size: number;
  /** Bytes read so far by the current records() pass (for a progress bar). */
  bytesRead(): number;
}

export interface OpenOptions {
  /** A code page the user picked (see ENCODING_CHOICES); detected when absent. */
  encoding?: string;
  /** , ; | or TAB; sniffed when absent. */
  delimiter?: string;
}

const HEAD_BYTES = 256 * 1024;
/** A longer row means an unclosed quote or not a text file; stop instead of buffering the file. */
const MAX_RECORD_CHARS = 1024 * 1024;
// Read in 32 KB pieces: a decoded chunk then stays a small string that V8's young generation
// frees at once (1 MB strings go to the large-object space and pile up until a full GC).
const CHUNK = 32 * 1024;

export async function openSource(file: string, opts: OpenOptions = {}): Promise<Source> {
  const size = await statSize(file);
  const head = await readHead(file, HEAD_BYTES);
  if (size === 0 || head.length === 0) {
    throw new MailroomError('IMPORT_FILE', 'The file is empty. Choose the file your contacts were saved in.');
  }
  refuseBinary(head, file);
  const notes: string[] = [];

  // Encoding: a BOM decides; else the user's choice; else strict UTF-8 over the whole file.
  const bom = bomOf(head);
  let encoding: string;
  if (bom) {
    encoding = bom.encoding;
    if (opts.encoding && checkEncodingName(opts.encoding) !== bom.encoding) {
      notes.push(
        `The file starts with a ${bom.encoding.toUpperCase()} byte-order mark, so it was read as ${bom.encoding.toUpperCase()} and not as ${opts.encoding}.`,
      );
    }
  } else if (opts.encoding) {
    encoding = checkEncodingName(opts.encoding);
    if (encoding === 'utf-8' && !(await isUtf8File(file))) {
      throw new MailroomError(
        'IMPORT_FILE',
        'This file is not written in UTF-8: some of its letters would be lost. Choose the encoding it was saved in (most often Western European, Windows-1252).',
      );
    }
  } else {
    const guess = detectEncoding(head);
    if (guess.encoding === 'utf-8' && size > head.length && !(await isUtf8File(file))) {
      const fallback = notUtf8Guess();
      encoding = fallback.encoding;
      notes.push(fallback.note!);
    } else {
      encoding = guess.encoding;
      if (guess.note) notes.push(guess.note);
    }
    if (encoding === 'windows-1252') {
      const hint = suggestCodePage(head);
      if (hint) notes.push(hint.note);
    }
  }
  const dataStart = bom ? bom.length : 0;

  const headText = decodeHead(head.subarray(dataStart), encoding, size <= HEAD_BYTES);
  const complete = size <= HEAD_BYTES;
  const sniffed = sniff(headText, complete);
  notes.push(...sniffed.notes);

  if (sniffed.format === 'vcard') return openVcard(file, size, encoding, dataStart, notes);

  let delimiter = sniffed.delimiter;
  let format = sniffed.format;
  if (opts.delimiter !== undefined) {
    const d = parseDelimiterOption(opts.delimiter);
    if (d === null) {
      throw new MailroomError(
        'VALIDATION',
        `"${opts.delimiter}" cannot separate columns here. Use a comma, a semicolon, a tab or a vertical bar (|).`,
      );
    }
    delimiter = d;
    format = 'csv';
  }
  if (format === 'lines') return openLines(file, size, encoding, dataStart, headText, notes);
  return openCsv(file, size, encoding, dataStart, headText, delimiter!, sniffed.sepLine, complete, notes);
}

async function statSize(file: string): Promise<number> {
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile())
      throw new MailroomError('IMPORT_FILE', `${path.basename(file)} is not a file. Choose a file with your contacts.`);
    return st.size;
  } catch (err) {
    if (err instanceof MailroomError) throw err;
    throw new MailroomError(
      'IMPORT_FILE',
      // The base name only: an error text travels to logs and screenshots, a full path names the user's folders.
      `The file ${path.basename(file)} could not be opened (${(err as NodeJS.ErrnoException).code ?? String(err)}). Check that it exists and that you may read it.`,
    );
  }
}

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function refuseBinary(head: Buffer, file: string): void {
  const name = path.basename(file);
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    throw new MailroomError(
      'IMPORT_FILE',
      `${name} is a compressed file (an Excel workbook .xlsx, or a ZIP such as a Mailchimp export). For a workbook, open it in Excel and choose File › Save As › "CSV UTF-8", then import that file; for a ZIP, unpack it and import the .csv files inside.`,
    );
  }
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) {
    throw new MailroomError(
      'IMPORT_FILE',
      `${name} is an old Excel workbook (.xls). Open it in Excel and choose File › Save As › "CSV UTF-8", then import that file.`,
    );
  }
}

/** Reads a file from `start` in pieces into one reused buffer (no garbage buffers piling up). */
async function* fileChunks(file: string, start: number, size: number): AsyncGenerator<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  const buf = Buffer.allocUnsafe(size);
  let position = start;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, size, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

async function isUtf8File(file: string): Promise<boolean> {
  const checker = new Utf8Checker();
  for await (const chunk of fileChunks(file, 0, 1024 * 1024)) if (!checker.write(chunk)) return false;
  return checker.end();
}

function decodeHead(bytes: Buffer, encoding: string, complete: boolean): string {
  const d = makeDecoder(encoding);
  // A streaming decoder keeps an incomplete character at the end for later: the head is never cut mid-letter.
  return complete ? d.write(bytes) + d.end() : d.write(bytes);
}

/** The file's text from `start`, decoded chunk by chunk (UTF-8 strictly: a bad byte throws). */
async function* textChunks(file: string, start: number, encoding: string, onBytes: (n: number) => void) {
  const input = fileChunks(file, start, CHUNK);
  const utf8 = encoding === 'utf-8' ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) : null;
  const dec = utf8 ? null : makeDecoder(encoding);
  try {
    for await (const chunk of input) {
      onBytes(chunk.length);
      const text = utf8 ? utf8.decode(chunk, { stream: true }) : dec!.write(chunk);
      if (text) yield text;
    }
    const last = utf8 ? utf8.decode() : dec!.end();
    if (last) yield last;
  } catch (err) {
    if (err instanceof TypeError && utf8) {
      throw new MailroomError(
        'IMPORT_FILE',
        'The file changed while it was read, or is not UTF-8 after all. Choose its encoding in the preview and try again.',
      );
    }
    throw err;
  } finally {
    await input.return(undefined);
  }
}

function layoutOf(
  format: ImportLayout['format'],
  encoding: string,
  delimiter: string | null,
  recognised: string | null,
): ImportLayout {
  return { format, encoding, delimiter, recognised };
}

function hasExtra(cells: string[], width: number): boolean {
  for (let i = width; i < cells.length; i++) if (cells[i] !== '') return true;
  return false;
}

function readError(err: unknown, line: number): MailroomError {
  if (err instanceof MailroomError) return err;
  if (err instanceof UnclosedQuoteError) {
    return new MailroomError(
      'IMPORT_FILE',
      `The row starting at line ${err.line} opens a quote (") that is never closed, so the rest of the file would be one cell. Fix that line in a spreadsheet program or text editor and import again.`,
    );
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code && /^E[A-Z]+$/.test(e.code)) {
    return new MailroomError('IMPORT_FILE', `The file could not be read (${e.code}). Check that it is still there.`);
  }
  return new MailroomError('IMPORT_FILE', `The file could not be read near line ${line}: ${e.message ?? String(err)}`);
}

function openCsv(
  file: string,
  size: number,
  encoding: string,
  dataStart: number,
  headText: string,
  delimiter: string,
  sepLine: boolean,
  complete: boolean,
  notes: string[],
): Source {
  const headReader = new DelimitedTextReader(delimiter);
  let first: TextRecord[];
  try {
    first = headReader.push(headText);
    if (complete) first.push(...headReader.end());
  } catch (err) {
    throw readError(err, 1);
  }
  // The header is the first record with a name in it, after the sep= line: spreadsheets
  // often start with an empty row (or one of bare delimiters) above it.
  let headerAt = sepLine ? 1 : 0;
  while (headerAt < first.length - 1 && first[headerAt]!.cells.every((c) => c.trim() === '')) headerAt++;
  if (headerAt > (sepLine ? 1 : 0)) {
    notes.push(
      `The first ${headerAt - (sepLine ? 1 : 0) === 1 ? 'line is' : `${headerAt - (sepLine ? 1 : 0)} lines are`} empty; the column names were taken from line ${first[headerAt]!.line}.`,
    );
  }
  const skip = headerAt + 1; // records before the data: the sep= line, empty lines, the header
  const header = (first[headerAt]?.cells ?? []).map((h) => h.trim());
  const recognised = recogniseHeader(header);
  if (recognised) notes.push(`Recognised ${RECOGNISED_LABELS[recognised] ?? recognised}.`);
  const width = header.length;
  let bytes = 0;

  async function* batches(): AsyncGenerator<SourceRecord[]> {
    bytes = dataStart;
    const reader = new DelimitedTextReader(delimiter, MAX_RECORD_CHARS);
    let seen = 0;
    let record = 0;
    const convert = (recs: TextRecord[]): SourceRecord[] => {
      const out: SourceRecord[] = [];
      for (const r of recs) {
        if (++seen <= skip) continue;
        out.push({ record: ++record, line: r.line, cells: r.cells, extra: hasExtra(r.cells, width) });
      }
      return out;
    };
    try {
      for await (const text of textChunks(file, dataStart, encoding, (n) => {
        bytes += n;
      })) {
        const b = convert(reader.push(text));
        if (b.length) yield b;
      }
      const b = convert(reader.end());
      if (b.length) yield b;
    } catch (err) {
      throw readError(err, record + skip);
    }
  }

  return {
    layout: layoutOf('csv', encoding, delimiter, recognised),
    header,
    notes,
    size,
    bytesRead: () => bytes,
    batches,
    records: () => flatten(batches()),
  };
}

/** One record at a time from batches; a plain iterator, cheaper per record than an async generator. */
function flatten(batches: AsyncIterable<SourceRecord[]>): AsyncIterable<SourceRecord> {
  return {
    [Symbol.asyncIterator]() {
      const it = batches[Symbol.asyncIterator]();
      let batch: SourceRecord[] = [];
      let i = 0;
      return {
        async next(): Promise<IteratorResult<SourceRecord>> {
          while (i >= batch.length) {
            const r = await it.next();
            if (r.done) return { done: true, value: undefined };
            batch = r.value;
            i = 0;
          }
          return { done: false, value: batch[i++]! };
        },
        async return(): Promise<IteratorResult<SourceRecord>> {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** Splits text into lines at CRLF, LF or CR across chunks, with 1-based line numbers. */
class LineSplitter {
  private rest = '';
  private line = 0;
  push(text: string, final = false): Array<{ line: number; text: string }> {
    const s = this.rest + text;
    const out: Array<{ line: number; text: string }> = [];
    const re = /\r\n|\n|\r/g;
    let from = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (!final && m[0] === '\r' && m.index === s.length - 1) break;
      out.push({ line: ++this.line, text: s.slice(from, m.index) });
      from = m.index + m[0].length;
    }
    this.rest = s.slice(from);
    if (final && this.rest !== '') {
      out.push({ line: ++this.line, text: this.rest });
      this.rest = '';
    }
    return out;
  }
}

function openLines(
  file: string,
  size: number,
  encoding: string,
  dataStart: number,
  headText: string,
  notes: string[],
): Source {
  // One address per line. A first line without an @ is a header ("email", "Adresse").
  const firstLine = /^[^\r\n]*/.exec(headText)![0].trim();
  const hasHeader = firstLine !== '' && !firstLine.includes('@');
  const header = [hasHeader ? firstLine : 'Email'];
  notes.push('The file has one value per line; each line is read as one address.');
  if (hasHeader) notes.push(`The first line "${firstLine}" has no @, so it was taken as the column name.`);
  let bytes = 0;
  async function* batches(): AsyncGenerator<SourceRecord[]> {
    bytes = dataStart;
    const split = new LineSplitter();
    let record = 0;
    const convert = (lines: Array<{ line: number; text: string }>): SourceRecord[] => {
      const out: SourceRecord[] = [];
      for (const l of lines) {
        if (l.line === 1 && hasHeader) continue;
        out.push({ record: ++record, line: l.line, cells: [l.text], extra: false });
      }
      return out;
    };
    try {
      for await (const text of textChunks(file, dataStart, encoding, (n) => {
        bytes += n;
      })) {
        const b = convert(split.push(text));
        if (b.length) yield b;
      }
      const b = convert(split.push('', true));
      if (b.length) yield b;
    } catch (err) {
      throw readError(err, record);
    }
  }
  return {
    layout: layoutOf('lines', encoding, null, null),
    header,
    notes,
    size,
    bytesRead: () => bytes,
    batches,
    records: () => flatten(batches()),
  };
}

async function openVcard(
  file: string,
  size: number,
  encoding: string,
  dataStart: number,
  notes: string[],
): Promise<Source> {
  if (size > 100 * 1024 * 1024) {
    throw new MailroomError(
      'IMPORT_FILE',
      'This vCard file is larger than 100 MB. Export the contacts as CSV instead, or in smaller parts.',
    );
  }
  const bytes = (await fs.promises.readFile(file)).subarray(dataStart);
  const d = makeDecoder(encoding);
  const text = d.write(bytes) + d.end();
  const read = readVcard(text);
  notes.push(`Recognised ${RECOGNISED_LABELS.vcard}: ${read.cards} cards.`, ...read.notes);
  const header = [...VCARD_HEADER];
  return {
    layout: layoutOf('vcard', encoding, null, 'vcard'),
    header,
    notes,
    size,
    bytesRead: () => size,
    batches: async function* () {
      yield read.rows.map((r, i) => ({ record: i + 1, line: r.line, cells: r.cells, extra: false }));
    },
    records: async function* () {
      let record = 0;
      for (const r of read.rows) yield { record: ++record, line: r.line, cells: r.cells, extra: false };
    },
  };
}

export const PREVIEW_ROWS = 20;
const SAMPLE_RECORDS = 200;
const SAMPLES_PER_COLUMN = 3;

/** What the wizard shows after a file is chosen: layout, columns with samples, first rows, proposed mapping. */
export async function previewSource(file: string, opts: OpenOptions = {}): Promise<ImportPreview> {
  const src = await openSource(file, opts);
  const rows: string[][] = [];
  const samples: string[][] = src.header.map(() => []);
  let seen = 0;
  for await (const r of src.records()) {
    if (rows.length < PREVIEW_ROWS) rows.push(r.cells);
    r.cells.forEach((c, i) => {
      const v = c.trim();
      if (i < samples.length && v !== '' && samples[i]!.length < SAMPLES_PER_COLUMN) samples[i]!.push(v);
    });
    if (++seen >= SAMPLE_RECORDS) break;
  }
  const mapping = autoMap(src.header);
  const notes = [...src.notes];
  if (mapping.email === undefined) {
    notes.push('No column was recognised as the email address: choose it in the mapping.');
  }
  return {
    fileName: path.basename(file),
    fileSize: src.size,
    layout: src.layout,
    columns: src.header.map((name, index) => ({
      index,
      name,
      field: targetOfColumn(mapping, index),
      samples: samples[index] ?? [],
    })),
    rows,
    mapping,
    notes,
  };
}

/** Reads every record into memory (tests and small files only). */
export async function readAll(file: string, opts: OpenOptions = {}): Promise<{ source: Source; rows: SourceRecord[] }> {
  const source = await openSource(file, opts);
  const rows: SourceRecord[] = [];
  for await (const r of source.records()) rows.push(r);
  return { source, rows };
}
