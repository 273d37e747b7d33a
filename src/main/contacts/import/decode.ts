import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { ENCODING_CHOICES } from '../../../shared/domain/contacts.ts';
import { MailroomError } from '../../../shared/errors.ts';

// How a contacts file's bytes become text. Rules (issue 14, measured in the research file):
// a byte-order mark first; else strict UTF-8 over the whole file; else the Windows ANSI code
// page (1252 unless the user picks another). Encoding detectors guess wrong on small Western
// files, so none is used. iconv-lite decodes, because Node's TextDecoder('windows-1252') turns
// 0x80-0x9F into control characters (€ ’ Š Œ lost).

/** The code pages the wizard offers, with names a non-technical user recognises. */

export type EncodingName = (typeof ENCODING_CHOICES)[number]['value'];

export interface DetectedEncoding {
  encoding: string;
  /** The file starts with a byte-order mark (it is skipped, never part of the first header). */
  bom: boolean;
  /** A sentence for the preview when the choice was a guess. */
  note?: string;
}

const BOMS: Array<{ bytes: number[]; encoding: string }> = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

/** The byte-order mark at the start of `head`, if any. */
export function bomOf(head: Buffer): { encoding: string; length: number } | null {
  for (const b of BOMS) {
    if (head.length >= b.bytes.length && b.bytes.every((x, i) => head[i] === x)) {
      return { encoding: b.encoding, length: b.bytes.length };
    }
  }
  return null;
}

/** Normalises a user-given encoding name to one iconv-lite knows, or throws a clear error. */
export function checkEncodingName(name: string): string {
  const n = name.trim().toLowerCase();
  const aliases: Record<string, string> = {
    utf8: 'utf-8',
    'utf-16': 'utf-16le',
    utf16: 'utf-16le',
    utf16le: 'utf-16le',
    utf16be: 'utf-16be',
    ansi: 'windows-1252',
    latin1: 'windows-1252',
    'iso-8859-1': 'windows-1252', // what files labelled Latin-1 really hold (as browsers do)
    cp1252: 'windows-1252',
    cp1250: 'windows-1250',
    cp1251: 'windows-1251',
    mac: 'macintosh',
  };
  const resolved = aliases[n] ?? n;
  // Only the offered code pages: others (shift_jis, ...) are untested here and may decode a
  // file into U+FFFD without a word.
  if (!ENCODING_CHOICES.some((c) => c.value === resolved) || !iconv.encodingExists(resolved)) {
    throw new MailroomError(
      'VALIDATION',
      `Mailroom does not know the text encoding "${name}". Choose one of: ${ENCODING_CHOICES.map((c) => c.value).join(', ')}.`,
    );
  }
  return resolved;
}

/**
 * Which encoding a file is written in. `head` is its first bytes; `whole` (when given) is the
 * whole file, checked for strict UTF-8. Without `whole`, only `head` is checked: call
 * `Utf8Checker` over the rest while reading, or pass the whole file.
 */
export function detectEncoding(head: Buffer, whole?: Buffer): DetectedEncoding {
  const bom = bomOf(head);
  if (bom) return { encoding: bom.encoding, bom: true };
  const sample = whole ?? head;
  if (looksLikeUtf16WithoutBom(sample)) {
    const le = sample.length > 1 && sample[1] === 0;
    return {
      encoding: le ? 'utf-16le' : 'utf-16be',
      bom: false,
      note: 'The file looks like UTF-16 text without a byte-order mark; check the preview.',
    };
  }
  const valid = whole ? isUtf8(whole) : isUtf8(trimIncompleteUtf8(head));
  if (valid) return { encoding: 'utf-8', bom: false };
  return notUtf8Guess();
}

/** What a file that is not UTF-8 (and has no BOM) is read as until the user picks another code page. */
export function notUtf8Guess(): DetectedEncoding {
  return {
    encoding: 'windows-1252',
    bom: false,
    note: 'The file is not UTF-8, so it was read as Western European (Windows-1252). If letters look wrong in the preview, choose the encoding the file was saved in.',
  };
}

/**
 * For a file that is not UTF-8, a hint when Windows-1252 is probably the wrong guess: text
 * whose letters are mostly bytes 0xC0-0xFF in runs is Cyrillic (Windows-1251); symbols such
 * as ³ ¹ ¥ ¿ ¯ between letters are Polish/Czech letters (Windows-1250). Only a suggestion for
 * the preview: the user sees the names and chooses.
 */
