import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { countBreaks, DelimitedTextReader, UnclosedQuoteError } from '../../src/main/contacts/import/csv-text.ts';
import {
  checkEncodingName,
  decodeBuffer,
  detectEncoding,
  trimIncompleteUtf8,
  Utf8Checker,
} from '../../src/main/contacts/import/decode.ts';
import { readAll } from '../../src/main/contacts/import/read-file.ts';
import { fieldCounts, sniff } from '../../src/main/contacts/import/sniff.ts';
import { ENCODING_CHOICES } from '../../src/shared/domain/contacts.ts';
import { tempDir } from '../helpers/engine.ts';
import { runPython } from '../helpers/python.ts';

// Encoding detection, delimiter sniffing and the delimited-text reader, including text
// cut into chunks at every possible place and compared with Python's csv module.

describe('detectEncoding', () => {
  it('trusts a byte-order mark first', () => {
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ encoding: 'utf-8', bom: true });
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x41, 0]))).toEqual({ encoding: 'utf-16le', bom: true });
    expect(detectEncoding(Buffer.from([0xfe, 0xff, 0, 0x41]))).toEqual({ encoding: 'utf-16be', bom: true });
  });

  it('takes strict UTF-8, else Windows-1252 with a note', () => {
    expect(detectEncoding(Buffer.from('Prénom;Nom\r\n', 'utf8'))).toEqual({ encoding: 'utf-8', bom: false });
    const ansi = detectEncoding(iconv.encode('Prénom;Nom\r\n', 'windows-1252'));
    expect(ansi.encoding).toBe('windows-1252');
    expect(ansi.note).toMatch(/not UTF-8/);
    // The whole file decides when given.
    const head = Buffer.from('Email\r\nok@example.com\r\n');
    expect(detectEncoding(head, Buffer.concat([head, Buffer.from([0xe9])])).encoding).toBe('windows-1252');
  });

  it('does not call a head cut inside a UTF-8 letter invalid', () => {
    const b = Buffer.from('Jürgen', 'utf8');
    const cut = b.subarray(0, 2); // "J" + first byte of "ü"
    expect(trimIncompleteUtf8(cut)).toEqual(Buffer.from('J'));
    expect(detectEncoding(cut).encoding).toBe('utf-8');
    const c = new Utf8Checker();
    expect(c.write(b.subarray(0, 2))).toBe(true);
    expect(c.write(b.subarray(2))).toBe(true);
    expect(c.end()).toBe(true);
    const bad = new Utf8Checker();
    bad.write(b.subarray(0, 2));
    expect(bad.end()).toBe(false); // ends in the middle of a letter
  });

  it('recognises UTF-16 written without a BOM', () => {
    expect(detectEncoding(Buffer.from('Email\tName\r\n', 'utf16le')).encoding).toBe('utf-16le');
  });

  it('offers code pages that iconv-lite knows, each with a plain label', () => {
    for (const c of ENCODING_CHOICES) {
      expect(iconv.encodingExists(c.value), c.value).toBe(true);
      expect(c.label.length).toBeGreaterThan(5);
    }
    expect(checkEncodingName('CP1252')).toBe('windows-1252');
    expect(checkEncodingName('latin1')).toBe('windows-1252');
    expect(checkEncodingName('UTF-16')).toBe('utf-16le');
  });

  it('decodes every byte of every single-byte choice without U+FFFD', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_v, i) => i));
    for (const c of ENCODING_CHOICES) {
      if (c.value.startsWith('utf')) continue;
      const text = decodeBuffer(all, c.value);
      expect(text, c.value).toHaveLength(256);
      expect(text, c.value).not.toContain('\ufffd');
    }
  });
});

