import { DNS_RECORD_TTL, type DomainCheck, type RecordToCreate } from '../../shared/domain/dns.ts';
import { dkimRecordName, dkimTxtValue, splitTxtStrings } from '../dkim/keys.ts';
import type { OwnDkimKey } from './dkim-check.ts';
import { DMARC_RECORD, dmarcToPublish, organisationalDmarc } from './dmarc.ts';
import type { DnsClient } from './dns-client.ts';
import { readTxt } from './txt.ts';
import { relativeHost } from './zone.ts';

export interface PlanInput {
  check: DomainCheck;
  /** The SPF record to publish (merged with what exists); null when nothing needs to change. */
  spfWanted: string | null;
  dkimKeys: OwnDkimKey[];
  reportAddress: string;
}

/**
 * The records the person creates, in the order the wizard shows them. Each says
 * whether to add it, change an existing one (never add a second SPF or DMARC record)
 * or leave it, and what is published now.
 */
export async function planRecords(
  domain: string,
  zone: string | null,
  client: DnsClient,
  input: PlanInput,
): Promise<RecordToCreate[]> {
  const status = (record: string) => input.check.checks.find((c) => c.record === record)?.status;
  // What is published, as published (quotes a person pasted stay visible), for the
  // records whose text matches `pattern` once read.
  const published = async (name: string, pattern: RegExp): Promise<string[]> => {
    const answer = await client.txt(name);
    return answer.kind === 'found'
      ? answer.value.filter((s) => pattern.test(readTxt(s).text)).map((s) => s.join(''))
      : [];
  };
  const record = (
    purpose: RecordToCreate['purpose'],
    name: string,
    value: string,
    current: string[],
    done: boolean,
    why: string,
  ): RecordToCreate => ({
    purpose,
    type: 'TXT',
    name,
    host: relativeHost(name, zone),
    value,
    strings: splitTxtStrings(value),
    ttl: DNS_RECORD_TTL,
    state: done ? 'done' : current.length > 0 ? 'change' : 'add',
    current: current.length > 0 ? current.join('\n') : null,
    why,
  });

  const dmarcName = `_dmarc.${domain}`;
  const [spfNow, dmarcNow, ...dkimNow] = await Promise.all([
    published(domain, /^\s*v=spf1(\s|$)/i),
    published(dmarcName, DMARC_RECORD),
    ...input.dkimKeys.map((k) => published(dkimRecordName(k.selector, domain), /./)),
  ]);
  const out: RecordToCreate[] = [];

  const spfValue = input.spfWanted ?? (spfNow.length === 1 ? (spfNow[0] as string) : null);
  if (spfValue !== null) {
    out.push(
      record(
        'spf',
        domain,
        spfValue,
        spfNow,
        input.spfWanted === null,
        'SPF lists the servers allowed to send mail as your domain. A domain has exactly one SPF record, so Mailroom adds to yours rather than making a second.',
      ),
    );
  }

  input.dkimKeys.forEach((key, i) => {
    const name = dkimRecordName(key.selector, domain);
    const value = dkimTxtValue(key.algorithm, key.publicKey);
    const now = dkimNow[i] ?? [];
    // The check decides (it compares keys, not text); with several keys and one wrong,
    // a key whose record is exactly ours is still done.
    const done =
      status('dkim') === 'ok' ||
      (now.length === 1 && (now[0] as string).replace(/\s+/g, '') === value.replace(/\s+/g, ''));
    out.push(
      record(
        'dkim',
        name,
        value,
        now,
        done,
        `DKIM publishes the public half of the key Mailroom signs your mail with (selector ${key.selector}), so receivers can tell the mail really comes from you and was not changed.`,
      ),
    );
  });

  // A subdomain without a record of its own is covered by its parent's: adding a p=none
  // record here would only weaken what the parent asks for.
  const parent = dmarcNow.length === 0 ? await organisationalDmarc(domain, client) : null;
  if (parent) {
    const parentName = `_dmarc.${parent.domain}`;
    out.push(
      record(
        'dmarc',
        parentName,
        parent.text,
        [parent.text],
        true,
        `The DMARC record at ${parentName} already covers ${domain}, so nothing needs adding for ${domain}.`,
      ),
    );
    return out;
  }
  // The same function gives the check's fix, so the check and this page always agree.
  const dmarcWanted = dmarcToPublish(
    dmarcNow.map((s) => readTxt([s])),
    input.reportAddress,
  );
  out.push(
    record(
      'dmarc',
      dmarcName,
      dmarcWanted ?? readTxt([dmarcNow[0] as string]).text,
      dmarcNow,
      dmarcWanted === null,
      `DMARC tells receivers what to do with mail that pretends to come from ${domain}, and where to send reports. p=none starts by only collecting reports.`,
    ),
  );
  return out;
}
