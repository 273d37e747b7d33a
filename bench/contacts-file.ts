import fs from 'node:fs';

// A large contacts CSV for the import benchmark and the all-or-nothing tests: 6 columns
// (Email, First Name, Last Name, Company, City, Customer since), a given share of rows
// repeating an earlier address with other letter case, and a share of invalid addresses.
// Deterministic: the same arguments write the same bytes.

export interface ContactsFileCounts {
  rows: number;
  unique: number;
  duplicates: number;
  invalid: number;
}

const FIRST = ['Anna', 'Bruno', 'Chloé', 'Dieter', 'Elif', 'François', 'Greta', 'Hugo', 'Inès', 'Jürgen'];
const LAST = ['Müller', 'Dupont', 'Rossi', 'García', 'Smith', 'Novak', "O'Brien", 'Lefèvre', 'Schmidt', 'Costa'];
const CITY = ['Lyon', 'Berlin', 'Madrid', 'Roma', 'Wien', 'Zürich', 'Porto', 'Gent'];

export function writeContactsFile(
  file: string,
  rows: number,
  opts: { duplicateShare?: number; invalidShare?: number } = {},
): ContactsFileCounts {
  const dupEvery = Math.round(1 / (opts.duplicateShare ?? 0.1));
  const invalidEvery = Math.round(1 / (opts.invalidShare ?? 0.005));
  const fd = fs.openSync(file, 'w');
  let buf = 'Email,First Name,Last Name,Company,City,Customer since\r\n';
  const counts: ContactsFileCounts = { rows, unique: 0, duplicates: 0, invalid: 0 };
  try {
    for (let i = 1; i <= rows; i++) {
      const f = FIRST[i % FIRST.length] as string;
      const l = LAST[(i * 7) % LAST.length] as string;
      let email: string;
      if (i % invalidEvery === 0) {
        email = `broken${i}.example.com`; // no @
        counts.invalid++;
      } else if (i % dupEvery === 0 && counts.unique > 0) {
        // An earlier valid address, in capitals.
        email = addressOf(earlierValid(i, invalidEvery, dupEvery)).toUpperCase();
        counts.duplicates++;
      } else {
        email = addressOf(i);
        counts.unique++;
      }
      const company = i % 3 === 0 ? `"${l} & Co, Ltd"` : `${l} GmbH`;
      const since = `${2000 + (i % 24)}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
      buf += `${email},${f},${l},${company},${CITY[i % CITY.length]},${since}\r\n`;
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
  } finally {
    fs.closeSync(fd);
  }
  return counts;
}

function addressOf(i: number): string {
  return `person.${i}@mail${i % 97}.example.com`;
}

/** A row before i that holds a unique valid address. */
function earlierValid(i: number, invalidEvery: number, dupEvery: number): number {
  for (let j = Math.max(1, Math.floor(i / 2)); j < i; j++) {
    if (j % invalidEvery !== 0 && j % dupEvery !== 0) return j;
  }
  return 1;
}
