import fs from 'node:fs';
import path from 'node:path';
import { parse as parseSync } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { autoMap, recogniseHeader } from '../../src/main/contacts/import/header-map.ts';
import { openSource, previewSource, readAll } from '../../src/main/contacts/import/read-file.ts';
import { MailroomError } from '../../src/shared/errors.ts';
import { tempDir } from '../helpers/engine.ts';
import { runPython } from '../helpers/python.ts';

// Every fixture in test/fixtures/contacts (written by make.py as the real programs write
// them) read back to the rows make.py wrote, with the line each record starts on; the CSV
// ones also read by Python's csv module, which must agree cell for cell.

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/contacts');

interface Expected {
  format: string;
  encoding: string;
  delimiter: string | null;
  recognised: string | null;
  header: string[];
  records: Array<{ line: number; cells: string[]; extra?: boolean }>;
  mapping: Record<string, number>;
  open?: { encoding?: string };
  error?: string;
  /** Python's csv module's rows where csv-parse reads the file differently on purpose. */
  python?: string[][];
}

const expected: Record<string, Expected> = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));
const readable = Object.entries(expected).filter(([, e]) => !e.error);

describe('contacts fixtures read to the rows they were written from', () => {
  it('covers every kind of file issue 14 lists', () => {
    const names = Object.keys(expected);
    for (const n of [
      'mailchimp-subscribed.csv',
      'mailchimp-unsubscribed.csv',
      'mailchimp-cleaned.csv',
      'outlook.csv',
      'outlook-de.csv',
      'google.csv',
      'google-old.csv',
      'excel-utf8-bom.csv',
      'excel-european.csv',
      'excel-european-sep.csv',
      'excel-unicode.txt',
      'excel-alt-enter.csv',
      'shopify.csv',
      'lines.txt',
      'apple.vcf',
      'outlook-android.vcf',
      'quirk-mixed-endings.csv',
      'quirk-bare-quotes.csv',
      'quirk-trailing-empty.csv',
      'quirk-duplicate-headers.csv',
      'quirk-mojibake.csv',
      'quirk-formulas.csv',
      'quirk-addresses.csv',
    ]) {
      expect(names).toContain(n);
    }
  });

  it.each(readable)('%s', async (name, e) => {
    const { source, rows } = await readAll(path.join(FIXTURES, name), e.open ?? {});
    expect(source.layout).toEqual({
      format: e.format,
      encoding: e.encoding,
      delimiter: e.delimiter,
      recognised: e.recognised,
    });
    expect(source.header).toEqual(e.header);
    expect(rows.map((r) => ({ line: r.line, cells: r.cells, extra: r.extra }))).toEqual(
      e.records.map((r) => ({ line: r.line, cells: r.cells, extra: r.extra ?? false })),
    );
    expect(rows.map((r) => r.record)).toEqual(e.records.map((_r, i) => i + 1));
    expect(autoMap(source.header)).toEqual(e.mapping);
    expect(recogniseHeader(source.header)).toBe(e.format === 'vcard' ? null : e.recognised);
    // No replacement character and no BOM anywhere.
    const all = JSON.stringify([source.header, rows.map((r) => r.cells)]);
    expect(all).not.toMatch(/[\ufffd]/);
    expect(source.header[0]!.startsWith('\ufeff')).toBe(false);
    // bytesRead reaches the whole file (the progress bar ends full).
    expect(source.bytesRead()).toBe(source.size);
  });

  it("Python's csv module reads the CSV fixtures to the same cells", async () => {
    const csvOnes = readable.filter(([, e]) => e.format === 'csv');
    const pyEncoding: Record<string, string> = {
      'utf-8': 'utf-8-sig',
      'windows-1252': 'cp1252',
      'windows-1250': 'cp1250',
      macintosh: 'mac_roman',
      'utf-16le': 'utf-16',
    };
    const jobs = csvOnes.map(([name, e]) => ({
      name,
      path: path.join(FIXTURES, name),
      encoding: pyEncoding[e.encoding],
      delimiter: e.delimiter,
    }));
    const script = `
import csv, json, sys
out = {}
for job in json.load(sys.stdin):
    with open(job['path'], encoding=job['encoding'], newline='') as f:
        text = f.read()
    if text.lower().startswith('sep='):
        text = text.split('\\n', 1)[1]
    import io
    rows = [row if row else [''] for row in csv.reader(io.StringIO(text, newline=''), delimiter=job['delimiter'])]
    while rows and all(c.strip() == '' for c in rows[0]):
        rows.pop(0)  # empty rows above the header, which the reader skips (and says so)
    out[job['name']] = rows
print(json.dumps(out))
`;
    const py = JSON.parse(await runPython(script, JSON.stringify(jobs), 'csv reader'));
    // The one known difference, named here rather than hidden: a quoted field with text after
    // its closing quote (`"Smith" Jr`). csv-parse keeps it as written, quotes included; Python
    // (and Excel) drop the quotes (`Smith Jr`). Same columns, no character lost, so the
    // library's reading is kept; the fixture records both readings.
    expect(csvOnes.filter(([, e]) => e.python).map(([name]) => name)).toEqual(['quirk-text-after-quote.csv']);
    for (const [name, e] of csvOnes) {
      const { source, rows } = await readAll(path.join(FIXTURES, name), e.open ?? {});
      const ours = [source.header, ...rows.map((r) => r.cells)];
      const theirs = py[name].map((r: string[], i: number) => (i === 0 ? r.map((h) => h.trim()) : r));
      if (e.python) {
        expect(theirs, `${name}: Python's reading as recorded`).toEqual(e.python);
        expect(ours, name).not.toEqual(theirs);
        // Each row has Python's number of columns, and every character Python keeps.
        for (const [i, row] of ours.entries()) {
          expect(row.length, `${name} row ${i}`).toBe(theirs[i].length);
          for (const [j, cell] of row.entries()) {
            expect(cell.replace(/"/g, ''), `${name} ${i}/${j}`).toBe(theirs[i][j].replace(/"/g, ''));
          }
        }
        continue;
      }
      expect(ours, name).toEqual(theirs);
    }
    expect(csvOnes.length).toBeGreaterThanOrEqual(18);
  });
});

