import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAddress } from '../../src/main/contacts/address.ts';
import {
  cellWarnings,
  isEmptyDate,
  parseDate,
  parseNumber,
  slashDateOrder,
  splitMulti,
} from '../../src/main/contacts/import/cells.ts';
import { readAll } from '../../src/main/contacts/import/read-file.ts';

// The per-cell helpers the import applies, checked on the cells of the fixtures (as read)
// and on the spellings spreadsheets and providers use.

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/contacts');
const cellsOf = async (name: string) => (await readAll(path.join(FIXTURES, name))).rows.map((r) => r.cells);

describe('splitMulti', () => {
  it('splits Mailchimp TAGS cells (quoted tags, commas and doubled quotes inside)', async () => {
    const rows = await cellsOf('mailchimp-subscribed.csv');
    expect(rows.map((r) => splitMulti(r[20]!))).toEqual([
      ['Member', '2025 waiver'],
      ['Customer'],
      [],
      ['Member', 'VIP, Gold', '2024 "early bird"'],
    ]);
  });

  it("splits Google's ' ::: ' lists and drops the '* ' primary mark", async () => {
    const rows = await cellsOf('google.csv');
    expect(splitMulti(rows[0]![16]!)).toEqual(['myContacts', 'Friends', 'Newsletter']);
    expect(splitMulti(rows[0]![18]!)).toEqual(['lena@example.pl', 'lena.k@work.example']);
  });

  it('splits Shopify tags and Outlook categories', async () => {
    expect(splitMulti((await cellsOf('shopify.csv'))[0]![19]!)).toEqual(['vip', 'horeca']);
    expect(splitMulti((await cellsOf('outlook.csv'))[0]![54]!)).toEqual(['Customers', 'VIP']);
    expect(splitMulti('  ')).toEqual([]);
    expect(splitMulti('a, a ,b')).toEqual(['a', 'b']);
  });
});

describe('cellWarnings', () => {
  const codes = (v: string, kind?: 'name' | 'email' | 'other') => cellWarnings(v, kind).map((w) => w.code);

  it('flags mojibake in the mojibake fixture and nowhere in the clean ones', async () => {
    const moji = await cellsOf('quirk-mojibake.csv');
    expect(moji.map((r) => codes(r[2]!, 'name'))).toEqual([['mojibake'], ['mojibake'], []]);
    for (const f of ['excel-european.csv', 'outlook.csv', 'outlook-de.csv', 'excel-unicode.txt', 'google.csv']) {
      for (const row of await cellsOf(f)) {
        for (const c of row) expect(codes(c), `${f}: ${c}`).not.toContain('mojibake');
      }
    }
  });

  it('flags formula-looking cells (= + - @ tab first)', async () => {
    const rows = await cellsOf('quirk-formulas.csv');
    expect(rows.map((r) => r.slice(1).map((c) => codes(c).includes('formula')))).toEqual([
      [true, false, true],
      [true, true, true],
      [false, false, false],
    ]);
  });

  it('gives an Exchange X.500 path its own reason, not "formula"', async () => {
    const ex = (await cellsOf('outlook.csv'))[1]![57]!;
    expect(cellWarnings(ex, 'email')).toEqual([
      { code: 'exchange', reason: 'an Exchange address (an internal Outlook directory path), not an email address' },
    ]);
  });

  it('flags a very long field and a "?" where a letter was lost', async () => {
    const rows = await cellsOf('quirk-addresses.csv');
    expect(codes(rows[5]![3]!)).toEqual(['long']);
    expect(codes(rows[6]![2]!, 'name')).toEqual(['lost-letter']);
    expect(codes('Who?', 'name')).toEqual(['lost-letter']);
    expect(codes('? unknown', 'name')).toEqual([]);
  });

  it('flags U+FFFD and control characters', () => {
    expect(codes('ab\ufffd')).toEqual(['unreadable']);
    expect(codes('X\u0081')).toEqual(['control']);
    expect(codes('two\r\nlines')).toEqual([]);
  });
});

