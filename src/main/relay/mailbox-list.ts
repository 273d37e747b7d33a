import { domainToASCII, domainToUnicode } from 'node:url';
import libmime from 'libmime';

/**
 * A strict reader for the address fields that say who sent a message (From:, Sender:),
 * by the RFC 5322 grammar (§3.4, with RFC 6532's UTF-8). The relay signs what it
 * accepts with the user's DKIM key, so the addresses it checks must be the addresses
 * every reader sees. Anything outside the grammar, and the grammatical forms that
 * common readers are known to read differently, is refused with a reason instead of
 * being guessed at:
 *
 * - accepted: `addr-spec`, `[display-name] <addr-spec>`, comma-separated; display names
 *   of atoms, quoted strings and RFC 2047 encoded words, with dots (obs-phrase);
 *   comments (nested, with quoted pairs) and whitespace around every token; a local
 *   part that is a dot-atom or one quoted string; a dot-atom domain, ASCII or U-labels.
 * - refused: text left over after an address, two addresses without a comma, an
 *   unbalanced `<`, `>`, quote or parenthesis, a backslash outside quotes and comments,
 *   groups (`name: …;`), source routes (`<@a,@b:x@y>`), domain literals (`[1.2.3.4]`),
 *   empty list entries, whitespace or comments inside a local part or domain
 *   (obs-local-part, obs-domain), dots at the ends or doubled, encoded words inside an
 *   address, control and invisible reordering characters, and international domains
 *   written with characters that IDNA maps to others (`example。test`).
 *
 * The input is one field value with its folding already removed (CRLF before
 * whitespace is also read as whitespace). Python's `email` package is the reference
 * reader in test/unit/mailbox-list.test.ts: every accepted form there must read the
 * same in it; refusals need no agreement.
 */

export interface Mailbox {
  /** Display name as a reader shows it (encoded words decoded), or ''. */
  name: string;
  /** The address as written, minus comments and whitespace: `local@domain`. */
  address: string;
  /** Local part with quotes and quoted pairs removed. */
  local: string;
  /** Domain as written. */
  domain: string;
}

export type MailboxListResult =
  | {
      ok: true;
      mailboxes: Mailbox[];
      /** Every text a reader may show beside the addresses: names, comments, quoted local parts. */
      shown: string[];
    }
  | { ok: false; reason: string };

/** `space`: whitespace or a comment comes before it; `fold`: a line break does; `at`: its offset. */
interface Place {
  space: boolean;
  fold: boolean;
  at: number;
}
type Body =
  | { kind: 'atom'; text: string }
  | { kind: 'quoted'; text: string; raw: string }
  | { kind: 'literal'; text: string }
  | { kind: '.' | '@' | '<' | '>' | ',' | ':' | ';'; text: string };
type Token = Place & Body;

const FOLDED =
  'is folded onto a new line inside an address, a quoted string or a comment, which some programs read differently; fold it only between the words of a name or after a comma';

class Refused extends Error {}

const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]$/;
/** Invisible characters that reorder how text is shown (bidi embeddings, overrides, isolates). */
const REORDER = /[\u202A-\u202E\u2066-\u2069]/u;
/** Controls (a tab is whitespace), and line or paragraph separators some readers break lines at. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** Parses a `mailbox-list` (From:). Returns the mailboxes, or why the field is refused. */
export function parseMailboxList(value: string): MailboxListResult {
  try {
    return new Reader(value).list();
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.message };
    throw err;
  }
}