describe('sniff', () => {
  it('picks the delimiter whose field count holds across rows', () => {
    expect(sniff('a,b,c\n1,2,3\n4,5,6\n', true).delimiter).toBe(',');
    expect(sniff('Name;Email\n"Müller, Hans";h@example.de\nMeier, Eva;e@example.de\n', true).delimiter).toBe(';');
    expect(sniff('Name\tEmail\tCity\nA, B\ta@x.de\tKöln\n', true).delimiter).toBe('\t');
    expect(sniff('email|name\na@x.de|A\n', true).delimiter).toBe('|');
  });

  it('calls a one-column file "lines", and a vCard a vCard', () => {
    expect(sniff('a@example.com\nb@example.com\n', true)).toMatchObject({ format: 'lines', delimiter: null });
    // A comma inside a display name on the first line does not make it a CSV file.
    const named = 'Meier, Eva <eva@example.de>\nhans@example.de\n"Doe, J." <j@example.com>\nx@example.org\n';
    expect(sniff(named, true)).toMatchObject({ format: 'lines', delimiter: null });
    // A two-column file whose rows mostly have both columns is still CSV.
    expect(sniff('Email,Name\na@example.com,A\nb@example.com\nc@example.com,C\n', true).delimiter).toBe(',');
    expect(sniff('\r\nBEGIN:VCARD\r\nVERSION:3.0\r\n', true).format).toBe('vcard');
    expect(sniff('begin:vcard\nversion:2.1\n', true).format).toBe('vcard');
  });

  it('honours sep= (any of the four, any case)', () => {
    expect(sniff('sep=;\r\na;b\r\n', true)).toMatchObject({ delimiter: ';', sepLine: true });
    expect(sniff('SEP=|\na|b\n', true)).toMatchObject({ delimiter: '|', sepLine: true });
    expect(sniff('sep=\t\na\tb\n', true)).toMatchObject({ delimiter: '\t', sepLine: true });
  });

  it('counts fields quote-aware, ignoring a record cut at the end of the sample', () => {
    expect(fieldCounts('a,"b,c"\r\n"x\ny",z\n"cut,', ',', false, 10)).toEqual([2, 2]);
    expect(fieldCounts('a,b\nc', ',', true, 10)).toEqual([2, 1]);
  });
});