describe('encodings', () => {
  it('reads € ’ Š Œ from Windows-1252, where Node’s TextDecoder gives control characters', async () => {
    const { rows } = await readAll(path.join(FIXTURES, 'excel-european.csv'));
    expect(rows[0]!.cells[3]).toBe('Œuvres d’Art SARL');
    expect(rows[2]!.cells[3]).toBe('Preis: 5 €');
    // The reason iconv-lite is used (Node 20.18.3+ / 22.13+; harmless if a later Node is fixed).
    const node = new TextDecoder('windows-1252').decode(Buffer.from([0x80]));
    expect(['\u0080', '€']).toContain(node);
  });

  it('notes the Windows-1252 guess, and reads Windows-1250 right when the user picks it', async () => {
    const file = path.join(FIXTURES, 'quirk-windows-1250.csv');
    const guessed = await readAll(file);
    expect(guessed.source.layout.encoding).toBe('windows-1252');
    expect(guessed.source.notes.join(' ')).toMatch(/not UTF-8.*Windows-1252/);
    expect(guessed.rows[0]!.cells[2]).toBe('Dvoøák'); // wrong, visibly: the preview shows it
    expect(guessed.source.notes.join(' ')).toMatch(/choose Central European \(Windows-1250\)/);
    const picked = await readAll(file, { encoding: 'windows-1250' });
    expect(picked.rows.map((r) => r.cells.slice(1))).toEqual([
      ['Antonín', 'Dvořák'],
      ['Łukasz', 'Żółć'],
    ]);
  });

  it('suggests Mac OS Roman for a file with old Mac line ends', async () => {
    const file = path.join(FIXTURES, 'excel-mac.csv');
    const guessed = await readAll(file);
    expect(guessed.source.layout.encoding).toBe('windows-1252');
    expect(guessed.source.notes.join(' ')).toMatch(/choose Western European \(Mac OS Roman\)/);
    expect(guessed.rows[0]!.cells[1]).not.toBe('Hélène');
  });

  it('suggests Cyrillic for a Windows-1251 file, and nothing for Western files read as 1252', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'ru.csv');
    fs.writeFileSync(
      file,
      iconv.encode(
        'Email;Имя;Фамилия\r\nolga@example.ru;Ольга;Иванова\r\nivan@example.ru;Иван;Петров\r\n',
        'windows-1251',
      ),
    );
    const ru = await readAll(file);
    expect(ru.source.layout.encoding).toBe('windows-1252');
    expect(ru.source.notes.join(' ')).toMatch(/Cyrillic \(Windows-1251\)/);
    expect((await readAll(file, { encoding: 'windows-1251' })).rows[0]!.cells).toEqual([
      'olga@example.ru',
      'Ольга',
      'Иванова',
    ]);
    for (const f of ['excel-european.csv', 'outlook.csv', 'outlook-de.csv']) {
      const { source } = await readAll(path.join(FIXTURES, f));
      expect(source.notes.join(' '), f).not.toMatch(/Cyrillic|Central European/);
    }
  });

  it('keeps the undefined bytes of Windows-1252 as the control characters Windows gives them, never U+FFFD', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'undefined.csv');
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('Email;Name\r\na@example.com;X'),
        Buffer.from([0x81, 0x8d, 0x80]),
        Buffer.from('\r\n'),
      ]),
    );
    const { source, rows } = await readAll(file);
    expect(source.layout.encoding).toBe('windows-1252');
    expect(rows[0]!.cells[1]).toBe('X\u0081\u008d€');
  });

  it('treats a file that is UTF-8 only at the start as Windows-1252 (whole file checked)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'late.csv');
    const rows = ['Email,Name'];
    for (let i = 0; i < 30000; i++) rows.push(`p${i}@example.com,Plain ${i}`);
    rows.push('late@example.com,Caf\xe9'); // one Latin-1 byte after 600 KB of ASCII
    fs.writeFileSync(file, Buffer.from(`${rows.join('\r\n')}\r\n`, 'latin1'));
    const { source, rows: read } = await readAll(file);
    expect(source.layout.encoding).toBe('windows-1252');
    expect(read.at(-1)).toMatchObject({ record: 30001, line: 30002, cells: ['late@example.com', 'Café'] });
  });

  it('refuses UTF-8 for a file that is not UTF-8, before reading a record', async () => {
    await expect(openSource(path.join(FIXTURES, 'excel-european.csv'), { encoding: 'utf-8' })).rejects.toThrow(
      /not written in UTF-8.*Windows-1252/,
    );
  });

  it('refuses an unknown encoding name with the list of choices', async () => {
    await expect(openSource(path.join(FIXTURES, 'excel-european.csv'), { encoding: 'klingon' })).rejects.toThrow(
      /does not know the text encoding "klingon".*windows-1252/,
    );
  });
});

