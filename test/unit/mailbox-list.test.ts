// The relay's reading of From: and Sender: compared, row by row, with Python's `email`
// package (a reader nobody here wrote, and the way many spam filters and scripts read
// mail). Where we accept, every Python reading must give exactly our addresses; where any
// of them reads something else, we must refuse. Expectations alone would only restate
// what we believe; the comparison checks it.
import { domainToASCII, domainToUnicode } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { summariseHeaders } from '../../src/main/relay/headers.ts';
import { parseMailboxList } from '../../src/main/relay/mailbox-list.ts';
import { type SenderRefusal, senderRefusal } from '../../src/main/relay/sender-check.ts';
import { type PythonReadings, type Reading, readWithPython } from '../helpers/python-email.ts';

const DOMAINS = ['example.test', 'xn--bcher-kva.example'];

interface Row {
  /** The field value as sent, folding included. */
  v: string;
  /** Accepted (true), or refused with this code and a reply matching `why`. */
  ok?: true;
  refuse?: 553 | 554;
  why?: RegExp;
  field?: 'From' | 'Sender';
  /** Add "Sender: news@example.test" (a From: with two mailboxes needs it). */
  sender?: true;
  /** A smuggling shape: some Python reading must see a foreign address or differ from another. */
  attack?: true;
  /** Python's modern parser reads only this address (the first three forms). */
  pythonReadsOnly?: string;
}