// Messy but well-formed delimited text: random cells (quotes, delimiters, CR, LF, accents,
// astral characters), quoted when needed or at random, bare quotes inside unquoted cells,
// rows ended by CRLF, LF or CR at random, sometimes no final line end, empty lines.
function messyText(seed: number, delim: string): string {
  let s = seed;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const alphabet = ['a', 'b', 'é', '€', '😀', ' ', '"', delim, '\r', '\n', '\r\n', 'x@y.z', "'"];
  const eols = ['\r\n', '\n', '\r'];
  const rows: string[] = [];
  const nrows = 1 + rnd(12);
  for (let r = 0; r < nrows; r++) {
    if (rnd(10) === 0) {
      rows.push('');
      continue;
    }
    const cells: string[] = [];
    const ncells = 1 + rnd(5);
    for (let c = 0; c < ncells; c++) {
      let v = '';
      const len = rnd(6);
      for (let k = 0; k < len; k++) v += alphabet[rnd(alphabet.length)];
      const must = /["\r\n]/.test(v) || v.includes(delim);
      if (must || rnd(4) === 0) cells.push(`"${v.replace(/"/g, '""')}"`);
      else if (v === '' && rnd(3) === 0)
        cells.push('a"b'); // bare quote inside an unquoted cell
      else cells.push(v);
    }
    rows.push(cells.join(delim));
  }
  let text = '';
  rows.forEach((row, i) => {
    text += row;
    if (i < rows.length - 1 || rnd(2) === 0) text += eols[rnd(3)];
  });
  return text;
}

describe('DelimitedTextReader', () => {
  it('gives the same records and lines however the text is cut into chunks', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const text = messyText(seed, seed % 2 ? ',' : ';');
      const whole = new DelimitedTextReader(seed % 2 ? ',' : ';');
      const ref = [...whole.push(text), ...whole.end()];
      for (let size = 1; size <= 7; size++) {
        const r = new DelimitedTextReader(seed % 2 ? ',' : ';');
        const got = [];
        for (let i = 0; i < text.length; i += size) got.push(...r.push(text.slice(i, i + size)));
        got.push(...r.end());
        expect(got, `seed ${seed} size ${size}`).toEqual(ref);
      }
      // Lines: each record starts one line after the previous one's last line.
      let line = 1;
      for (const rec of ref) {
        expect(rec.line).toBe(line);
        line += 1 + rec.cells.reduce((n, c) => n + countBreaks(c), 0);
      }
    }
  });

  // messyText quotes a cell whole or not at all, as programs write them, so csv-parse and Python
  // agree on every record. The one reading where they differ on purpose (text after a closing
  // quote, `"Smith" Jr`) is named in import-read.test.ts with its fixture.
  it("agrees with Python's csv module on messy text", async () => {
    const fixed = ['a,b\rc,d\ne,f', 'a,b\r\rc\n\nd', '"a\rb",c\rd,e"f"\r\n', ',,\r,', 'x,"y""",z\r'];
    const texts = [
      ...fixed.map((text) => ({ text, d: ',' })),
      ...Array.from({ length: 300 }, (_v, i) => ({
        text: messyText(1000 + i, i % 3 ? ',' : '\t'),
        d: i % 3 ? ',' : '\t',
      })),
    ];
    const script = `
import csv, io, json, sys
print(json.dumps([[r if r else [''] for r in csv.reader(io.StringIO(t['text'], newline=''), delimiter=t['d'])] for t in json.load(sys.stdin)]))
`;
    const py: string[][][] = JSON.parse(await runPython(script, JSON.stringify(texts), 'csv reader'));
    texts.forEach((t, i) => {
      const r = new DelimitedTextReader(t.d);
      const ours = [...r.push(t.text), ...r.end()].map((x) => x.cells);
      expect(ours, JSON.stringify(t.text)).toEqual(py[i]);
    });
  });

  it("differs from Python's csv module on arbitrary text only where named", async () => {
    // Garbage of quotes, delimiters, spaces and line ends: every text either reads as Python
    // reads it, or differs in one of the two named ways, never in rows or columns.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['a', 'b', ' ', '"', '""', ',', '\r', '\n', '\r\n', 'é'];
    const texts = Array.from({ length: 3000 }, () => {
      let t = '';
      for (let n = 1 + rnd(14); n > 0; n--) t += alphabet[rnd(alphabet.length)];
      return t;
    });
    const script = `
import csv, io, json, sys
out = []
for t in json.load(sys.stdin):
    try:
        out.append([r if r else [''] for r in csv.reader(io.StringIO(t, newline=''))])
    except csv.Error as e:
        out.append(None)
print(json.dumps(out))
`;
    const py: Array<string[][] | null> = JSON.parse(await runPython(script, JSON.stringify(texts), 'csv reader'));
    const seen = { same: 0, quotesKept: 0, unclosed: 0 };
    const unquote = (rows: string[][]) => rows.map((r) => r.map((c) => c.replace(/"/g, '')));
    texts.forEach((text, i) => {
      const r = new DelimitedTextReader(',');
      let ours: string[][];
      try {
        ours = [...r.push(text), ...r.end()].map((x) => x.cells);
      } catch (err) {
        // 1. A quote still open at the end of the file: an error naming its line (Python, not
        //    strict, reads to the end as one cell; the import would put the rest of the file in it).
        expect(err, JSON.stringify(text)).toBeInstanceOf(UnclosedQuoteError);
        seen.unclosed++;
        return;
      }
      const theirs = py[i]!;
      if (JSON.stringify(ours) === JSON.stringify(theirs)) {
        seen.same++;
        return;
      }
      // 2. A quoted field with text after its closing quote (`"abc"def`, `""a`) is kept as
      //    written, quotes included; Python drops them. Same rows, same columns, same letters.
      expect(unquote(ours), JSON.stringify(text)).toEqual(unquote(theirs));
      expect(text, JSON.stringify(text)).toMatch(/"[^,\r\n]/);
      seen.quotesKept++;
    });
    expect(seen.same).toBeGreaterThan(1000);
    expect(seen.quotesKept).toBeGreaterThan(100);
    expect(seen.unclosed).toBeGreaterThan(0);
  });

  it('reads files across 32 KB chunk boundaries in UTF-8, UTF-16 and Windows-1252 as Python does', async () => {
    const dir = tempDir();
    const rows = ['Email,Name,Notes'];
    for (let i = 0; i < 4000; i++) {
      const name = i % 3 === 0 ? `Zoë ${i} €` : `Ann-Sophie ${i}`;
      const notes = i % 5 === 0 ? `"line one ${i}\r\nline “two”, with ""quotes"""` : `note ${i}`;
      rows.push(`p${i}@example.com,${name},${notes}`);
    }
    const text = `${rows.join('\r\n')}\r\n`;
    const files = [
      { file: path.join(dir, 'u8.csv'), bytes: Buffer.from(text, 'utf8'), py: 'utf-8' },
      {
        file: path.join(dir, 'u16.csv'),
        bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
        py: 'utf-16',
      },
      { file: path.join(dir, 'w1252.csv'), bytes: iconv.encode(text, 'windows-1252'), py: 'cp1252' },
    ];
    for (const f of files) fs.writeFileSync(f.file, f.bytes);
    const script = `
import csv, json, sys
out = []
for f in json.load(sys.stdin):
    with open(f['file'], encoding=f['py'], newline='') as h:
        out.append(list(csv.reader(h)))
print(json.dumps(out))
`;
    const py: string[][][] = JSON.parse(
      await runPython(script, JSON.stringify(files.map((f) => ({ file: f.file, py: f.py }))), 'csv'),
    );
    for (const [i, f] of files.entries()) {
      const { source, rows: got } = await readAll(f.file);
      expect(source.size).toBeGreaterThan(3 * 32 * 1024);
      expect([source.header, ...got.map((r) => r.cells)], f.file).toEqual(py[i]);
      // Every 5th record spans two lines.
      expect(got[5]!.line).toBe(2 + 5 + 1);
    }
  });
});
