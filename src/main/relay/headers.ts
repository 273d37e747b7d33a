import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';

export interface HeaderSummary {
  messageId: string | null;
  subject: string | null;
  from: string | null;
  /** Bare addresses found in From:, lower-cased. */
  fromAddresses: string[];
  hasDate: boolean;
  hasMessageId: boolean;
  /** Why the header section cannot be relayed as it is, or null. */
  malformed: string | null;
}

/** Fields RFC 5322 allows at most once; a second copy lets different programs show different values. */
const SINGLE_FIELDS = ['from', 'sender', 'date', 'message-id', 'subject', 'to', 'cc', 'reply-to'];

/**
 * Reads the header section the way it will be stored and signed. The relay's sender
 * check relies on it, so anything ambiguous is reported as malformed instead of
 * being guessed at: a first line that is a continuation (it would fold into the
 * fields we put in front), a line that is neither a field nor a continuation, and
 * repeated single-occurrence fields such as two From: lines.
 */
export function summariseHeaders(raw: Buffer): HeaderSummary {
  const fields = new Map<string, string[]>();
  let current: { name: string; value: string } | null = null;
  let malformed: string | null = null;
  const commit = () => {
    if (!current) return;
    const list = fields.get(current.name) ?? [];
    list.push(current.value);
    fields.set(current.name, list);
  };
  for (const line of raw.toString('utf8').split('\r\n')) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current) current.value += ` ${line.trim()}`;
      else malformed ??= 'its first header line is indented, as if it continued a line before it';
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
    current = { name: name.toLowerCase(), value: line.slice(colon + 1).trim() };
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
  const fromAddresses: string[] = [];
  for (const entry of addressparser(fromRaw ?? '', { flatten: true })) {
    if (entry.address) fromAddresses.push(entry.address.toLowerCase());
  }
  const messageId = first('message-id') ?? null;
  return {
    messageId: messageId ? messageId.slice(0, 998) : null,
    subject: decode(first('subject')),
    from: decode(fromRaw),
    fromAddresses,
    hasDate: fields.has('date'),
    hasMessageId: Boolean(messageId),
    malformed,
  };
}
