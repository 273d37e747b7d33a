import type { ProviderDkim } from '../../shared/domain/dns.ts';
import type { SmarthostPreset } from '../../shared/domain/presets.ts';
import { dkimRecordName } from '../dkim/keys.ts';
import type { DnsClient } from './dns-client.ts';
import { parseTagList, readTxt } from './txt.ts';

/**
 * A provider that signs as the person's domain (SES, SendGrid, Microsoft 365…) needs
 * records of its own, which only its console can give (they carry its keys or
 * per-account tokens). The wizard explains where to find them and, for providers whose
 * selector names are fixed, looks them up so the person sees when they are in place.
 * This is advice next to Mailroom's own DKIM check: it never changes a verdict.
 */
export async function providerDkimFor(
  domain: string,
  preset: SmarthostPreset | undefined,
  client: DnsClient,
): Promise<ProviderDkim | null> {
  if (!preset?.providerDkim) return null;
  const selectors = await Promise.all(
    preset.providerDkim.selectors.map(async (selector) => {
      const name = dkimRecordName(selector, domain);
      const [txt, alias] = await Promise.all([client.txt(name), client.cname(name)]);
      // An alias with no key behind it yet is the person's part done: Microsoft 365, for
      // one, publishes the key only once DKIM is switched on in its portal.
      const state: ProviderDkim['selectors'][number]['state'] =
        txt.kind === 'failed'
          ? 'failed'
          : txt.kind === 'found' && txt.value.some((strings) => hasKey(readTxt(strings).text))
            ? 'found'
            : alias.kind === 'found'
              ? 'alias'
              : 'missing';
      return { name, state, alias: alias.kind === 'found' ? alias.value : null };
    }),
  );
  return {
    provider: preset.name,
    text: `${preset.name} can also sign your mail as ${domain}, with its own key. ${preset.providerDkim.where} Add those records at your DNS host the same way as the ones in this guide. Mailroom's own DKIM record is still needed: it is what signs the mail Mailroom sends.`,
    selectors,
  };
}

/** A DKIM key record with a key in it (an empty p= means revoked, which is not "in place"). */
function hasKey(text: string): boolean {
  const tags = parseTagList(text);
  return tags.ok && (tags.tags.get('p') ?? '').replace(/\s+/g, '').length > 0;
}
