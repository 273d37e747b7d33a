/** A CR not followed by LF, or an LF not preceded by CR. */
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;
const DOT = Buffer.from('.');

/**
 * The DATA bytes for a message whose lines all end in CRLF: every line that starts
 * with a dot gets a second one (RFC 5321 §4.5.2), found with native searches. The
 * result is byte for byte what nodemailer's DataStream makes of such a message, which
 * looks at every byte in JavaScript. Returns the message itself when no line starts
 * with a dot, and null when it has a bare CR or LF (DataStream's job then).
 */
export function stuffDots(message: Buffer): Buffer | null {
  const text = message.toString('latin1');
  if (BARE_CR_OR_LF.test(text)) return null;
  const pieces: Buffer[] = [];
  let copied = 0;
  let at = text.startsWith('.') ? 0 : dotAfterCrlf(text, 0);
  while (at >= 0) {
    pieces.push(message.subarray(copied, at), DOT);
    copied = at;
    at = dotAfterCrlf(text, at + 1);
  }
  if (pieces.length === 0) return message;
  pieces.push(message.subarray(copied));
  return Buffer.concat(pieces);
}

function dotAfterCrlf(text: string, from: number): number {
  const i = text.indexOf('\r\n.', from);
  return i < 0 ? -1 : i + 2;
}
