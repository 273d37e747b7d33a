// Delimited text (CSV, semicolon, tab, |) read with csv-parse 7, fed decoded chunks as they
// come and giving back the records each chunk completes, each with the physical line it
// starts on. The parsing is csv-parse's; this file only sets its options and counts lines.
//
// Options, and why (skip_empty_lines and bom are csv-parse's defaults, set to say they matter):
// - record_delimiter CRLF, LF and CR: by default csv-parse locks onto the first line ending it
//   sees, and files mix them (Excel's Alt+Enter writes LF inside CRLF rows; old Mac files use CR);
// - relax_quotes: a quote inside an unquoted field (`5" Display`) is a character, not an error;
// - relax_column_count: rows with fewer or more cells than the header are read as they are
//   (the import reports short rows and flags extra cells; it does not lose them);
// - skip_empty_lines false: an empty line is a record with one empty cell, which the import
//   counts as a blank row (and the line numbers of later rows stay right);
// - bom false: the decoder has already removed it;
// - max_record_size: a record longer than that is an unclosed quote (or not text): stop with
//   an error naming its line instead of buffering the rest of the file.
//
// What csv-parse does that Python's csv module (the tests' independent reference) does not:
// a quoted field with text after its closing quote (`"abc"def`, `"a" ,b`) is kept as written,
// quotes included (`"abc"def`), where Python gives `abcdef`. Nothing is lost and the row's
// columns are the same; the preview shows the cell as it is in the file. And a quote still
// open at the end of the file is an error naming its line (Python, not strict, reads the rest
// of the file into that one cell). The parser takes UTF-8 bytes, so a lone surrogate (only
// from a broken UTF-16 file) becomes U+FFFD, which the import's checks then show.
//
// Line numbers are counted here, not taken from csv-parse's `info.lines`, which counts a CRLF
// inside a quoted field as two lines: a record starts one line after the previous one ends,
// and it ends as many lines later as its cells hold line breaks (CRLF, LF or CR, each one).

import { type CsvError, Parser } from 'csv-parse';

export interface TextRecord {
  line: number;
  cells: string[];
}

export class UnclosedQuoteError extends Error {
  readonly line: number;
  constructor(line: number) {
    super(`quote opened on line ${line} is never closed`);
    this.name = 'UnclosedQuoteError';
    this.line = line;
  }
}

const CR = 13;
const LF = 10;

/** Counts line breaks (CRLF, LF, CR) in a string. */
export function countBreaks(s: string): number {
  let n = 0;
  let i = s.indexOf('\n');
  const hasCr = s.indexOf('\r') >= 0;
  if (!hasCr) {
    while (i >= 0) {
      n++;
      i = s.indexOf('\n', i + 1);
    }
    return n;
  }
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === LF) n++;
    else if (c === CR) {
      n++;
      if (s.charCodeAt(k + 1) === LF) k++;
    }
  }
  return n;
}

function breaksIn(cells: string[]): number {
  let n = 0;
  for (const c of cells) if (c.indexOf('\n') >= 0 || c.indexOf('\r') >= 0) n += countBreaks(c);
  return n;
}

/**
 * csv-parse's streaming Parser, written to and read from synchronously: Node's Transform runs
 * the parse inside write() and the final flush inside end() (Node 15 and later; seen on 20 and
 * 24), and a readable buffer with no practical limit means it never waits for a reader, so each
 * push() returns exactly the records its text completed. The chunk-cut test in
 * import-sniff.test.ts fails if a Node version ever defers either.
 */
export class DelimitedTextReader {
  private readonly parser: Parser;
  /** Physical line the next record starts on. */
  private line = 1;
  /** A high surrogate that ended the last chunk: its pair is in the next one. */
  private held = '';

  constructor(delimiter: string, maxRecordChars = 1 << 20) {
    if (delimiter.length !== 1) throw new Error('delimiter must be one character');
    this.parser = new Parser({
      delimiter,
      quote: '"',
      escape: '"',
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: false,
      bom: false,
      max_record_size: maxRecordChars,
      // Stream options (Parser passes them to its Transform): see the class comment.
      readableHighWaterMark: Number.MAX_SAFE_INTEGER,
    } as ConstructorParameters<typeof Parser>[0]);
    // The error is taken from `errored` below; without a listener Node would also throw it.
    this.parser.on('error', () => {});
  }

  /** Feeds the next chunk of text; returns the records it completes. */
  push(text: string): TextRecord[] {
    // The parser takes bytes: a chunk cut between the two halves of an astral character (😀)
    // would become two U+FFFD. The decoders never cut there; this keeps any caller safe.
    let s = this.held ? this.held + text : text;
    this.held = '';
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.held = s.slice(-1);
      s = s.slice(0, -1);
    }
    if (s !== '') this.parser.write(s);
    return this.take();
  }

  /** The end of the text: returns the last record, if any. */
  end(): TextRecord[] {
    if (!this.parser.errored) this.parser.end(this.held || undefined);
    return this.take();
  }

  private take(): TextRecord[] {
    const out: TextRecord[] = [];
    for (let cells = this.parser.read() as string[] | null; cells !== null; cells = this.parser.read()) {
      out.push({ line: this.line, cells });
      this.line += 1 + breaksIn(cells);
    }
    const err = this.parser.errored as CsvError | null;
    if (err) {
      // Every record before the failing one has been taken: it starts on this.line.
      if (err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_MAX_RECORD_SIZE') {
        throw new UnclosedQuoteError(this.line);
      }
      throw err;
    }
    return out;
  }
}
