// Our own DKIM signer (RFC 6376, RFC 8463): relaxed/relaxed, one signature per key
// (RSA first, then Ed25519), From oversigned. Keys arrive as parsed KeyObjects so a
// message costs one private-key operation per signature and nothing else of note.
//
// The input is a complete message with CRLF line endings. Headers are handled as
// latin1 strings (one char per byte, so 8-bit header bytes pass through unchanged);
// the body is canonicalised as bytes.
import crypto, { type KeyObject } from 'node:crypto';

export interface SigningKey {
  domain: string;
  selector: string;
  algorithm: 'rsa-2048' | 'rsa' | 'ed25519';
  privateKey: KeyObject;
}

/**
 * Header fields signed, each as often as it occurs. From comes first and is listed
 * once more than it occurs, so a From added anywhere after signing breaks the signature.
 */
const SIGNED_HEADERS = [
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'reply-to',
  'list-unsubscribe',
  'list-unsubscribe-post',
] as const;

const SIGNED_SET: ReadonlySet<string> = new Set(['from', ...SIGNED_HEADERS]);

/** Lines of the DKIM-Signature field stay within this many characters. */
const LINE_MAX = 76;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const CRLF = Buffer.from('\r\n');

interface HeaderField {
  /** Lower-case name, without trailing WSP before the colon. */
  name: string;
  /** Everything after the colon, continuation lines included, without the final CRLF. */
  value: string;
}

export class DkimSigner {
  private readonly keys: SigningKey[];

  constructor(keys: SigningKey[]) {
    if (keys.length === 0) throw new Error('DkimSigner needs at least one key');
    // RSA first: a receiver that stops at the first signature it understands finds the
    // widely supported one on top. Stable otherwise.
    this.keys = keys
      .map((k, i) => ({ k, i }))
      .sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i)
      .map(({ k }) => k);
  }

  get domains(): string[] {
    return [...new Set(this.keys.map((k) => k.domain))];
  }

  /** What the signatures say, for the delivery log: "example.com (selector mr202611)". */
  get description(): string {
    return describeSignatures(
      this.domains.map((d) => ({
        domain: d,
        selectors: this.keys.filter((k) => k.domain === d).map((k) => k.selector),
      })),
    );
  }

  sign(message: Buffer, opts: { now?: number } = {}): Buffer {
    const plan = this.plan(message, opts);
    return assemble(
      plan,
      plan.items.map((it) => crypto.sign(it.hash, it.data, it.key)),
      message,
    );
  }

  /**
   * The same signature, with the private-key operation on libuv's thread pool: RSA
   * signing is most of the CPU a message costs, and this way it does not hold up the
   * event loop (SMTP sessions, the queue) and uses the other cores.
   */
  async signAsync(message: Buffer, opts: { now?: number } = {}): Promise<Buffer> {
    const plan = this.plan(message, opts);
    const sigs = await Promise.all(
      plan.items.map(
        (it) =>
          new Promise<Buffer>((resolve, reject) =>
            crypto.sign(it.hash, it.data, it.key, (err, sig) => (err ? reject(err) : resolve(sig))),
          ),
      ),
    );
    return assemble(plan, sigs, message);
  }

  private plan(message: Buffer, opts: { now?: number }): SigningPlan {
    const { headerEnd, bodyStart } = splitMessage(message);
    const headerText = message.toString('latin1', 0, headerEnd);
    const fields = parseHeaderFields(headerText);

    // h= and the canonical header data it selects: the same for every signature.
    const counts = new Map<string, number>();
    for (const f of fields) if (SIGNED_SET.has(f.name)) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
    const hList: string[] = [];
    for (let i = 0; i <= (counts.get('from') ?? 0); i++) hList.push('from');
    for (const name of SIGNED_HEADERS) for (let i = 0; i < (counts.get(name) ?? 0); i++) hList.push(name);
    const headerData = Buffer.from(selectCanonicalHeaders(fields, hList), 'latin1');

    const body = message.subarray(bodyStart);
    const bh = crypto.createHash('sha256').update(canonicalBody(body)).digest('base64');
    const t = Math.floor((opts.now ?? Date.now()) / 1000);

    const items: SigningPlan['items'] = [];
    for (const key of this.keys) {
      const a = key.algorithm === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
      const prefix = foldSignaturePrefix([
        'v=1;',
        `a=${a};`,
        'c=relaxed/relaxed;',
        `d=${key.domain};`,
        `s=${key.selector};`,
        `t=${t};`,
        ...hTagParts(hList),
        `bh=${bh};`,
      ]);
      // What is signed: the selected headers, then this field with b= empty,
      // relaxed-canonicalised, without its trailing CRLF (RFC 6376 §3.7).
      const sigCanon = Buffer.from(`dkim-signature:${relaxedValue(prefix.slice('DKIM-Signature:'.length))}`, 'latin1');
      if (key.algorithm === 'ed25519') {
        // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the header data.
        const digest = crypto.createHash('sha256').update(headerData).update(sigCanon).digest();
        items.push({ prefix, hash: null, data: digest, key: key.privateKey });
      } else {
        items.push({ prefix, hash: 'sha256', data: Buffer.concat([headerData, sigCanon]), key: key.privateKey });
      }
    }
    return { items };
  }
}

