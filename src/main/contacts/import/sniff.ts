// How a decoded contacts file is laid out: vCard, one address per line, or delimited text
// with , ; TAB or |. Papa Parse's guess (lowest field-count variance over the first rows)
// works on the files people have; csv-parse 7's own `delimiter_auto` picks letters and
// throws on accented text, so the guess is made here, over whole records read by csv-parse.

import { DelimitedTextReader, type TextRecord } from './csv-text.ts';

export const DELIMITER_CHOICES = [',', ';', '\t', '|'] as const;

export interface SniffResult {
  format: 'csv' | 'vcard' | 'lines';
  /** null for vCard and one-address-per-line files. */
  delimiter: string | null;
  /** The file starts with a `sep=X` line (Excel's hint): skip that line. */
  sepLine: boolean;
  notes: string[];
}

/** Names a delimiter for people: "comma", "semicolon", "tab", "vertical bar". */
export function delimiterName(d: string | null): string {
  if (d === null) return 'none';
  return { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'vertical bar' }[d] ?? JSON.stringify(d);
}

/** Accepts `,` `;` `|` and TAB written as a tab, `\t`, `tab` or `TAB`; null when not one of them. */
export function parseDelimiterOption(d: string): string | null {
  const t = d.toLowerCase();
  if (t === '\t' || t === '\\t' || t === 'tab') return '\t';
  if (t === 'comma') return ',';
  if (t === 'semicolon') return ';';
  if (t === 'pipe') return '|';
  return (DELIMITER_CHOICES as readonly string[]).includes(d) ? d : null;
}

const SEP_LINE = /^sep=(.)(\r\n|\n|\r|$)/i;

/**
 * Looks at the decoded start of a file (no BOM). `complete` says `head` is the whole file
 * (its last record is then not cut short).
 */
export function sniff(head: string, complete: boolean): SniffResult {
  const notes: string[] = [];
  const firstLine = head.slice(0, 2000).replace(/^[\s\uFEFF]+/, '');
  if (/^BEGIN:VCARD\b/i.test(firstLine)) return { format: 'vcard', delimiter: null, sepLine: false, notes };

  const sep = SEP_LINE.exec(head);
  if (sep) {
    notes.push(
      `The first line "sep=${sep[1] === '\t' ? 'TAB' : sep[1]}" tells spreadsheet programs the separator; it is not a contact and was skipped.`,
    );
    return { format: 'csv', delimiter: sep[1]!, sepLine: true, notes };
  }

  let best: { d: string; score: number; fields: number } | null = null;
  for (const d of DELIMITER_CHOICES) {
    const counts = fieldCounts(head, d, complete, 50);
    if (counts.length === 0 || counts[0]! < 2) continue;
    const header = counts[0]!;
    const rest = counts.slice(1);
    // A delimiter that splits the header but hardly any row is a character inside a value
    // ("Meier, Eva <eva@example.de>" in a one-address-per-line file).
    if (rest.length > 0 && rest.filter((c) => c >= 2).length < rest.length / 2) continue;
    // Then the most rows with exactly the header's field count wins: a wrong delimiter that
    // also occurs inside names gives counts that vary.
    const same = rest.filter((c) => c === header).length;
    const score = rest.length === 0 ? 1 : same / rest.length;
    if (!best || score > best.score + 1e-9 || (Math.abs(score - best.score) < 1e-9 && header > best.fields)) {
      best = { d, score, fields: header };
    }
  }
  if (best) return { format: 'csv', delimiter: best.d, sepLine: false, notes };
  return { format: 'lines', delimiter: null, sepLine: false, notes };
}

/** Field counts of the first `max` non-empty records split on `d`, read by csv-parse (quotes honoured). */
export function fieldCounts(text: string, d: string, complete: boolean, max: number): number[] {
  const reader = new DelimitedTextReader(d);
  const records: TextRecord[] = [];
  // In slices, so a sample of 50 records does not parse the whole 256 KB head four times.
  const SLICE = 8 * 1024;
  try {
    for (let i = 0; i < text.length && records.length < max * 2; i += SLICE) {
      records.push(...reader.push(text.slice(i, i + SLICE)));
    }
    // Only a complete text has a last record; a cut one's is left out.
    if (complete && records.length < max * 2) records.push(...reader.end());
  } catch {
    // An unclosed quote: the records before it are the sample.
  }
  const counts: number[] = [];
  for (const r of records) {
    if (counts.length >= max) break;
    if (r.cells.length > 1 || r.cells[0] !== '') counts.push(r.cells.length);
  }
  return counts;
}