const ROWS: Row[] = [
  // --- The forms from issue 13 -------------------------------------------------------------
  {
    v: 'x@evil.test\\<news@example.test>',
    refuse: 554,
    why: /backslash outside quotes/,
    attack: true,
    pythonReadsOnly: 'x@evil.test',
  },
  {
    v: 'x@evil.test <news@example.test',
    refuse: 554,
    why: /has a < with no > after it/,
    attack: true,
    pythonReadsOnly: 'x@evil.test',
  },
  {
    v: '<x@evil.test <news@example.test>',
    refuse: 554,
    why: /has a < inside another < >/,
    attack: true,
    pythonReadsOnly: 'x@evil.test',
  },
  {
    v: '<news@example.test> <x@evil.test>',
    refuse: 554,
    why: /second address after news@example.test without a comma/,
    attack: true,
  },
  {
    v: '<news@example.test> x@evil.test',
    refuse: 554,
    why: /second address after news@example.test without a comma/,
    attack: true,
  },
  { v: '<news@example.test>x@evil.test', refuse: 554, why: /second address .* \(x@evil.test\)/, attack: true },
  { v: 'news@example.test x@evil.test', refuse: 554, why: /second address after news@example.test/, attack: true },
  { v: 'news@example.test\r\n x@evil.test', refuse: 554, why: /second address after news@example.test/, attack: true },
  {
    v: 'news@example.test (comment) x@evil.test',
    refuse: 554,
    why: /second address after news@example.test/,
    attack: true,
  },
  { v: 'x@example.test.', refuse: 554, why: /ends with a dot \(x@example.test.\)/, attack: true },
  { v: 'x@evil.test@example.test', refuse: 554, why: /more than one @/, attack: true },
  // --- More smuggling shapes ------------------------------------------------------------------
  { v: 'x@evil.test\t<news@example.test>', refuse: 554, why: /second address after x@evil.test/, attack: true },
  { v: 'news@example.test <news@example.test>', refuse: 554, why: /second address/, attack: true },
  { v: 'x@evil.test\\@example.test', refuse: 554, why: /backslash/, attack: true },
  { v: '"x@evil.test\\"<news@example.test>', refuse: 554, why: /has a " with no closing "/, attack: true },
  { v: '(x@evil.test <news@example.test>', refuse: 554, why: /has a \( with no \) after it/ },
  { v: 'News) <news@example.test>', refuse: 554, why: /has a \) with no \( before it/, attack: true },
  { v: 'news@example.test>', refuse: 554, why: /has a > with no < before it/, attack: true },
  { v: '<news@example.test', refuse: 554, why: /has a < with no > after it/ },
  { v: 'News\\ X <news@example.test>', refuse: 554, why: /backslash/, attack: true },
  { v: '<@evil.test,@b.test:news@example.test>', refuse: 554, why: /source route/, attack: true },
  { v: 'News news@example.test', refuse: 554, why: /words before an address that is not in < >/ },
  { v: '.News <news@example.test>', refuse: 554, why: /"\." where it may not stand/, attack: true },
  { v: 'news@example.test;', refuse: 554, why: /text after the address news@example.test \(;\)/, attack: true },
  { v: 'News <news@example.test> Team', refuse: 554, why: /text after the address/ },
  { v: 'a@example.test,,b@example.test', refuse: 554, why: /empty entry between commas/, sender: true, attack: true },
  { v: ', news@example.test', refuse: 554, why: /empty entry between commas/, attack: true },
  { v: 'news@example.test,', refuse: 554, why: /ends with a comma/, attack: true },
  { v: '"a".b@example.test', refuse: 554, why: /mixes quoted and unquoted/, attack: true },
  { v: 'a . b@example.test', refuse: 554, why: /spaces or comments inside the address/ },
  { v: 'x@example . test', refuse: 554, why: /spaces or comments inside the address/ },
  { v: 'x@example (c) . test', refuse: 554, why: /spaces or comments inside the address/ },
  { v: '.a@example.test', refuse: 554, why: /dot at the start or end/ },
  { v: 'a.@example.test', refuse: 554, why: /dot at the start or end/ },
  { v: 'a..b@example.test', refuse: 554, why: /two dots in a row/ },
  { v: '=?utf-8?q?x?=@example.test', refuse: 554, why: /encoded word/, attack: true },
  { v: 'news@[127.0.0.1]', refuse: 554, why: /bracketed network address/, attack: true },
  { v: 'news@[IPv6:::1]', refuse: 554, why: /bracketed network address/, attack: true },
  // --- Line breaks: Python's compat32 readers misread folds inside quotes, comments and < >
  { v: '"Shop\r\n Team" <news@example.test>', refuse: 554, why: /folded onto a new line/, attack: true },
  { v: '"john\r\n smith"@example.test', refuse: 554, why: /folded onto a new line/, attack: true },
  { v: 'news@example.test (a\r\n b)', refuse: 554, why: /folded onto a new line/, attack: true },
  { v: '<news@example.test\r\n >', refuse: 554, why: /folded onto a new line/, attack: true },
  { v: '<news\r\n @example.test>', refuse: 554, why: /folded onto a new line/ },
  { v: 'news\r\n @example.test', refuse: 554, why: /folded onto a new line/ },
  // --- Not a mailbox list -------------------------------------------------------------------------
  { v: 'Friends: news@example.test;', refuse: 554, why: /is a group/ },
  { v: 'undisclosed-senders:;', refuse: 554, why: /is a group/, attack: true },
  { v: '', refuse: 554, why: /has no address in it/ },
  { v: '(only a comment)', refuse: 554, why: /has no address in it/ },
  { v: '<>', refuse: 554, why: /empty address <>/ },
  { v: 'News', refuse: 554, why: /a name with no address \(News\)/ },
  { v: '"news@example.test"', refuse: 554, why: /a name with no address/, attack: true },
  { v: 'a@example.test, b@example.test', refuse: 554, why: /names 2 addresses .* no Sender: header/ },
  // --- Characters readers treat differently ----------------------------------------------------
  { v: 'news@example\u3002test', refuse: 554, why: /characters that read as another domain/, attack: true },
  { v: 'news@\uff45xample.test', refuse: 554, why: /characters that read as another domain/, attack: true },
  { v: 'news@bu\u0308cher.example', refuse: 554, why: /characters that read as another domain/, attack: true },
  { v: 'news@example.test\u00a0', refuse: 554, why: /invisible or space characters/, attack: true },
  { v: 'news\u200b@example.test', refuse: 554, why: /invisible or space characters/ },
  { v: '"news\u200b"@example.test', refuse: 554, why: /invisible or space characters/ },
  { v: '"news\\\r\n x"@example.test', refuse: 554, why: /folded onto a new line/ },
  { v: '\u202eNews <news@example.test>', refuse: 554, why: /change the order letters are shown in/ },
  { v: 'News\u0001 <news@example.test>', refuse: 554, why: /control character U\+0001/ },
  { v: 'News\u2028 <news@example.test>', refuse: 554, why: /control character U\+2028/ },
  // --- Foreign addresses: parsed alike everywhere, refused as not the user's (553) ---------------
  { v: 'x@evil.test', refuse: 553, why: /From: x@evil.test is not at one of your sending domains/ },
  { v: 'Shop <news@evil.test>', refuse: 553, why: /From: news@evil.test is not/ },
  { v: 'news@example.test.evil.test', refuse: 553, why: /is not at one of your sending domains/ },
  { v: 'news@\u0435xample.test', refuse: 553, why: /is not at one of your sending domains/ },
  { v: 'x@evil.test (<news@example.test>)', refuse: 553, why: /From: x@evil.test is not/ },
  { v: 'news@example.test, x@evil.test', refuse: 553, why: /From: x@evil.test is not/, sender: true },
  // A name that is an address: read as news@example.test by every parser, but many
  // readers show only the name. Refused: the reader would take it for the sender.
  { v: '"x@evil.test" <news@example.test>', refuse: 553, why: /shows x@evil.test in a name or comment/ },
  { v: '=?utf-8?q?x=40evil=2Etest?= <news@example.test>', refuse: 553, why: /shows x@evil.test/ },
  { v: '"Support x\uff20evil\uff0etest" <news@example.test>', refuse: 553, why: /shows x@evil.test/ },
  { v: 'news@example.test (x@evil.test)', refuse: 553, why: /shows x@evil.test/ },
  { v: 'Shop <news@example.test> (reply to x@evil.test)', refuse: 553, why: /shows x@evil.test/ },
  { v: '"x@evil.test"@example.test', refuse: 553, why: /shows x@evil.test/ },
  // --- Accepted -------------------------------------------------------------------------------------
  { v: 'news@example.test', ok: true },
  { v: '<news@example.test>', ok: true },
  { v: 'Shop <news@example.test>', ok: true },
  { v: '"Shop" <news@example.test>', ok: true },
  { v: 'Shop<news@example.test>', ok: true },
  { v: '"" <news@example.test>', ok: true },
  { v: '"Smith, J" <news@example.test>', ok: true },
  { v: '"a \\"q\\" b\\\\" <news@example.test>', ok: true },
  { v: '"tab\there" <news@example.test>', ok: true },
  { v: 'J. Smith <news@example.test>', ok: true },
  { v: 'Shop . Team <news@example.test>', ok: true },
  { v: "O'Brien & Sons <news@example.test>", ok: true },
  { v: 'Shop "The" Team <news@example.test>', ok: true },
  { v: '(c) Shop (c) <news@example.test> (c)', ok: true },
  { v: '<(c)news@example.test(c)>', ok: true },
  { v: 'news(c)@(d)example.test', ok: true },
  { v: 'news @ example.test', ok: true },
  { v: 'news@example.test (a (b \\) c) d)', ok: true },
  { v: 'Shop <news@example.test> (newsletter)', ok: true },
  { v: 'Shop\r\n\t<news@example.test>', ok: true },
  { v: 'Shop\r\n Team <news@example.test>', ok: true },
  { v: '=?utf-8?q?Shop?=\r\n =?utf-8?q?_Team?= <news@example.test>', ok: true },
  { v: 'news@example.test\r\n (c)', ok: true },
  { v: '<news@example.test>\r\n (c)', ok: true },
  { v: 'a@example.test,\r\n b@example.test', ok: true, sender: true },
  { v: 'a@example.test\r\n , b@example.test', ok: true, sender: true },
  { v: 'a=?x?=@example.test', ok: true },
  { v: '=?utf-8?b?TsOkd3M=?= <news@example.test>', ok: true },
  { v: '=?utf-8?q?Shop?= =?utf-8?q?_Team?= <news@example.test>', ok: true },
  { v: '"=?utf-8?b?TsOkd3M=?=" <news@example.test>', ok: true },
  { v: '"news@example.test" <news@example.test>', ok: true },
  { v: 'news@example.test (news@example.test)', ok: true },
  { v: 'news+tag@example.test', ok: true },
  { v: "o'brien.{x}|~#$%&*/=?^_`@example.test", ok: true },
  { v: '"john smith"@example.test', ok: true },
  { v: '"john"@example.test', ok: true },
  { v: '"a\\"b"@example.test', ok: true },
  { v: 'news@EXAMPLE.Test', ok: true },
  { v: 'NEWS@example.test', ok: true },
  { v: 'Shop\u00a0Team <news@example.test>', ok: true },
  { v: '\u{1F600} Shop <news@example.test>', ok: true },
  { v: 'j\u00f6rg@example.test', ok: true },
  { v: 'J\u00f6rg <j\u00f6rg@b\u00fccher.example>', ok: true },
  { v: 'news@B\u00dcCHER.example', ok: true },
  { v: 'news@xn--bcher-kva.example', ok: true },
  { v: 'a@example.test, b@example.test', ok: true, sender: true },
  { v: 'Shop <news@example.test>,\r\n Other <o@example.test>', ok: true, sender: true },
  { v: 'news@example.test, (c) b@example.test (d)', ok: true, sender: true },
  { v: '<news@example.test>, Other <o@b\u00fccher.example>', ok: true, sender: true },
  // --- Sender: --------------------------------------------------------------------------------------
  { field: 'Sender', v: 'Shop <news@example.test>', ok: true },
  { field: 'Sender', v: 'o@example.test (on behalf of the shop)', ok: true },
  { field: 'Sender', v: 'x@evil.test', refuse: 553, why: /Sender: x@evil.test is not/ },
  { field: 'Sender', v: '"x@evil.test" <news@example.test>', refuse: 553, why: /shows x@evil.test/ },
  {
    field: 'Sender',
    v: '<news@example.test> x@evil.test',
    refuse: 554,
    why: /its Sender: header has a second address/,
    attack: true,
  },
  { field: 'Sender', v: 'a@example.test, b@example.test', refuse: 554, why: /Sender: header names 2 addresses/ },
  {
    field: 'Sender',
    v: 'x@evil.test <news@example.test',
    refuse: 554,
    why: /its Sender: header has a < with no >/,
    attack: true,
  },
];