interface SigningPlan {
  items: { prefix: string; hash: string | null; data: Buffer; key: crypto.KeyObject }[];
}

function assemble(plan: SigningPlan, signatures: Buffer[], message: Buffer): Buffer {
  const out: Buffer[] = plan.items.map((it, i) =>
    Buffer.from(`${appendFolded(it.prefix, (signatures[i] as Buffer).toString('base64'))}\r\n`, 'latin1'),
  );
  out.push(message);
  // A non-empty message that does not end in CRLF gets one: the canonical body
  // (and SMTP DATA) end with CRLF anyway, and this way every verifier sees the
  // same last line, trailing whitespace or not.
  const n = message.length;
  if (n > 0 && !(message[n - 2] === CR && message[n - 1] === LF)) out.push(CRLF);
  return Buffer.concat(out);
}

function rank(k: SigningKey): number {
  return k.algorithm === 'ed25519' ? 1 : 0;
}

/**
 * headerEnd: end of the header section including the last header's CRLF.
 * bodyStart: first byte after the blank line (message length when there is none).
 */
function splitMessage(message: Buffer): { headerEnd: number; bodyStart: number } {
  if (message.length >= 2 && message[0] === CR && message[1] === LF) return { headerEnd: 0, bodyStart: 2 };
  const blank = message.indexOf('\r\n\r\n');
  if (blank === -1) return { headerEnd: message.length, bodyStart: message.length };
  return { headerEnd: blank + 2, bodyStart: blank + 4 };
}

function parseHeaderFields(text: string): HeaderField[] {
  const fields: HeaderField[] = [];
  let start = 0;
  while (start < text.length) {
    // A field ends at a CRLF not followed by WSP (a continuation line).
    let end = start;
    for (;;) {
      const crlf = text.indexOf('\r\n', end);
      if (crlf === -1) {
        end = text.length;
        break;
      }
      const next = text.charCodeAt(crlf + 2);
      if (next === SP || next === HTAB) {
        end = crlf + 2;
        continue;
      }
      end = crlf;
      break;
    }
    const raw = text.slice(start, end);
    const colon = raw.indexOf(':');
    if (colon > 0)
      fields.push({
        name: raw
          .slice(0, colon)
          .replace(/[ \t]+$/, '')
          .toLowerCase(),
        value: raw.slice(colon + 1),
      });
    // A line without a colon is not a header field anyone can select: skipped.
    start = end + 2;
  }
  return fields;
}

/** Relaxed header value (RFC 6376 §3.4.2): unfolded, WSP runs to one SP, trimmed. */
function relaxedValue(value: string): string {
  let v = value.replace(/\r\n/g, '').replace(/[ \t]+/g, ' ');
  if (v.charCodeAt(0) === SP) v = v.slice(1);
  if (v.charCodeAt(v.length - 1) === SP) v = v.slice(0, -1);
  return v;
}

/** The canonical header data for h=: bottom-up per name (RFC 6376 §5.4.2), absent ones contribute nothing. */
function selectCanonicalHeaders(fields: HeaderField[], hList: string[]): string {
  const next = new Map<string, number>();
  let data = '';
  for (const name of hList) {
    let i = next.get(name) ?? fields.length;
    while (--i >= 0) if (fields[i]?.name === name) break;
    const f = fields[i];
    if (f) data += `${name}:${relaxedValue(f.value)}\r\n`;
    next.set(name, Math.max(i, 0));
  }
  return data;
}