describe('files that cannot be read', () => {
  it('stops at a quote that never closes, naming its line', async () => {
    const err = await readAll(path.join(FIXTURES, 'quirk-unclosed-quote.csv')).catch((e) => e);
    expect(err).toBeInstanceOf(MailroomError);
    expect(err.code).toBe('IMPORT_FILE');
    expect(err.message).toMatch(/line 3 opens a quote/);
  });

  it('names the line of a quote left open near the end of a large file, and of a runaway quote', async () => {
    const dir = tempDir();
    const rows = ['Email,Name'];
    for (let i = 0; i < 20000; i++) rows.push(`p${i}@example.com,Person ${i}`);
    // Past the 256 KB head, so the error comes from the streaming pass, not the preview's.
    const late = path.join(dir, 'late.csv');
    fs.writeFileSync(late, `${rows.join('\r\n')}\r\nz@example.com,"Zed\r\nlast@example.com,Last\r\n`);
    expect(fs.statSync(late).size).toBeGreaterThan(256 * 1024);
    await expect(readAll(late)).rejects.toThrow(/line 20002 opens a quote/);
    // A quote opened early in a file larger than the 1 MB record cap: stops there.
    const runaway = path.join(dir, 'runaway.csv');
    const many = [...rows, ...rows, ...rows, ...rows, ...rows, ...rows];
    fs.writeFileSync(runaway, `Email,Name\r\nx@example.com,"X\r\n${many.join('\r\n')}\r\n`);
    expect(fs.statSync(runaway).size).toBeGreaterThan(1024 * 1024);
    await expect(readAll(runaway)).rejects.toThrow(/line 2 opens a quote/);
  });

  it('explains a workbook, an old .xls and an empty file', async () => {
    const dir = tempDir();
    const xlsx = path.join(dir, 'book.xlsx');
    fs.writeFileSync(xlsx, Buffer.from('PK\x03\x04rest of a zip', 'latin1'));
    await expect(openSource(xlsx)).rejects.toThrow(/CSV UTF-8/);
    const xls = path.join(dir, 'old.xls');
    fs.writeFileSync(xls, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
    await expect(openSource(xls)).rejects.toThrow(/old Excel workbook/);
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    await expect(openSource(empty)).rejects.toThrow(/empty/);
    await expect(openSource(path.join(dir, 'missing.csv'))).rejects.toThrow(/could not be opened \(ENOENT\)/);
    // The sentence names the file, never the folders above it.
    for (const p of [path.join(dir, 'missing.csv'), dir]) {
      const err = await openSource(p).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/^(The file missing\.csv could not be opened|mailroom-\S+ is not a file)/);
      expect(err?.message).not.toContain(path.dirname(p));
    }
  });
});