/**
 * A comparable key: the local part as is, the domain in lower case, as ASCII where IDNA
 * maps it back to the same name (bücher.example); a name IDNA would change (example。test)
 * stays as written, a different name from the one it maps to.
 */
function key([local, domain]: [string, string]): string {
  const lower = domain.toLowerCase();
  const ascii = domainToASCII(lower);
  return `${local}@${ascii && domainToUnicode(ascii) === lower ? ascii : lower}`;
}

/** Defects of policy.default that change nothing about which address is read. */
const DISPLAY_ONLY = [
  /^ObsoleteHeaderDefect: period in 'phrase'$/, // "J. Smith": every reader reads the name and address alike
  /^UndecodableBytesDefect: /, // raw UTF-8 (RFC 6532); policy.default expects 7-bit headers
  /^NonASCIILocalPartDefect: /, // the same, in a local part
  /^InvalidHeaderDefect: encoded word inside quoted string$/, // decoded or not, it is the name only
  /^InvalidHeaderDefect: missing trailing whitespace after encoded-word$/, // the same quoted name
];

function message(row: Row): Buffer {
  const lines =
    row.field === 'Sender'
      ? ['From: news@example.test', `Sender: ${row.v}`]
      : [`From: ${row.v}`, ...(row.sender ? ['Sender: news@example.test'] : [])];
  return Buffer.from(`${lines.join('\r\n')}\r\nSubject: hi\r\n\r\n`, 'utf8');
}

