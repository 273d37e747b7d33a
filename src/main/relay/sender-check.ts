import { domainOfAddress, toAsciiDomain } from '../domains/domains-service.ts';
import type { HeaderSummary } from './headers.ts';
import { cut } from './mailbox-list.ts';

/** An SMTP refusal: reply code and text (enhanced status code first). */
export interface SenderRefusal {
  code: number;
  text: string;
}

const NO_DOMAIN: SenderRefusal = {
  code: 553,
  text: '5.7.1 Mailroom has no sending domain yet, so it accepts no mail. Add your domain in Mailroom (Settings, Sending domains, or: mailroom domains add example.com) and send again',
};

/**
 * The sender must be at one of the user's own domains: Mailroom relays for them and
 * nobody else. `domains` are the sending domains, lower-case ASCII.
 */
export function checkSenderAddress(
  address: string,
  where: 'MAIL FROM' | 'From:' | 'Sender:',
  domains: string[],
): SenderRefusal | null {
  if (domains.length === 0) return NO_DOMAIN;
  const domain = domainOfAddress(address);
  if (domain && domains.includes(domain)) return null;
  const shown = address ? cut(address) : '<>';
  return {
    code: 553,
    text: `5.7.1 ${where} ${shown} is not at one of your sending domains (${domains.join(', ')}). Send from one of them, or add ${domain ?? 'the domain'} in Mailroom (Settings, Sending domains, or: mailroom domains add ${domain ?? 'example.com'})`,
  };
}

/**
 * Why a received message may not go out under the user's name, or null. Order: a
 * header section readers could read differently (554), no From: at all (554), then
 * every From: and Sender: address at a sending domain (553), then no address at
 * another domain written where readers show a name (553).
 */
export function senderRefusal(summary: HeaderSummary, domains: string[]): SenderRefusal | null {
  if (summary.malformed) return { code: 554, text: `5.6.0 Message refused: ${summary.malformed}. Nothing was queued` };
  if (summary.fromAddresses.length === 0) {
    return { code: 554, text: '5.6.0 Message refused: it has no From: header with an address. Nothing was queued' };
  }
  for (const from of summary.fromAddresses) {
    const refused = checkSenderAddress(from, 'From:', domains);
    if (refused) return refused;
  }
  if (summary.senderAddress !== null) {
    const refused = checkSenderAddress(summary.senderAddress, 'Sender:', domains);
    if (refused) return refused;
  }
  for (const shown of summary.shownAddresses) {
    const at = shown.lastIndexOf('@');
    const domain = toAsciiDomain(shown.slice(at + 1)) ?? shown.slice(at + 1);
    if (domains.includes(domain)) continue;
    // Many readers show the name instead of the address: "x@bank.example" <you@yours> reads as bank.example's.
    return {
      code: 553,
      text: `5.7.1 Message refused: its From: or Sender: header shows ${cut(shown)} in a name or comment, an address that is not at one of your sending domains (${domains.join(', ')}), and readers may take it for the sender. Take it out of the name and send again. Nothing was queued`,
    };
  }
  return null;
}
