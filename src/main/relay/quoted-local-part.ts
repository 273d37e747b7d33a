// RFC 5321 allows the local part of an address to be a quoted string: "a b"@example.com,
// "a@b"@example.com. smtp-server splits MAIL FROM and RCPT TO arguments at spaces and at
// "@" before our hooks see them, so it answers 501 to every such address. This module
// reads a quoted local part itself and hands the rest (domain and parameters) back to
// smtp-server's own parser, so domains, IP literals and ESMTP parameters are checked
// exactly as for any other address. Any hop takes these addresses: they are plain ASCII
// (RFC 6531 adds UTF-8 inside the quotes, which then needs SMTPUTF8 like any other
// non-ASCII address).

/** RFC 5321 §4.5.3.1.1: at most 64 octets of local part. */
const MAX_LOCAL_PART_OCTETS = 64;

/** RFC 5321 Dot-string: a quoted string equal to one of these is the same mailbox written plainly. */
const DOT_STRING = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** A source route ("@relay.example:") in front of the mailbox; RFC 5321 says accept it and ignore it. */
const SOURCE_ROUTE = /^@[^\s,:@<>"]+(?:,@[^\s,:@<>"]+)*:/;

const NOT_CLOSED = 'the quoted part of the address is never closed with a second "';

/** Invisible formatting characters smtp-server refuses in any address (they hide what an address says). */
const INVISIBLE = /[\u200B\u2060\uFEFF]/;

/** The path as a reply may quote it: up to its ">", on one line, printable. */
function shown(text: string): string {
  const end = text.indexOf('>');
  const path = end >= 0 ? text.slice(0, end + 1) : text;
  return path.slice(0, 100).replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
}

export type QuotedPath =
  /** The local part as it goes into the queue, quotes included ("a b"), or unquoted when it needs none. */
  | { kind: 'local'; localPart: string; rest: string }
  /** A quoted local part that breaks the rules, with a sentence saying why and what to write instead. */
  | { kind: 'invalid'; address: string; reason: string };

/**
 * Reads a path that starts with a quoted local part: `<"a b"@example.com> NOTIFY=…`.
 * Returns null when the path has no quoted local part (smtp-server's parser handles
 * those as before), else the local part in its canonical form and the text after its
 * "@" (domain, ">", parameters), or why it is not a valid address.
 */
export function readQuotedPath(args: string): QuotedPath | null {
  const text = args.trimStart();
  if (!text.startsWith('<')) return null;
  let i = 1;
  const route = SOURCE_ROUTE.exec(text.slice(1));
  if (route) i += route[0].length;
  if (text[i] !== '"') return null;
  const invalid = (reason: string): QuotedPath => ({ kind: 'invalid', address: shown(text), reason });
  let content = '';
  i++;
  for (;;) {
    const ch = text[i];
    if (ch === undefined) return invalid(NOT_CLOSED);
    const code = ch.codePointAt(0) as number;
    if (ch === '"') break;
    if (ch === '\\') {
      const next = text[i + 1];
      const n = next?.codePointAt(0) ?? 0;
      // quoted-pairSMTP = "\" followed by a printable ASCII character or a space.
      if (next === undefined || n < 32 || n > 126) {
        return invalid('a backslash in the quoted part must be followed by a printable character');
      }
      content += next;
      i += 2;
      continue;
    }
    // qtextSMTP: printable ASCII and space, except " and \ (handled above); UTF-8 beyond ASCII (RFC 6531).
    if (code < 32 || (code >= 127 && code <= 159) || INVISIBLE.test(ch)) {
      return invalid('the quoted part of the address contains a control character');
    }
    if (ch === '<' || ch === '>') {
      if (!text.includes('"', i)) return invalid(NOT_CLOSED);
      // RFC 5321 allows them inside quotes, but next hops (and Mailroom's own SMTP
      // client) take < and > as the ends of the address.
      return invalid('Mailroom cannot pass on an address with < or > inside its quoted part');
    }
    content += ch;
    i += ch.length;
  }
  i++;
  if (text[i] !== '@') {
    return invalid('a quoted local part must be followed by @ and a domain, as in "first last"@example.com');
  }
  if (content === '') return invalid('the quoted part before the @ is empty');
  if (Buffer.byteLength(content) > MAX_LOCAL_PART_OCTETS) {
    return invalid(`the part before the @ is longer than ${MAX_LOCAL_PART_OCTETS} characters`);
  }
  // The same mailbox has one spelling in the queue: no quotes where none are needed
  // (RFC 5321 §4.1.2 prefers the Dot-string), and only " and \ escaped inside them.
  const localPart = DOT_STRING.test(content) ? content : `"${content.replace(/(["\\])/g, '\\$1')}"`;
  return { kind: 'local', localPart, rest: text.slice(i + 1) };
}

interface ParsedAddress {
  address: string;
  args: Record<string, string | boolean> | false;
}

type AddressParser = (name: string, command: string | Buffer) => ParsedAddress | false;

/** Why an address was refused; the relay's MAIL/RCPT hooks answer with it. */
const refusals = new WeakMap<object, string>();

/** The sentence for an address readQuotedPath refused, or null for any other address. */
export function quotedAddressRefusal(address: object): string | null {
  return refusals.get(address) ?? null;
}

/**
 * Teaches one smtp-server connection to read quoted local parts, by wrapping its
 * address parser (a method of the connection object, not of the library: nothing
 * else changes). Returns false when smtp-server has no such method any more, so the
 * caller can say so instead of failing in the middle of a session.
 */
export function acceptQuotedLocalParts(connection: object): boolean {
  const conn = connection as { _parseAddressCommand?: AddressParser };
  const original = conn._parseAddressCommand;
  if (typeof original !== 'function') return false;
  conn._parseAddressCommand = function (this: unknown, name: string, raw: string | Buffer) {
    // smtp-server hands over the command line as it came (a Buffer); its parser reads it as UTF-8.
    const command = String(raw ?? '');
    const colon = command.indexOf(':');
    let quoted: QuotedPath | null = null;
    try {
      quoted = colon < 0 ? null : readQuotedPath(command.slice(colon + 1));
    } catch {
      // A bug here must not cost every MAIL and RCPT a 451: smtp-server's parser decides.
      quoted = null;
    }
    if (!quoted) return original.call(this, name, raw);
    if (quoted.kind === 'invalid') {
      // smtp-server's own 501 would say only "Bad recipient address syntax"; a parsed
      // result with a refusal attached lets the hook answer with the reason.
      const parsed: ParsedAddress = { address: quoted.address.replace(/^<|>$/g, ''), args: false };
      refusals.set(parsed, quoted.reason);
      return parsed;
    }
    // smtp-server checks the domain and the parameters as for any address; "x" stands
    // in for the local part it cannot read.
    const parsed = original.call(this, name, `${command.slice(0, colon + 1)}<x@${quoted.rest}`);
    if (!parsed) return false;
    const at = parsed.address.lastIndexOf('@');
    parsed.address = `${quoted.localPart}${parsed.address.slice(at)}`;
    return parsed;
  };
  return true;
}