let python: PythonReadings[];
beforeAll(async () => {
  python = await readWithPython(
    ROWS.map(message),
    ROWS.map((r) => r.field ?? 'From'),
  );
}, 30_000);

describe('From: and Sender: read strictly, and as Python reads them', () => {
  ROWS.forEach((row, k) => {
    const label = `${row.field ?? 'From'}: ${JSON.stringify(row.v)} → ${row.ok ? 'accepted' : row.refuse}`;
    it(label, () => {
      const summary = summariseHeaders(message(row));
      const refused: SenderRefusal | null = senderRefusal(summary, DOMAINS);
      const py = python[k] as PythonReadings;
      const readers: [string, Reading][] = [
        ['policy.default (bytes)', py.defaultBytes],
        ['policy.default (text)', py.defaultText],
        ['getaddresses (legacy)', py.compatLegacy],
      ];
      if (py.compatStrict !== undefined) readers.push(['getaddresses (strict)', py.compatStrict]);
      const context = JSON.stringify({ refused, python: py }, null, 1);

      if (row.ok) {
        expect(refused, context).toBeNull();
        const parsed = parseMailboxList(row.v);
        if (!parsed.ok) throw new Error(parsed.reason);
        const ours = parsed.mailboxes.map((m) => key([m.local, m.domain]));
        const inSummary = row.field === 'Sender' ? [summary.senderAddress] : summary.fromAddresses;
        expect(inSummary).toEqual(parsed.mailboxes.map((m) => m.address.toLowerCase()));
        // A reader that expects one sender (parseaddr) is compared where there is one.
        if (ours.length === 1) {
          readers.push(['parseaddr (legacy)', py.parseaddrLegacy]);
          if (py.parseaddr !== undefined) readers.push(['parseaddr (strict)', py.parseaddr]);
        }
        for (const [name, reading] of readers) {
          expect(reading?.map(key), `${name} reads other addresses than ours\n${context}`).toEqual(ours);
        }
        const defects = py.defects.filter((d) => !DISPLAY_ONLY.some((re) => re.test(d)));
        expect(defects, context).toEqual([]);
        return;
      }

      expect(refused?.code, context).toBe(row.refuse);
      expect(refused?.text, context).toMatch(row.why as RegExp);
      expect(refused?.text).toMatch(/Nothing was queued$|mailroom domains add/);
      if (row.refuse === 554 && !/no Sender: header|names 2/.test(refused?.text ?? '')) {
        // A grammar refusal says how to write the header instead.
        expect(refused?.text).toMatch(/Write it as an address, or a name and an address in < >/);
      }
      if (row.attack) {
        // The shape is a real ambiguity: some reader sees a foreign address, or two readers disagree.
        const all = readers.map(([, r]) => r);
        const foreign = all.some((r) => r?.some(([, d]) => d !== '' && !DOMAINS.includes(key(['', d]).slice(1))));
        const differ = all.some((r) => JSON.stringify(r?.map(key)) !== JSON.stringify(all[0]?.map(key)));
        expect(foreign || differ, `no Python reader is misled by this row\n${context}`).toBe(true);
      }
      if (row.pythonReadsOnly) expect(py.defaultBytes?.map(key)).toEqual([row.pythonReadsOnly]);
    });
  });
});