/**
 * Relaxed body canonicalisation (RFC 6376 §3.4.4): WSP at line ends removed, WSP runs
 * to one SP, trailing empty lines removed, CRLF added to a non-empty last line.
 * The empty result is the empty string.
 */
export function canonicalBody(body: Buffer): Buffer {
  let end = body.length;
  // Fast path: nothing to reduce inside lines (no tab, no double space, no space before CRLF or at the end).
  if (body.indexOf(HTAB) === -1 && body.indexOf('  ') === -1 && body.indexOf(' \r\n') === -1 && body[end - 1] !== SP) {
    return trimEmptyLines(body, end);
  }
  const out = Buffer.allocUnsafe(end + 2);
  let w = 0;
  let pendingWsp = false;
  for (let i = 0; i < end; i++) {
    const c = body[i] as number;
    if (c === SP || c === HTAB) {
      pendingWsp = true;
    } else if (c === CR && body[i + 1] === LF) {
      out[w++] = CR;
      out[w++] = LF;
      pendingWsp = false;
      i++;
    } else {
      if (pendingWsp) {
        out[w++] = SP;
        pendingWsp = false;
      }
      out[w++] = c;
    }
  }
  end = w;
  return trimEmptyLines(out, end);
}

/** Drops trailing empty lines of an already reduced body and ends a non-empty one with CRLF. */
function trimEmptyLines(buf: Buffer, length: number): Buffer {
  let end = length;
  if (end === 0) return buf.subarray(0, 0);
  if (!(end >= 2 && buf[end - 2] === CR && buf[end - 1] === LF)) {
    // The last line has no CRLF: it is not empty, so only the CRLF is missing.
    return Buffer.concat([buf.subarray(0, end), CRLF]);
  }
  // Now the body ends with CRLF; remove CRLFs while the line before is empty.
  while (end >= 4 && buf[end - 4] === CR && buf[end - 3] === LF) end -= 2;
  if (end === 2) return buf.subarray(0, 0);
  return buf.subarray(0, end);
}

/** h= split at colons so the folder can break the list across lines. */
function hTagParts(hList: string[]): string[] {
  return hList.map((name, i) => `${i === 0 ? 'h=' : ''}${name}${i === hList.length - 1 ? ';' : ':'}`);
}

/** `DKIM-Signature: v=1; … bh=…;` + ` b=`, folded so no line exceeds LINE_MAX characters. */
function foldSignaturePrefix(parts: string[]): string {
  let text = 'DKIM-Signature:';
  let lineLength = text.length;
  for (const part of [...parts, 'b=']) {
    // Inside h= (parts ending in ':') there is no space between names; a fold adds FWS,
    // which h= allows around its colons.
    const joiner = text.endsWith(':') && !text.endsWith('Signature:') ? '' : ' ';
    if (lineLength + joiner.length + part.length > LINE_MAX) {
      text += `\r\n ${part}`;
      lineLength = 1 + part.length;
    } else {
      text += joiner + part;
      lineLength += joiner.length + part.length;
    }
  }
  return text;
}

/** Appends the b= value to the prefix, folding it (FWS inside b= is ignored by verifiers). */
function appendFolded(prefix: string, value: string): string {
  const lastLine = prefix.length - prefix.lastIndexOf('\n') - 1;
  let room = LINE_MAX - lastLine;
  let text = prefix;
  let i = 0;
  if (room < 8) room = 0;
  while (i < value.length) {
    if (room <= 0) {
      text += '\r\n ';
      room = LINE_MAX - 1;
    }
    const chunk = value.slice(i, i + room);
    text += chunk;
    i += chunk.length;
    room -= chunk.length;
  }
  return text;
}

/**
 * The delivery log's words for the signatures on a message, and the way back: the
 * wizard's test send reads what was signed from the log, so both live here.
 */
export function describeSignatures(signed: { domain: string; selectors: string[] }[]): string {
  return signed
    .map(({ domain, selectors }) => `${domain} (selector${selectors.length > 1 ? 's' : ''} ${selectors.join(' and ')})`)
    .join(', ');
}

/** The first signature in a delivery-log line written as "signed by " + describeSignatures(…). */
export function readSignature(line: string): { domain: string; selectors: string[] } | null {
  const m = /signed by (\S+) \(selectors? ([^)]+)\)/.exec(line);
  return m ? { domain: m[1] as string, selectors: (m[2] as string).split(' and ') } : null;
}