describe('line numbers', () => {
  it("count a quoted CRLF once, in a file mixing CRLF, LF and CR (csv-parse's own info.lines counts it twice)", async () => {
    const file = path.join(FIXTURES, 'quirk-mixed-endings.csv');
    const { rows } = await readAll(file);
    // Lines 2, 3, 4 (CRLF, LF, CR endings); the record on line 4 holds a CRLF, so the next starts on 6.
    expect(rows.map((r) => [r.cells[0], r.line])).toEqual([
      ['a@example.com', 2],
      ['b@example.com', 3],
      ['c@example.com', 4],
      ['d@example.com', 6],
    ]);
    // Why the reader counts lines itself: csv-parse's info.lines (the line a record ends on)
    // says 6 for the record that ends on line 5 and 7 for the one on line 6. If a csv-parse
    // update fixes that, this fails, and the reader could use info.lines instead.
    const info = parseSync(fs.readFileSync(file), {
      record_delimiter: ['\r\n', '\n', '\r'],
      info: true,
    }) as unknown as Array<{
      record: string[];
      info: { lines: number };
    }>;
    expect(info.map((r) => r.info.lines)).toEqual([1, 2, 3, 6, 7]);
  });
});

describe('sep= and delimiters', () => {
  it('skips a sep= line and says so; the first record is still on its own line number', async () => {
    const { source, rows } = await readAll(path.join(FIXTURES, 'excel-european-sep.csv'));
    expect(source.layout.delimiter).toBe(';');
    expect(source.notes.join(' ')).toMatch(/sep=;/);
    expect(rows[0]!.line).toBe(3);
  });

  it('takes the header from below empty rows, and says so', async () => {
    const { source } = await readAll(path.join(FIXTURES, 'quirk-leading-blank.csv'));
    expect(source.notes).toContain('The first 2 lines are empty; the column names were taken from line 3.');
  });

  it('takes a delimiter the user gives, in any spelling', async () => {
    const { source } = await readAll(path.join(FIXTURES, 'excel-unicode.txt'), { delimiter: 'tab' });
    expect(source.layout.delimiter).toBe('\t');
    await expect(openSource(path.join(FIXTURES, 'excel-unicode.txt'), { delimiter: 'x' })).rejects.toThrow(
      /comma, a semicolon, a tab or a vertical bar/,
    );
  });
});

