import type { Db } from '../db/connection.ts';
import { readSignature } from '../dkim/sign.ts';

// The wizard's "send a test to yourself": after the message went in through the relay,
// the wizard follows its delivery and reports what Mailroom signed it as, read from the
// delivery log (the dispatcher writes "signed by " + describeSignatures(…) on delivery,
// or "unsigned: no DKIM key for <domain>").

export interface TestSendStatus {
  state: 'waiting' | 'delivered' | 'failed';
  /** A sentence for the wizard. */
  message: string;
  /** What the DKIM signature said, when delivered signed. */
  signed: { domain: string; selectors: string[] } | null;
}

interface Row {
  status: string;
  last_response: string | null;
  detail: string | null;
}

/** A log text as the end of a sentence: trimmed, one full stop. */
function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export function testSendStatus(db: Db, queueId: string): TestSendStatus | null {
  const row = db
    .prepare(
      `SELECT d.status, d.last_response,
              (SELECT e.detail FROM delivery_events e WHERE e.delivery_id = d.id ORDER BY e.at DESC, e.id DESC LIMIT 1) AS detail
         FROM deliveries d JOIN messages m ON m.id = d.message_id
        WHERE m.queue_id = ? ORDER BY d.id LIMIT 1`,
    )
    .get(queueId) as Row | undefined;
  if (!row) return null;
  if (row.status === 'delivered') {
    const signed = readSignature(row.detail ?? '');
    if (!signed) {
      // The dispatcher names the domain, or says "the From domain" when it has none.
      const domain = /no DKIM key for (\S+\.[^\s.]+)/.exec(row.detail ?? '')?.[1];
      const forDomain = ` for ${domain ?? 'the From domain'}`;
      return {
        state: 'delivered',
        message: `Delivered, but not signed: Mailroom has no DKIM key${forDomain}. Create the DKIM key in the wizard first, then send the test again.`,
        signed: null,
      };
    }
    const selectors = `${signed.selectors.length > 1 ? 'selectors' : 'selector'} ${signed.selectors.join(' and ')}`;
    return {
      state: 'delivered',
      message: `Delivered, signed by ${signed.domain} with ${selectors}. Look for it in your inbox (and in junk, the first time).`,
      signed,
    };
  }
  if (row.status === 'bounced' || row.status === 'cancelled') {
    return {
      state: 'failed',
      message: `The test message was not delivered: ${sentence(row.last_response ?? row.detail ?? row.status)}`,
      signed: null,
    };
  }
  // 'unknown': the connection ended before the server confirmed; Mailroom tries again.
  if (row.status === 'unknown') {
    return {
      state: 'waiting',
      message:
        'On its way: the last try ended before the receiving server confirmed the message. It may already be in your inbox; Mailroom will try again, so you may get it twice.',
      signed: null,
    };
  }
  const why =
    row.status === 'deferred' && row.last_response ? ` The last try said: ${sentence(row.last_response)}` : '';
  return { state: 'waiting', message: `On its way (${row.status}).${why}`, signed: null };
}
