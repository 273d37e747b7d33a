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
}

/** Reads the few header fields the relay needs from a raw (CRLF) header section. */
export function summariseHeaders(raw: Buffer): HeaderSummary {
  const fields = new Map<string, string>();
  let current: { name: string; value: string } | null = null;
  const commit = () => {
    // The first occurrence wins, as mail programs show it.
    if (current && !fields.has(current.name)) fields.set(current.name, current.value);
  };
  for (const line of raw.toString('utf8').split('\r\n')) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
      current.value += ` ${line.trim()}`;
      continue;
    }
    commit();
    const colon = line.indexOf(':');
    current =
      colon > 0 ? { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() } : null;
  }
  commit();

  const decode = (v: string | undefined) => {
    if (v === undefined) return null;
    try {
      return libmime.decodeWords(v);
    } catch {
      return v;
    }
  };
  const fromRaw = fields.get('from');
  const fromAddresses: string[] = [];
  if (fromRaw !== undefined) {
    for (const entry of addressparser(fromRaw, { flatten: true })) {
      if (entry.address) fromAddresses.push(entry.address.toLowerCase());
    }
  }
  const messageId = fields.get('message-id') ?? null;
  return {
    messageId: messageId ? messageId.slice(0, 998) : null,
    subject: decode(fields.get('subject')),
    from: decode(fromRaw),
    fromAddresses,
    hasDate: fields.has('date'),
    hasMessageId: Boolean(messageId),
  };
}