describe('previewSource', () => {
  it('gives the wizard columns with samples, first rows, mapping and notes', async () => {
    const p = await previewSource(path.join(FIXTURES, 'outlook.csv'));
    expect(p.fileName).toBe('outlook.csv');
    expect(p.fileSize).toBe(fs.statSync(path.join(FIXTURES, 'outlook.csv')).size);
    expect(p.layout).toEqual({ format: 'csv', encoding: 'windows-1252', delimiter: ',', recognised: 'outlook' });
    expect(p.columns).toHaveLength(92);
    expect(p.columns[57]).toEqual({
      index: 57,
      name: 'E-mail Address',
      field: 'email',
      samples: ['renee@cafe-zur-post.example', expect.stringMatching(/^\/o=ExchangeLabs/), 'sarka@example.cz'],
    });
    expect(p.columns[0]).toEqual({ index: 0, name: 'Title', field: null, samples: [] });
    expect(p.rows).toHaveLength(3);
    expect(p.notes.join(' ')).toMatch(/Windows-1252.*Recognised an Outlook contacts export/);
  });

  it('shows two same-named columns and two unnamed ones as four columns, the first Email the default', async () => {
    const p = await previewSource(path.join(FIXTURES, 'quirk-duplicate-headers.csv'));
    expect(p.columns.map((c) => [c.name, c.field])).toEqual([
      ['Email', 'email'],
      ['Name', null],
      ['Email', null],
      ['', null],
      ['', null],
    ]);
  });

  it('says when the first line of a one-address-per-line file is taken as its column name', async () => {
    const p = await previewSource(path.join(FIXTURES, 'lines-header.txt'));
    expect(p.notes).toContain('The first line "E-mail" has no @, so it was taken as the column name.');
    expect(p.columns).toEqual([
      { index: 0, name: 'E-mail', field: 'email', samples: ['eva@example.com', 'fritz@example.de'] },
    ]);
  });

  it('closes the file when a reader stops early (preview, cancel)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'many.csv');
    fs.writeFileSync(file, `Email\n${Array.from({ length: 20000 }, (_v, i) => `p${i}@example.com`).join('\n')}\n`);
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    await previewSource(file); // warm up whatever the first call opens for good
    const before = fds();
    for (let i = 0; i < 30; i++) {
      await previewSource(file);
      const src = await openSource(file);
      for await (const r of src.records()) if (r.record === 3) break;
    }
    expect(fds()).toBe(before);
  });

  it('says when no column is the address', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'noemail.csv');
    fs.writeFileSync(file, 'Kunde,Ort\nMeier,Bern\n');
    const p = await previewSource(file);
    expect(p.mapping).toEqual({});
    expect(p.notes.join(' ')).toMatch(/No column was recognised as the email address/);
  });

  it('reads a vCard preview with the virtual columns and notes extra addresses', async () => {
    const p = await previewSource(path.join(FIXTURES, 'apple.vcf'));
    expect(p.layout.format).toBe('vcard');
    expect(p.columns.map((c) => c.name)).toEqual([
      'Email',
      'First Name',
      'Last Name',
      'Company',
      'Categories',
      'Other Emails',
    ]);
    expect(p.notes.join(' ')).toMatch(/4 cards.*line 1 has 2 addresses.*anna\.privat@example\.de/);
  });
});
