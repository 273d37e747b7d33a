import { z } from 'zod';
import { MailroomError } from '../errors.ts';

// DNS hosts: where a domain's records are edited, recognised from the domain's NS
// records, and how that panel wants a record typed in. The DNS wizard uses this to turn
// "create TXT _dmarc.example.com" into "at Cloudflare, Name: _dmarc, Content: …".
// Pure data plus three small functions; shared by the engine and the window.
//
// Facts come from the hosts' own help pages (named next to each entry), checked when
// this table was written. Where a detail could not be confirmed from the host's own material it says so
// in a comment, and the wording stays generic instead of guessing a label.

/** Longest character-string inside a TXT record (RFC 1035 §3.3): 255 bytes. */
export const TXT_STRING_MAX = 255;

/** id of the fallback entry: the DNS is at a registrar or web host we do not know by name. */
export const GENERIC_DNS_HOST_ID = 'other';

// Name-server patterns. A pattern is a host name written in lower case in which:
//   - a first label of "*" stands for one or more whole labels ("*.ns.cloudflare.com"
//     matches lara.ns.cloudflare.com, never ns.cloudflare.com.evil.example);
//   - "#" inside a label stands for one or more digits ("ns-#.awsdns-#.com");
//   - "*" inside a label stands for one or more letters, digits or hyphens, never a dot.
// Matching is on the whole name, case-insensitive, with a trailing dot ignored.
const NS_PATTERN_RE = /^(?:\*\.)?(?:[a-z0-9#*-]+\.)+[a-z]{2,}$/;

export const nsPatternSchema = z
  .string()
  .regex(NS_PATTERN_RE, 'a lower-case host name; "*." may start it, "#" and "*" may stand inside a label')
  .refine((p) => !p.split('.').slice(1).includes('*'), 'a whole-label "*" may only be the first label');

export const dnsHostSchema = z
  .strictObject({
    /** ^[a-z0-9-]{1,40}$; stable, the window may store it. */
    id: z.string().regex(/^[a-z0-9-]{1,40}$/),
    /** How the host reads in the window. */
    name: z.string().min(1),
    /** Name servers that mean "this host runs the DNS". Empty only for the fallback. */
    nsPatterns: z.array(nsPatternSchema),
    /** The field that says which name the record is for. */
    hostField: z.strictObject({
      /** The panel's own word for the field: "Name", "Host", "Record name", "Sub-domain"… */
      label: z.string().min(1),
      /**
       * relative: type the part before the domain ("_dmarc"); fqdn: type the whole name
       * ("_dmarc.example.com").
       */
      style: z.enum(['relative', 'fqdn']),
      /** With a relative field, what stands for the domain itself: "@", or "" (leave the box empty). */
      apex: z.enum(['@', '']),
      /** The panel adds the domain to what is typed (typing the full name doubles it, or is trimmed). */
      appendsZone: z.boolean(),
      note: z.string().min(1).optional(),
    }),
    /** The panel's word for the value field of a TXT record and of a CNAME record. */
    valueField: z.strictObject({ txt: z.string().min(1), cname: z.string().min(1) }),
    /**
     * plain: paste the value as it is; the panel splits long values itself.
     * quoted-split: wrap the value in double quotes and split it into quoted strings of
     * at most 255 characters ("…" "…"), as Route 53 requires.
     */
    txtQuoting: z.enum(['plain', 'quoted-split']),
    /** Shown when a TXT value is longer than 255 characters (a 2048-bit DKIM key is about 400). */
    longTxtNote: z.string().min(1).optional(),
    /** Shown with provider CNAME records (DKIM CNAMEs) when the panel can proxy them. */
    cnameProxyNote: z.string().min(1).optional(),
    /** Shown with provider CNAME records when the panel treats the target specially. */
    cnameTargetNote: z.string().min(1).optional(),
    /** When the panel's TTL choice needs a word; otherwise its default is fine. */
    defaultTtlNote: z.string().min(1).optional(),
    /** 3–6 short steps from logging in to saving a record. */
    steps: z.array(z.string().min(1)).min(3).max(6),
    /** The host's own help page for adding DNS records; null for the fallback. */
    docsUrl: z.url().nullable(),
    /** Anything else the person should know at this host. */
    note: z.string().min(1).optional(),
  })
  .refine((h) => h.hostField.style === 'relative' || !h.hostField.appendsZone, {
    message: 'a host field that takes the full name cannot also append the zone',
    path: ['hostField', 'appendsZone'],
  });

export type DnsHost = z.infer<typeof dnsHostSchema>;

export const dnsHostTableSchema = z.array(dnsHostSchema).superRefine((hosts, ctx) => {
  const ids = new Set<string>();
  hosts.forEach((h, i) => {
    if (ids.has(h.id)) ctx.addIssue({ code: 'custom', message: `duplicate id "${h.id}"`, path: [i, 'id'] });
    ids.add(h.id);
    const last = i === hosts.length - 1;
    if (last && (h.id !== GENERIC_DNS_HOST_ID || h.nsPatterns.length > 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `the last entry must be the fallback "${GENERIC_DNS_HOST_ID}" with no name-server patterns`,
        path: [i],
      });
    }
    if (!last && h.nsPatterns.length === 0) {
      ctx.addIssue({ code: 'custom', message: `"${h.id}" needs at least one name-server pattern`, path: [i] });
    }
  });
});

const RAW_DNS_HOSTS: DnsHost[] = [
  {
    // developers.cloudflare.com/dns/manage-dns-records/how-to/create-dns-records/ (steps),
    // …/how-to/create-zone-apex/ ("@" for the Name), …/reference/ttl/ (Auto = 300 s),
    // …/reference/proxied-dns-records/ (proxied CNAMEs answer with Cloudflare's addresses).
    // The dashboard also accepts a full name and trims the zone. TXT content is pasted
    // plain: Cloudflare splits strings over 255 bytes itself (its API reference; dnscontrol
    // PR #1265 found that sending pre-split quoted strings broke DKIM).
    id: 'cloudflare',
    name: 'Cloudflare',
    nsPatterns: ['*.ns.cloudflare.com'],
    hostField: {
      label: 'Name',
      style: 'relative',
      apex: '@',
      appendsZone: true,
      note: 'Cloudflare adds your domain itself; typing the full name also works.',
    },
    valueField: { txt: 'Content', cname: 'Target' },
    txtQuoting: 'plain',
    cnameProxyNote:
      'Set Proxy status to "DNS only" (grey cloud) for these CNAME records. A proxied (orange) record answers with Cloudflare\'s own addresses instead of pointing to your provider, and DKIM checks fail.',
    defaultTtlNote: 'Leave TTL on "Auto".',
    steps: [
      'Log in at dash.cloudflare.com and pick your domain.',
      'Open DNS → Records and click "Add record".',
      'Choose the Type (TXT or CNAME) and fill in Name and Content (Target for a CNAME).',
      'Click Save.',
    ],
    docsUrl: 'https://developers.cloudflare.com/dns/manage-dns-records/how-to/create-dns-records/',
  },
  {
    // godaddy.com/help/add-a-txt-record-19232: Domain Portfolio → domain → DNS → Add New
    // Record; "Name" is the host without the domain, "@" for the domain itself; "Value"
    // up to 1024 characters; default TTL 1 hour. The CNAME value label ("Value"; older
    // screens said "Points to") was not confirmed on GoDaddy's own page.
    id: 'godaddy',
    name: 'GoDaddy',
    nsPatterns: ['*.domaincontrol.com'],
    hostField: { label: 'Name', style: 'relative', apex: '@', appendsZone: true },
    valueField: { txt: 'Value', cname: 'Value' },
    txtQuoting: 'plain',
    steps: [
      'Sign in to your GoDaddy Domain Portfolio and select your domain.',
      'Select DNS to see its records.',
      'Select "Add New Record" and choose the Type (TXT or CNAME).',
      'Fill in Name and Value and leave TTL as it is.',
      'Select Save.',
    ],
    docsUrl: 'https://www.godaddy.com/help/add-a-txt-record-19232',
  },
  {
    // namecheap.com/support/knowledgebase/article.aspx/767/10/ (BasicDNS is
    // dns1/dns2.registrar-servers.com; PremiumDNS and FreeDNS use the same domain) and
    // article 317 (TXT/SPF/DKIM/DMARC): Domain List → Manage → Advanced DNS → Host Records
    // → Add New Record; Host "@" for the domain, green check mark to save. Namecheap
    // Web Hosting DNS (dns1.namecheaphosting.com) is edited in cPanel, so it falls to the
    // generic entry on purpose. Whether Namecheap splits TXT values over 255 characters
    // itself was not confirmed; its guides say to paste DKIM values whole.
    id: 'namecheap',
    name: 'Namecheap',
    nsPatterns: ['*.registrar-servers.com'],
    hostField: { label: 'Host', style: 'relative', apex: '@', appendsZone: true },
    valueField: { txt: 'Value', cname: 'Target' },
    txtQuoting: 'plain',
    steps: [
      'Sign in to Namecheap, open Domain List and click Manage next to your domain.',
      'Open the Advanced DNS tab.',
      'Under Host Records, click "Add New Record" and choose TXT Record (or CNAME Record).',
      'Fill in Host and Value (Target for a CNAME), then click the green check mark to save.',
    ],
    docsUrl:
      'https://www.namecheap.com/support/knowledgebase/article.aspx/317/2237/how-do-i-add-txtspfdkimdmarc-records-for-my-domain/',
  },
  {
    // Squarespace's own name servers are nsa1…nsd4.squarespacedns.com and
    // ns01…ns04.squarespacedns.com (seen on many live domains). Domains moved over from
    // Google Domains kept Google's ns-cloud-XN.googledomains.com servers, which Google
    // Cloud DNS also hands out, hence the note. Domains → domain → DNS → Add record with
    // Host ("@" for the domain), Type, Priority, Data (Squarespace's connection guides and
    // third-party guides that follow them). Squarespace's own article
    // support.squarespace.com/hc/en-us/articles/360002101888 could not be read here.
    id: 'squarespace',
    name: 'Squarespace (also former Google Domains)',
    nsPatterns: ['*.squarespacedns.com', 'ns-cloud-*.googledomains.com'],
    hostField: { label: 'Host', style: 'relative', apex: '@', appendsZone: true },
    valueField: { txt: 'Data', cname: 'Data' },
    txtQuoting: 'plain',
    steps: [
      'Log in to Squarespace and open the Domains dashboard.',
      'Click your domain, then DNS.',
      'Click "Add record" under Custom records and choose the Type (TXT or CNAME).',
      'Fill in Host and Data, then click Save.',
    ],
    docsUrl: 'https://support.squarespace.com/hc/en-us/articles/360002101888',
    note: 'If you manage this domain in the Google Cloud console (Cloud DNS) rather than at Squarespace, add the records there instead: both use the same name servers.',
  },
  {
    // docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-shared.html:
    // "Record name" is prefilled with the hosted zone; for the zone itself leave it empty
    // (no "@"). …/ResourceRecordTypes.html#TXTFormat: each string in double quotes, at
    // most 255 characters per string, longer values as "…" "…"; a quote or backslash
    // inside is escaped with a backslash. Name servers are ns-NNNN.awsdns-NN on .com,
    // .net, .org and .co.uk.
    id: 'route53',
    name: 'Amazon Route 53',
    nsPatterns: ['ns-#.awsdns-#.com', 'ns-#.awsdns-#.net', 'ns-#.awsdns-#.org', 'ns-#.awsdns-#.co.uk'],
    hostField: {
      label: 'Record name',
      style: 'relative',
      apex: '',
      appendsZone: true,
      note: 'The console shows your domain after the box; for the domain itself leave the box empty (do not type "@").',
    },
    valueField: { txt: 'Value', cname: 'Value' },
    txtQuoting: 'quoted-split',
    longTxtNote:
      'Route 53 takes at most 255 characters per quoted string, so the value is shown as several quoted pieces on one line. Paste it exactly as shown, quotes included.',
    steps: [
      'Sign in to the AWS console and open Route 53 → Hosted zones.',
      'Choose the hosted zone for your domain and click "Create record".',
      'Type the Record name and choose the Record type (TXT or CNAME).',
      'Paste the Value exactly as shown here (for TXT with the quotes) and click "Create records".',
    ],
    docsUrl: 'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-creating.html',
  },
  {
    // OVHcloud's guides (github.com/ovh/docs): DNS servers nsXX/dnsXX(X).ovh.net,
    // .ovh.ca and ns200/dns200.anycast.me are OVHcloud's; sdnsX.ovh.net and vpsXXXX
    // names only serve zones kept elsewhere, so they are left out. dns_zone_edit: Web
    // Cloud → Domain names → domain → "DNS zone" → "Add an entry"; a TXT entered there is
    // limited to 255 characters; a host-name target without a final dot gets the domain
    // appended. dns_zone_dkim: "Sub-domain" gets the domain added automatically; the DKIM
    // entry type is stored as TXT; the value field is "Target". That an empty Sub-domain
    // means the domain itself is how OVHcloud's zone table shows it, not stated in a guide.
    id: 'ovhcloud',
    name: 'OVHcloud',
    nsPatterns: ['ns#.ovh.net', 'dns#.ovh.net', 'ns#.ovh.ca', 'dns#.ovh.ca', 'ns#.anycast.me', 'dns#.anycast.me'],
    hostField: { label: 'Sub-domain', style: 'relative', apex: '', appendsZone: true },
    valueField: { txt: 'Target', cname: 'Target' },
    txtQuoting: 'plain',
    longTxtNote:
      'OVHcloud\'s TXT form takes at most 255 characters. For a longer DKIM key choose the entry type "DKIM" instead (it is saved as a TXT record), or use "Change in text format".',
    cnameTargetNote:
      'End the target with a dot (for example "dkim.provider.example.") or OVHcloud adds your own domain to the end of it.',
    steps: [
      'Log in to the OVHcloud Control Panel and open Web Cloud → Domain names, then your domain.',
      'Open the "DNS zone" tab and click "Add an entry".',
      'Choose the record type (TXT or CNAME).',
      'Fill in Sub-domain and Target, then click Next and Confirm.',
    ],
    docsUrl: 'https://docs.ovhcloud.com/en/guides/web-cloud/domains/dns-zone-edit',
  },
  {
    // ionos.com/help (choosing name servers; DNS services): Menu → Domains & SSL, gear
    // icon under Actions → DNS. IONOS name servers are nsNNNN.ui-dns.com/.de/.org/.biz.
    // The add-record form's labels ("Host name", "Value") and "@" for the domain were not
    // confirmed on IONOS's own pages; the TXT help URL is the one IONOS links for TXT
    // records but its text could not be read here.
    id: 'ionos',
    name: 'IONOS (1&1)',
    nsPatterns: ['*.ui-dns.com', '*.ui-dns.de', '*.ui-dns.org', '*.ui-dns.biz'],
    hostField: { label: 'Host name', style: 'relative', apex: '@', appendsZone: true },
    valueField: { txt: 'Value', cname: 'Points to' },
    txtQuoting: 'plain',
    steps: [
      'Log in to your IONOS account and click Menu → Domains & SSL.',
      'Next to your domain, click the gear icon under Actions and choose DNS.',
      'Click "Add record" and choose the type (TXT or CNAME).',
      'Fill in the host name and the value, then click Save.',
    ],
    docsUrl: 'https://www.ionos.com/help/domains/configuring-txt-and-srv-records/managing-txt-records/',
  },
  {
    // Hostinger's name servers are <word>.dns-parking.com (ns1/ns2, lunar/solar,
    // atlas/hyperion, aster/helios…). support.hostinger.com/en/articles/1583249 (How to
    // manage DNS records): hPanel → Domains → domain → DNS / Nameservers. The exact field
    // labels of the add-record form were not confirmed; "Name" with "@" for the domain
    // matches Hostinger's record table, the value label is kept generic.
    id: 'hostinger',
    name: 'Hostinger',
    nsPatterns: ['*.dns-parking.com'],
    hostField: { label: 'Name', style: 'relative', apex: '@', appendsZone: true },
    valueField: { txt: 'Value', cname: 'Target' },
    txtQuoting: 'plain',
    steps: [
      'Log in to hPanel and open Domains, then your domain.',
      'Open "DNS / Nameservers".',
      'Under "Manage DNS records", choose the Type (TXT or CNAME) and fill in the name and the value.',
      'Click "Add Record".',
    ],
    docsUrl: 'https://support.hostinger.com/en/articles/1583249-how-to-manage-dns-records-at-hostinger',
  },
  {
    // Wix's name servers are nsN.wixdns.net (older sites: ns1/ns2.wix.com, per Wix's own
    // glossary). Settings → Domains → ⋯ → Manage DNS Records → "+ Add Record" in the TXT or
    // CNAME section; "Host Name" already includes the domain and is left empty for the
    // domain itself; TTL defaults to 1 Hour (mail-provider guides that follow Wix's
    // article; support.wix.com's own page could not be read here).
    id: 'wix',
    name: 'Wix',
    nsPatterns: ['*.wixdns.net', 'ns#.wix.com'],
    hostField: { label: 'Host Name', style: 'relative', apex: '', appendsZone: true },
    valueField: { txt: 'Value', cname: 'Value' },
    txtQuoting: 'plain',
    steps: [
      'In your Wix dashboard, go to Settings → Domains.',
      'Click ⋯ next to your domain and choose "Manage DNS Records".',
      'Click "+ Add Record" in the TXT (or CNAME) section.',
      'Fill in Host Name and Value, leave TTL at 1 Hour, and click Save.',
    ],
    docsUrl: 'https://support.wix.com/en/article/adding-or-updating-txt-records-in-your-wix-account',
  },
  {
    // Everything else: the DNS is at the registrar or the web host (cPanel's Zone Editor,
    // Plesk, …). Most such panels take the part before the domain and "@" for the domain.
    id: GENERIC_DNS_HOST_ID,
    name: 'Your DNS host',
    nsPatterns: [],
    hostField: {
      label: 'Host / Name',
      style: 'relative',
      apex: '@',
      appendsZone: true,
      note: 'Most panels add your domain themselves: if the panel shows your domain after the box, type only the part shown here. If it asks for the full name, type the whole name instead.',
    },
    valueField: { txt: 'Value', cname: 'Target' },
    txtQuoting: 'plain',
    steps: [
      "Log in where your domain's DNS is managed: usually where you bought the domain, or your web host.",
      'Find the DNS settings for the domain ("DNS", "DNS zone", "Zone editor" or "Advanced DNS").',
      'Add a new record, choose its type (TXT or CNAME) and fill in the name and the value shown here.',
      'Save, then come back and check the domain.',
    ],
    docsUrl: null,
    note: 'The name servers did not match a DNS host Mailroom knows, so these steps are general. If you are unsure, ask your web host or domain registrar where your DNS records are edited.',
  },
];

/** The DNS hosts, checked against dnsHostTableSchema when this module loads; the fallback is last. */
export const DNS_HOSTS: readonly DnsHost[] = dnsHostTableSchema.parse(RAW_DNS_HOSTS);

export function dnsHostById(id: string): DnsHost | undefined {
  return DNS_HOSTS.find((h) => h.id === id);
}

function compileNsPattern(pattern: string): RegExp {
  const labels = pattern.split('.');
  let prefix = '';
  if (labels[0] === '*') {
    prefix = '(?:[a-z0-9_-]+\\.)+';
    labels.shift();
  }
  const body = labels
    .map((label) =>
      label
        .split('')
        .map((c) => (c === '#' ? '[0-9]+' : c === '*' ? '[a-z0-9-]+' : c === '-' ? '\\-' : c))
        .join(''),
    )
    .join('\\.');
  return new RegExp(`^${prefix}${body}$`);
}

const COMPILED = DNS_HOSTS.map((h) => ({ host: h, res: h.nsPatterns.map(compileNsPattern) }));

/** Lower case, surrounding space and one trailing dot removed. */
function normalizeName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/**
 * The host that runs the DNS for a domain with these NS names: the first entry of
 * DNS_HOSTS with a pattern matching any of them, else the generic fallback. Case and a
 * trailing dot do not matter; blank names are ignored.
 */
export function detectDnsHost(nsNames: readonly string[]): DnsHost {
  if (!Array.isArray(nsNames)) throw new MailroomError('VALIDATION', 'The name servers must be a list of host names.');
  const names = nsNames.filter((n): n is string => typeof n === 'string').map(normalizeName);
  for (const { host, res } of COMPILED) {
    if (names.some((n) => res.some((re) => re.test(n)))) return host;
  }
  return DNS_HOSTS[DNS_HOSTS.length - 1] as DnsHost;
}

// Letters, digits, hyphen and underscore (for _dmarc and _domainkey), 1–63 per label.
const LABEL_RE = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function checkedName(raw: unknown, what: string, minLabels: number): string {
  if (typeof raw !== 'string') throw new MailroomError('DOMAIN_INVALID', `The ${what} must be text.`);
  const name = normalizeName(raw);
  if (name === '') throw new MailroomError('DOMAIN_INVALID', `The ${what} is empty.`);
  if (/[^\x21-\x7e]/.test(name)) {
    throw new MailroomError(
      'DOMAIN_INVALID',
      `The ${what} "${raw}" contains spaces or non-ASCII letters. Use the ASCII form (xn--…) of an international name.`,
    );
  }
  const labels = name.split('.');
  if (name.length > 253 || labels.length < minLabels || !labels.every((l) => LABEL_RE.test(l))) {
    throw new MailroomError('DOMAIN_INVALID', `"${raw}" is not a valid ${what}.`);
  }
  return name;
}

/**
 * What to type in the host's name field for a record at `fqdn` in the zone `zone`:
 * "_dmarc", "s1._domainkey", "mr1._domainkey.news", "@" or "" for the zone itself
 * (see DnsHost.hostField.apex), or the full name for panels that want it. Both names may
 * carry a trailing dot and any case; the answer is lower case without a trailing dot.
 * Throws when either is not a valid name or `fqdn` is not inside `zone`.
 */
export function hostFieldFor(host: DnsHost, fqdn: string, zone: string): string {
  const zoneName = checkedName(zone, 'domain (zone)', 2);
  const name = checkedName(fqdn, 'record name', 1);
  if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
    throw new MailroomError(
      'VALIDATION',
      `The record name "${name}" is not inside the domain "${zoneName}", so it cannot be added in that domain's DNS.`,
    );
  }
  if (host.hostField.style === 'fqdn') return name;
  return name === zoneName ? host.hostField.apex : name.slice(0, -(zoneName.length + 1));
}

/**
 * The TXT value as the host's panel wants it pasted: unchanged for most panels, and
 * for Route 53 wrapped in double quotes and split into strings of at most 255
 * characters ("…" "…"), with " and \ escaped. `value` is the record text itself,
 * without quotes. Values must be printable ASCII on one line (SPF, DKIM and DMARC
 * always are); anything else is refused with an explanation.
 */
export function txtValueFor(host: DnsHost, value: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new MailroomError('VALIDATION', 'The TXT value is empty.');
  }
  const bad = /[^\x20-\x7e]/u.exec(value);
  if (bad) {
    const c = bad[0];
    const shown = /[\r\n\t]/.test(c)
      ? 'a line break or tab'
      : `"${c}" (U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')})`;
    throw new MailroomError(
      'VALIDATION',
      `The TXT value contains ${shown} at position ${bad.index + 1}. SPF, DKIM and DMARC values are plain text on one line; copy the value again.`,
    );
  }
  if (host.txtQuoting === 'plain') return value;
  const pieces: string[] = [];
  for (let i = 0; i < value.length; i += TXT_STRING_MAX) pieces.push(value.slice(i, i + TXT_STRING_MAX));
  return pieces.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(' ');
}