describe('the address quirks fixture', () => {
  it('holds one case of each thing the address check reports, as read', async () => {
    const rows = await cellsOf('quirk-addresses.csv');
    const checks = rows.map((r) => checkAddress(r[0]!));
    expect(checks.map((c) => (c.ok ? `ok ${c.address} ${c.normalised.length}` : 'invalid'))).toEqual([
      'invalid', // two addresses in one cell
      'ok hans@example.de 1', // Name <addr>
      'ok mail@example.com 1', // mailto:
      'ok zero@example.com 1', // U+200B / U+FEFF at the edges
      'invalid', // U+200B inside
      'ok spaced@example.com 1', // spaces around
      'ok lost@example.cz 0',
      'invalid', // empty
    ]);
  });
});

describe('numbers and dates', () => {
  it('reads decimal commas and thousands marks', async () => {
    const rows = await cellsOf('excel-european.csv');
    expect(rows.map((r) => parseNumber(r[4]!))).toEqual([1234.56, 99.9, -12.5, 0.5]);
    expect(parseNumber('1,234.56')).toBe(1234.56);
    expect(parseNumber('1 234,5')).toBe(1234.5);
    expect(parseNumber("1'234.5")).toBe(1234.5);
    expect(parseNumber('1.234.567')).toBe(1234567);
    expect(parseNumber('€ 12,00')).toBe(12);
    expect(parseNumber("'7210448301122")).toBe(7210448301122);
    expect(parseNumber('12 apples')).toBeNull();
    expect(parseNumber('')).toBeNull();
    expect(parseNumber('-')).toBeNull();
  });

  it('reads DD.MM.YYYY, YYYY-MM-DD, Mailchimp timestamps and US dates, reporting ambiguity', async () => {
    const rows = await cellsOf('excel-european.csv');
    expect(rows.map((r) => parseDate(r[5]!))).toEqual([
      { date: '2023-12-31' },
      { date: '2020-02-01' },
      { date: '2024-02-29' },
      { date: '2019-06-15' },
    ]);
    const mc = await cellsOf('mailchimp-subscribed.csv');
    expect(parseDate(mc[0]![7]!)).toEqual({ date: '2023-02-01' });
    expect(parseDate('4/12/1980')).toEqual({
      date: '1980-04-12',
      ambiguous:
        '"4/12/1980" was read as month/day/year (1980-04-12); if the file writes day/month/year it is 1980-12-04',
    });
    expect(parseDate('12/31/2024')).toEqual({ date: '2024-12-31' });
    expect(parseDate('31/12/2024')).toEqual({ date: '2024-12-31' });
    expect(parseDate('5/5/2024')).toEqual({ date: '2024-05-05' });
    expect(parseDate('30.02.2024')).toBeNull();
    expect(parseDate('2024-13-01')).toBeNull();
    expect(parseDate('03/14')).toBeNull(); // Mailchimp birthdays have no year
  });

  it('reads a column of slash dates in the order its unambiguous values show', () => {
    const uk = ['03/04/2024', '31/12/2023', '05/06/2022'];
    expect(slashDateOrder(uk)).toBe('dmy');
    expect(uk.map((v) => parseDate(v, 'dmy'))).toEqual([
      { date: '2024-04-03' },
      { date: '2023-12-31' },
      { date: '2022-06-05' },
    ]);
    expect(slashDateOrder(['03/04/2024', '12/31/2023'])).toBe('mdy');
    expect(parseDate('03/04/2024', 'mdy')).toEqual({ date: '2024-03-04' });
    expect(slashDateOrder(['03/04/2024', '04/03/2024'])).toBeNull();
    expect(slashDateOrder(['31/01/2024', '01/31/2024'])).toBeNull(); // mixed: each value alone
    expect(parseDate('31/12/2024', 'mdy')).toBeNull(); // 31 is no month in a month-first column
  });

  it("treats Outlook's 0/0/00 as an empty date", async () => {
    const row = (await cellsOf('outlook.csv'))[0]!;
    expect(row[49]).toBe('0/0/00');
    expect(isEmptyDate(row[49]!)).toBe(true);
    expect(parseDate(row[49]!)).toBeNull();
    expect(isEmptyDate('1.1.2000')).toBe(false);
  });
});