/** Address-like strings (`x@host.name`) in text a reader shows, such as a display name. */
export function addressesIn(text: string): string[] {
  const found: string[] = [];
  // NFKC first: a full-width ＠ or ． reads as @ or . to a person.
  for (const m of text.normalize('NFKC').matchAll(/[^\s@<>()[\]",;:\\]+@([^\s@<>()[\]",;:\\]+)/gu)) {
    const domain = (m[1] ?? '').replace(/[.!?']+$/, '');
    if (/[^.]\.[^.]/.test(domain)) found.push(`${m[0].slice(0, m[0].length - (m[1] ?? '').length)}${domain}`);
  }
  return found;
}

class Reader {
  private readonly src: string;
  private readonly tokens: Token[] = [];
  private readonly shown: string[] = [];
  private i = 0;

  constructor(src: string) {
    this.src = src;
  }

  list(): MailboxListResult {
    this.lex();
    if (this.tokens.length === 0) throw new Refused('has no address in it');
    const mailboxes: Mailbox[] = [];
    for (;;) {
      if (this.peek()?.kind === ',') throw new Refused('has an empty entry between commas');
      const mailbox = this.mailbox();
      mailboxes.push(mailbox);
      const next = this.peek();
      if (!next) break;
      if (next.kind !== ',') this.leftover(mailbox);
      this.i++;
      if (!this.peek()) throw new Refused('ends with a comma');
    }
    return { ok: true, mailboxes, shown: this.shown };
  }

  // ---- lexer --------------------------------------------------------------------------------

  private lex(): void {
    const s = this.src;
    const bad = CONTROL.exec(s.replace(/\r\n(?=[ \t])/g, '  ').replaceAll('\t', ' '));
    if (bad) throw new Refused(`contains the control character U+${hex(bad[0])}`);
    if (REORDER.test(s)) throw new Refused('contains invisible characters that change the order letters are shown in');
    if (s.includes('\uFFFD')) throw new Refused('contains bytes that are not UTF-8 text');
    let space = false;
    let fold = false;
    let angle = false;
    let n = 0;
    const push = (t: Body, at: number) => {
      this.tokens.push({ ...t, space, fold, at });
      space = false;
      fold = false;
    };
    while (n < s.length) {
      const c = s[n] as string;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        space = true;
        if (c === '\r') fold = true;
        n++;
      } else if (c === '(') {
        n = this.comment(n);
        space = true;
      } else if (c === ')') {
        throw new Refused('has a ) with no ( before it');
      } else if (c === '"') {
        const end = this.quoted(n);
        const raw = s.slice(n, end);
        const text = unquote(raw.slice(1, -1));
        push({ kind: 'quoted', text, raw }, n);
        this.shown.push(text);
        n = end;
      } else if (c === '[') {
        const end = s.indexOf(']', n);
        if (end < 0) throw new Refused('has a [ with no ] after it');
        push({ kind: 'literal', text: s.slice(n, end + 1) }, n);
        n = end + 1;
      } else if (c === '\\') {
        throw new Refused('has a backslash outside quotes, which programs read in different ways');
      } else if ('.@<>,:;'.includes(c)) {
        if (c === '<') {
          if (angle) throw new Refused('has a < inside another < >');
          angle = true;
        } else if (c === '>') {
          if (!angle) throw new Refused('has a > with no < before it');
          angle = false;
        }
        push({ kind: c as '.', text: c }, n);
        n++;
      } else if (c === ']') {
        throw new Refused('has a ] with no [ before it');
      } else {
        let end = n;
        while (end < s.length && isAtext(s.codePointAt(end) as number))
          end += (s.codePointAt(end) as number) > 0xffff ? 2 : 1;
        if (end === n) throw new Refused(`has the character ${JSON.stringify(c)} where it may not stand`);
        push({ kind: 'atom', text: s.slice(n, end) }, n);
        n = end;
      }
    }
    if (angle) throw new Refused('has a < with no > after it');
  }

  /** Skips a comment (nested, with quoted pairs) starting at `start`; returns the index after it. */
  private comment(start: number): number {
    const s = this.src;
    let depth = 0;
    let text = '';
    for (let n = start; n < s.length; n++) {
      const c = s[n] as string;
      if (c === '\r' || (c === '\\' && s[n + 1] === '\r')) throw new Refused(FOLDED);
      if (c === '\\') {
        n++;
        if (n >= s.length) break;
        text += s[n];
      } else if (c === '(') {
        if (depth++ > 0) text += c;
      } else if (c === ')') {
        if (--depth === 0) {
          this.shown.push(text);
          return n + 1;
        }
        text += c;
      } else {
        text += c;
      }
    }
    throw new Refused('has a ( with no ) after it');
  }

  /** Finds the end of a quoted string starting at `start`; returns the index after its closing quote. */
  private quoted(start: number): number {
    const s = this.src;
    for (let n = start + 1; n < s.length; n++) {
      const c = s[n];
      if (c === '\r' || (c === '\\' && s[n + 1] === '\r')) throw new Refused(FOLDED);
      if (c === '\\') n++;
      else if (c === '"') return n + 1;
    }
    throw new Refused('has a " with no closing " after it');
  }

  // ---- grammar ------------------------------------------------------------------------------

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  /** mailbox = name-addr / addr-spec */
  private mailbox(): Mailbox {
    const start = this.i;
    const spec = this.addrSpec(false);
    if (spec) {
      const next = this.peek();
      if (!next || next.kind === ',') return spec;
      if (next.kind === '@') throw new Refused(`has an address with more than one @ (${this.snippet(start)})`);
      this.leftover(spec);
    }
    const phrase = this.phrase();
    const next = this.peek();
    if (next?.kind === '<') {
      const open = this.i++;
      if (this.peek()?.kind === '@') {
        throw new Refused('has a source route (<@host,...:address>), an old form that programs read differently');
      }
      if (this.peek()?.kind === '>') throw new Refused('has an empty address <>');
      const addr = this.addrSpec(true) as Mailbox;
      const close = this.peek();
      if (close?.kind === '@') throw new Refused(`has an address with more than one @ (${this.snippet(start)})`);
      if (close?.kind !== '>') throw new Refused(`has text after the address inside < > (${this.snippet(start)})`);
      this.unfolded(open + 1, this.i);
      this.i++;
      const name = phrase === null ? '' : decodeWords(phrase);
      if (phrase !== null) this.shown.push(phrase, name);
      return { ...addr, name };
    }
    if (next?.kind === ':') throw new Refused('is a group ("name: addresses;"), which this header may not be');
    if (phrase !== null && (!next || next.kind === ',')) {
      throw new Refused(`has a name with no address (${this.snippet(start)})`);
    }
    throw new Refused(`has "${cut(next?.text ?? '')}" where it may not stand (${this.snippet(start)})`);
  }

  /** display-name = phrase = word *(word / "." / CFWS); null when there is none. */
  private phrase(): string | null {
    const first = this.peek();
    if (!first || (first.kind !== 'atom' && first.kind !== 'quoted')) return null;
    const parts: string[] = [];
    for (let t = this.peek(); t && (t.kind === 'atom' || t.kind === 'quoted' || t.kind === '.'); t = this.peek()) {
      if (parts.length > 0 && t.space) parts.push(' ');
      parts.push(t.text);
      this.i++;
    }
    return parts.join('');
  }

  /**
   * addr-spec = local-part "@" domain. Returns null when the tokens here do not start
   * one (no @ after a local part) and `required` is false; refuses a bad one outright.
   */
  private addrSpec(required: boolean): Mailbox | null {
    const start = this.i;
    const local: Token[] = [];
    for (let t = this.peek(); t && (t.kind === 'atom' || t.kind === 'quoted' || t.kind === '.'); t = this.peek()) {
      local.push(t);
      this.i++;
    }
    if (this.peek()?.kind !== '@') {
      this.i = start;
      if (required) throw new Refused(`has no address of the form name@domain inside < > (${this.snippet(start)})`);
      return null;
    }
    this.i++;
    const domain: Token[] = [];
    for (let t = this.peek(); t && (t.kind === 'atom' || t.kind === 'literal' || t.kind === '.'); t = this.peek()) {
      // A word after whitespace that no dot joins to the domain starts something else.
      if (t.kind !== '.' && t.space && domain.length > 0 && domain.at(-1)?.kind !== '.') break;
      domain.push(t);
      this.i++;
    }
    const written = this.src.slice(this.tokens[start]?.at ?? 0, this.endOf(this.i - 1));
    if (local.length === 0) throw new Refused(`has an address with nothing before the @ (${cut(written)})`);
    if (domain.length === 0) throw new Refused(`has an address with nothing after the @ (${cut(written)})`);
    this.unfolded(start + 1, this.i - 1);
    const localText = this.localPart(local, written);
    const domainText = this.domain(domain, written);
    const bare = local[0]?.kind === 'quoted' ? local[0].text : localText;
    return { name: '', address: `${localText}@${domainText}`, local: bare, domain: domainText };
  }

  /** local-part = dot-atom / quoted-string; obs-local-part (a mix, or CFWS inside) is refused. */
  private localPart(tokens: Token[], written: string): string {
    if (tokens.length === 1 && tokens[0]?.kind === 'quoted') {
      // Spaces are what quoting is for; other invisible characters only disguise the address.
      if (/\p{C}|(?! )\p{Z}/u.test(tokens[0].text)) {
        throw new Refused(`has an address with invisible or space characters in it (${cut(written)})`);
      }
      return tokens[0].raw;
    }
    if (tokens.some((t) => t.kind === 'quoted')) {
      throw new Refused(`has an address that mixes quoted and unquoted parts before the @ (${cut(written)})`);
    }
    const text = this.dotAtom(tokens, written, 'before the @');
    if (/=\?[^?]*\?[^?]*\?[^?]*\?=/.test(text)) {
      throw new Refused(
        `has an encoded word (=?...?=) inside an address, which some programs decode (${cut(written)})`,
      );
    }
    if (/[\p{Z}\p{C}]/u.test(text)) {
      throw new Refused(`has an address with invisible or space characters in it (${cut(written)})`);
    }
    return text;
  }

  /** domain = dot-atom; a domain literal or obs-domain is refused, and so is a trailing dot. */
  private domain(tokens: Token[], written: string): string {
    const literal = tokens.find((t) => t.kind === 'literal');
    if (literal) {
      throw new Refused(
        `has an address at ${cut(literal.text)}, a bracketed network address rather than a domain name, which can never be one of your sending domains`,
      );
    }
    if (tokens.length > 1 && tokens.at(-1)?.kind === '.') {
      throw new Refused(`has an address that ends with a dot (${cut(written)})`);
    }
    const text = this.dotAtom(tokens, written, 'after the @');
    if (/[\p{Z}\p{C}]/u.test(text)) {
      throw new Refused(`has an address with invisible or space characters in it (${cut(written)})`);
    }
    if (/[^\x20-\x7e]/.test(text)) {
      // An international domain must read the same before and after IDNA: otherwise the
      // name a reader shows (example。test) is not the name we checked (example.test).
      const ascii = domainToASCII(text);
      if (!ascii || domainToUnicode(ascii) !== text.toLowerCase()) {
        throw new Refused(
          `has an address whose domain is written with characters that read as another domain (${cut(written)})`,
        );
      }
    }
    return text;
  }

  /** dot-atom-text = 1*atext *("." 1*atext), with no whitespace or comment inside. */
  private dotAtom(tokens: Token[], written: string, where: string): string {
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k] as Token;
      if (k > 0 && t.kind !== '.' && tokens[k - 1]?.kind !== '.') {
        throw new Refused(`has words before an address that is not in < > (${cut(written)})`);
      }
      if (k > 0 && t.space) {
        throw new Refused(
          `has spaces or comments inside the address, an old form that programs read differently (${cut(written)})`,
        );
      }
      const shouldBeDot = k % 2 === 1;
      if ((t.kind === '.') !== shouldBeDot || (k === tokens.length - 1 && shouldBeDot)) {
        throw new Refused(
          `has an address with a dot at the start or end of the part ${where}, or two dots in a row (${cut(written)})`,
        );
      }
    }
    return tokens.map((t) => t.text).join('');
  }

  /** Refuses a line break before any of tokens from..to (inclusive). */
  private unfolded(from: number, to: number): void {
    for (let k = from; k <= to; k++) if (this.tokens[k]?.fold) throw new Refused(FOLDED);
  }

  /** Refuses whatever follows a complete mailbox that is not a comma. */
  private leftover(mailbox: Mailbox): never {
    let address = false;
    for (let k = this.i; k < this.tokens.length && this.tokens[k]?.kind !== ','; k++) {
      const kind = this.tokens[k]?.kind;
      if (kind === '@' || kind === '<') address = true;
    }
    const rest = this.snippet(this.i);
    if (address) {
      throw new Refused(`has a second address after ${cut(mailbox.address)} without a comma between them (${rest})`);
    }
    throw new Refused(`has text after the address ${cut(mailbox.address)} (${rest})`);
  }

  private endOf(k: number): number {
    const t = this.tokens[k];
    if (!t) return this.src.length;
    return t.at + (t.kind === 'quoted' ? t.raw.length : t.text.length);
  }

  /** The field text from token k on, shortened, for a refusal. */
  private snippet(k: number): string {
    return cut(this.src.slice(this.tokens[k]?.at ?? this.src.length).trim());
  }
}

/** atext, and RFC 6532's UTF8-non-ascii (vetted further where it matters: addresses, domains). */
function isAtext(cp: number): boolean {
  if (cp >= 0x80) return true;
  return ATEXT.test(String.fromCharCode(cp));
}

/** Removes quoted-pair backslashes. */
function unquote(s: string): string {
  return s.replace(/\\([\s\S])/g, '$1');
}

function decodeWords(s: string): string {
  try {
    return libmime.decodeWords(s);
  } catch {
    return s;
  }
}

function hex(c: string): string {
  return (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

/** Quotes header text in an SMTP reply: ASCII only, at most 60 characters. */
export function cut(s: string): string {
  const ascii = s.replace(/\r\n/g, '').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 60 ? `${ascii.slice(0, 57)}...` : ascii;
}
