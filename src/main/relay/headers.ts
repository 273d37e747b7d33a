import libmime from 'libmime';
import { addressesIn, cut, type Mailbox, parseMailboxList } from './mailbox-list.ts';

export interface HeaderSummary {
  messageId: string | null;
  subject: string | null;
  from: string | null;
  /** Bare addresses found in From:, lower-cased. */
  fromAddresses: string[];
  /** The address in Sender:, lower-cased, or null when there is no Sender: field. */
  senderAddress: string | null;
  /**
   * Addresses a reader may show next to the real ones in From: or Sender:, written in a
   * display name, a comment or a quoted local part (`"x@other.example" <you@yours>`).
   */
  shownAddresses: string[];
  hasDate: boolean;
  hasMessageId: boolean;
  /** Why the header section cannot be relayed as it is, or null. */
  malformed: string | null;
}

/** Fields RFC 5322 allows at most once; a second copy lets different programs show different values. */
const SINGLE_FIELDS = ['from', 'sender', 'date', 'message-id', 'subject', 'to', 'cc', 'reply-to'];

/** What to do about a From: or Sender: field the strict reader refused. */
const HOW_TO_WRITE = 'Write it as an address, or a name and an address in < >, such as: Shop <news@your-domain>';

/**
 * Reads the header section the way it will be stored and signed. The relay's sender
 * check relies on it, so anything ambiguous is reported as malformed instead of
 * being guessed at: a first line that is a continuation (it would fold into the
 * fields we put in front), a line that is neither a field nor a continuation,
 * repeated single-occurrence fields such as two From: lines, and a From: or Sender:
 * that the strict RFC 5322 reader in mailbox-list.ts refuses.
 */
export function summariseHeaders(raw: Buffer): HeaderSummary {
  const fields = new Map<string, string[]>();
  // Values with their line breaks kept: the address reader refuses some folds readers mishandle.
  const folded = new Map<string, string>();
  let current: { name: string; value: string; folded: string } | null = null;
  let malformed: string | null = null;
  const commit = () => {
    if (!current) return;
    const list = fields.get(current.name) ?? [];
    list.push(current.value);
    fields.set(current.name, list);
    if (!folded.has(current.name)) folded.set(current.name, current.folded);
  };
  for (const line of raw.toString('utf8').split('\r\n')) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Only SP and HTAB are folding whitespace: String.trim() would also eat a no-break space.
      if (current) {
        current.value += ` ${trimWsp(line)}`;
        current.folded += `\r\n${line}`;
      } else malformed ??= 'its first header line is indented, as if it continued a line before it';
      continue;
    }
    commit();
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!/^[!-9;-~]+$/.test(name)) {
      malformed ??= `the header line "${line.slice(0, 40)}" is not a "Name: value" field`;
      current = null;
      continue;
    }
    const value = trimWsp(line.slice(colon + 1));
    current = { name: name.toLowerCase(), value, folded: value };
  }
  commit();
  for (const name of SINGLE_FIELDS) {
    if ((fields.get(name)?.length ?? 0) > 1) malformed ??= `it has more than one ${name} header`;
  }

  const first = (name: string) => fields.get(name)?.[0];
  const decode = (v: string | undefined) => {
    if (v === undefined) return null;
    try {
      return libmime.decodeWords(v);
    } catch {
      return v;
    }
  };
  const fromRaw = first('from');
  const senderRaw = first('sender');
  const shownAddresses = new Set<string>();
  const read = (field: 'From:' | 'Sender:', value: string | undefined): Mailbox[] => {
    if (value === undefined) return [];
    const parsed = parseMailboxList(value);
    if (!parsed.ok) {
      malformed ??= `its ${field} header ${parsed.reason}. ${HOW_TO_WRITE}`;
      return [];
    }
    for (const text of parsed.shown) for (const a of addressesIn(text)) shownAddresses.add(a.toLowerCase());
    return parsed.mailboxes;
  };
  const fromMailboxes = read('From:', folded.get('from'));
  const senderMailboxes = read('Sender:', folded.get('sender'));
  if (senderMailboxes.length > 1) {
    malformed ??= `its Sender: header names ${senderMailboxes.length} addresses, and it may name only one: the one who sent the message`;
  }
  if (fromMailboxes.length > 1 && senderRaw === undefined) {
    // RFC 5322 §3.6.2 requires Sender: then, and readers show it as the one who sent the message.
    const list = fromMailboxes
      .slice(0, 3)
      .map((m) => cut(m.address))
      .join(', ');
    const more = fromMailboxes.length > 3 ? ', ...' : '';
    malformed ??= `its From: header names ${fromMailboxes.length} addresses (${list}${more}) and there is no Sender: header; with more than one author, a Sender: header must say which one sent the message. Add one, such as: Sender: ${cut(fromMailboxes[0]?.address ?? '')}, or keep one address in From:`;
  }
  const lower = (m: Mailbox) => m.address.toLowerCase();
  const messageId = first('message-id') ?? null;
  return {
    messageId: messageId ? messageId.slice(0, 998) : null,
    subject: decode(first('subject')),
    from: decode(fromRaw),
    fromAddresses: fromMailboxes.map(lower),
    senderAddress: senderMailboxes[0] ? lower(senderMailboxes[0]) : null,
    shownAddresses: [...shownAddresses],
    hasDate: fields.has('date'),
    hasMessageId: Boolean(messageId),
    malformed,
  };
}

function trimWsp(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}
