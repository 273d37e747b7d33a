// Writes a large contacts CSV for the import benchmark (issue 14 §4): N rows, 6 columns,
// 10 % duplicates differing from an earlier row only by the case of the address, 0.5 %
// invalid addresses. Deterministic: the same N gives the same bytes, and the exact counts
// are returned so a benchmark can check the import's own.
//
//   node bench/make-contacts-file.ts OUT.csv [--rows 1000000]
//
// Layout: UTF-8 without BOM, comma, CRLF (as Excel and most exports write), header
// `Email,First Name,Last Name,Company,City,Customer Since`; about 72 bytes a row.

import fs from 'node:fs';
import { parseArgs } from 'node:util';

export interface ContactsFileCounts {
  rows: number;
  /** Rows whose address is, ignoring case, the same as an earlier row's. */
  duplicates: number;
  /** Rows whose address is not valid. */
  invalid: number;
  /** Distinct valid addresses (rows - duplicates - invalid). */
  unique: number;
  bytes: number;
}

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Inès', 'Jonas', 'Karin', 'Lukas'];
const LAST = ['Müller', 'Martin', 'Smith', 'García', 'Rossi', 'Novak', 'Dubois', 'Jansen', 'Weber', 'Lee'];
const CITY = ['Lyon', 'Berlin', 'Köln', 'Leeds', 'Gent', 'Porto', 'Graz', 'Bern'];
const INVALID = ['no-at-sign.example', 'two@@at.example', 'space in@local.example', 'dot.@end.example', 'x@nodot'];

/** The address of row i (0-based) before any duplicate or invalid substitution. */
function addressOf(i: number): string {
  return `${FIRST[i % FIRST.length]!.toLowerCase()}.${LAST[(i >> 3) % LAST.length]!.toLowerCase()}${i}@shop${i % 97}.example`;
}

/** Flips the case of every letter of the local part and domain: same key, other spelling. */
function caseVariant(a: string): string {
  return a.toUpperCase();
}

/** Row i's cells. Every 10th row (i % 10 === 9) repeats row i-5's address in upper case; every 200th (i % 200 === 101) is invalid. */
export function contactRow(i: number): string[] {
  let email: string;
  if (i % 10 === 9) email = caseVariant(addressOf(i - 5));
  else if (i % 200 === 101) email = `${INVALID[((i / 200) % INVALID.length) | 0]}`.replace('example', `e${i}.example`);
  else email = addressOf(i);
  const day = 1 + (i % 28);
  const month = 1 + (i % 12);
  return [
    email,
    FIRST[i % FIRST.length]!,
    LAST[(i >> 3) % LAST.length]!,
    i % 3 === 0 ? `Shop ${i % 97}, Ltd` : '',
    CITY[i % CITY.length]!,
    `${String(day).padStart(2, '0')}.${String(month).padStart(2, '0')}.${2015 + (i % 10)}`,
  ];
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The exact counts for a file of `rows` rows, without writing it. */
export function contactsFileCounts(rows: number): Omit<ContactsFileCounts, 'bytes'> {
  let duplicates = 0;
  let invalid = 0;
  for (let i = 0; i < rows; i++) {
    if (i % 10 === 9) duplicates++;
    else if (i % 200 === 101) invalid++;
  }
  return { rows, duplicates, invalid, unique: rows - duplicates - invalid };
}

/** Writes the file; resolves with its exact counts. */
export async function makeContactsFile(file: string, rows: number): Promise<ContactsFileCounts> {
  const out = fs.createWriteStream(file);
  let bytes = 0;
  const write = (s: string) =>
    new Promise<void>((resolve, reject) => {
      bytes += Buffer.byteLength(s);
      if (out.write(s)) resolve();
      else {
        out.once('drain', resolve);
        out.once('error', reject);
      }
    });
  await write('Email,First Name,Last Name,Company,City,Customer Since\r\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `${contactRow(i).map(csvCell).join(',')}\r\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  if (chunk) await write(chunk);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { ...contactsFileCounts(rows), bytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { rows: { type: 'string', default: '1000000' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) {
    console.error('usage: node bench/make-contacts-file.ts OUT.csv [--rows N]');
    process.exit(2);
  }
  const counts = await makeContactsFile(file, Number(values.rows));
  console.log(JSON.stringify(counts));
}