export function suggestCodePage(bytes: Buffer): { encoding: string; note: string } | null {
  const n = Math.min(bytes.length, 64 * 1024);
  let ascii = 0;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) ascii++;
    else if (b >= 0xc0) high++;
  }
  if (high > 20 && high > ascii * 0.6) {
    return {
      encoding: 'windows-1251',
      note: 'Most letters in this file are outside the Latin alphabet: if the names look wrong, choose Cyrillic (Windows-1251) or another code page.',
    };
  }
  // Old Mac Excel ("CSV (Macintosh)") ends rows with a bare CR and writes Mac OS Roman.
  const firstCr = bytes.indexOf(0x0d);
  if (firstCr >= 0 && firstCr < n && bytes[firstCr + 1] !== 0x0a && bytes.indexOf(0x0a) < 0) {
    return {
      encoding: 'macintosh',
      note: 'The rows end the way old Mac programs end them: if letters look wrong, choose Western European (Mac OS Roman).',
    };
  }
  const text = iconv.decode(bytes.subarray(0, n), 'windows-1252');
  const central = text.match(/\p{L}[³¹¥¼¾ª¯¿£]|[³¹¥¼¾ª¯¿£]\p{L}/gu);
  if (central && central.length >= 2) {
    return {
      encoding: 'windows-1250',
      note: 'Some letters read as symbols (such as ³ or ¿ inside names): if the names look wrong, choose Central European (Windows-1250).',
    };
  }
  return null;
}

// Every other byte zero in ASCII-heavy text: UTF-16 written without a BOM (rare, but a UTF-8
// check would accept it and show NULs everywhere).
function looksLikeUtf16WithoutBom(b: Buffer): boolean {
  const n = Math.min(b.length, 4096) & ~1;
  if (n < 4) return false;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenZeros++;
    if (b[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  return (oddZeros > pairs * 0.6 && evenZeros === 0) || (evenZeros > pairs * 0.6 && oddZeros === 0);
}

/** Drops an incomplete UTF-8 sequence at the end of a chunk (at most 3 bytes). */
export function trimIncompleteUtf8(b: Buffer): Buffer {
  const end = b.length;
  for (let back = 1; back <= Math.min(3, end); back++) {
    const c = b[end - back]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back
    // Only real lead bytes (C2-F4) start a sequence that may go on in the next chunk; any
    // other byte is left for isUtf8 to judge.
    const need = c >= 0xc2 && c <= 0xf4 ? (c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2) : 1;
    return need > back ? b.subarray(0, end - back) : b;
  }
  return b;
}

/** Checks a file for strict UTF-8 chunk by chunk (sequences may straddle chunks). */
export class Utf8Checker {
  private carry: Buffer = Buffer.alloc(0);
  ok = true;
  write(chunk: Buffer): boolean {
    if (!this.ok) return false;
    const b = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = trimIncompleteUtf8(b);
    // Copied: the caller may reuse its buffer for the next chunk.
    this.carry = Buffer.from(b.subarray(whole.length));
    if (!isUtf8(whole)) this.ok = false;
    return this.ok;
  }
  end(): boolean {
    if (this.carry.length) this.ok = false;
    return this.ok;
  }
}

/** A streaming decoder: bytes in, text out, never a BOM and never U+FFFD for a single-byte code page. */
export interface TextChunkDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

const sbcsTables = new Map<string, string[]>();

// Single-byte code pages: iconv-lite gives U+FFFD for the few bytes a code page leaves
// undefined (0x81 0x8D 0x8F 0x90 0x9D in 1252). Windows itself maps those to the C1 control
// of the same value, so do that: the character is kept (and flagged as a control character
// by the checks), never replaced.
function sbcsTable(encoding: string): string[] | null {
  const cached = sbcsTables.get(encoding);
  if (cached) return cached;
  if (/^(utf|ucs)/.test(encoding)) return null;
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  let text: string;
  try {
    text = iconv.decode(all, encoding, { stripBOM: false });
  } catch {
    return null;
  }
  if (text.length !== 256) return null; // multi-byte code page (Shift_JIS, GBK...): not a table
  const table = Array.from(text, (ch, i) => (ch === '\ufffd' ? String.fromCharCode(i) : ch));
  sbcsTables.set(encoding, table);
  return table;
}

/** A decoder for `encoding` (a BOM at the start is dropped). */
export function makeDecoder(encoding: string): TextChunkDecoder {
  const table = sbcsTable(encoding);
  if (table && !table.some((ch, i) => ch !== String.fromCharCode(i) && i < 0x80)) {
    // ASCII-compatible single-byte code page: iconv-lite for speed; only a chunk with an
    // undefined byte (decoded as U+FFFD) goes through the table.
    return {
      write: (c) => {
        const text = iconv.decode(c, encoding, { stripBOM: false });
        if (!text.includes('\ufffd')) return text;
        let out = '';
        for (let i = 0; i < c.length; i++) out += table[c[i]!];
        return out;
      },
      end: () => '',
    };
  }
  const dec = iconv.getDecoder(encoding, { stripBOM: true });
  return { write: (c) => dec.write(c), end: () => dec.end() ?? '' };
}

/** Decodes a whole buffer (a BOM at the start is dropped). */
export function decodeBuffer(b: Buffer, encoding: string): string {
  const d = makeDecoder(encoding);
  let text = d.write(b) + d.end();
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}
