import path from 'node:path';
import type { Suppression } from '../../shared/domain/contacts.ts';
import {
  type ContactDetail,
  type ContactFilter,
  type ContactRow,
  MEMBER_STATUSES,
  SUPPRESSION_REASONS,
  type SuppressionReason,
} from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { ContactExportSource } from '../contacts/contacts-service.ts';
import type { Engine } from '../engine/engine.ts';
import type { CliOptions } from './main.ts';
import { type Out, print, usage } from './output.ts';

// CLI adapters for contacts, lists, suppressions and segments: parse the words, call
// engine.contacts, print. (`contacts import` and `suppressions import` live with the import.)

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

// ------------------------------------------------------------------ lists

export function lists(engine: Engine, out: Out, sub: string | undefined, rest: string[]): number {
  const svc = engine.contacts;
  if (sub === 'list' && rest.length === 0) {
    const all = svc.listLists();
    print(
      out,
      all,
      all.length
        ? all
            .map(
              (l) =>
                `${l.name}  ${l.subscribed} subscribed, ${l.unsubscribed} unsubscribed, ${l.pending} pending (created ${day(l.createdAt)})`,
            )
            .join('\n')
        : 'No lists yet. Create one with: mailroom lists add NAME',
    );
    return 0;
  }
  if (sub === 'add' && rest.length === 1) {
    const l = svc.createList(rest[0] as string);
    print(out, l, `List "${l.name}" created.`);
    return 0;
  }
  if (sub === 'rename' && rest.length === 2) {
    const l = svc.listByName(rest[0] as string);
    const r = svc.renameList(l.id, rest[1] as string);
    print(out, r, `List "${l.name}" is now called "${r.name}".`);
    return 0;
  }
  if (sub === 'remove' && rest.length === 1) {
    const l = svc.listByName(rest[0] as string);
    const r = svc.removeList(l.id);
    print(
      out,
      r,
      `List "${r.name}" deleted (${r.members} membership${r.members === 1 ? '' : 's'} with it). Who unsubscribed from it is remembered if you make a list with this name again; the contacts and the do-not-send list are unchanged.`,
    );
    return 0;
  }
  return usage('Use: mailroom lists list | lists add NAME | lists rename NAME NEW-NAME | lists remove NAME');
}

// ------------------------------------------------------------------ contacts

function rowLine(r: ContactRow): string {
  const name = [r.firstName, r.lastName].filter(Boolean).join(' ');
  const bits = [
    name && `(${name}${r.company ? `, ${r.company}` : ''})`,
    r.lists.length
      ? `lists: ${r.lists.map((l) => (l.status === 'subscribed' ? l.name : `${l.name} [${l.status}]`)).join(', ')}`
      : '',
    r.tags.length ? `tags: ${r.tags.join(', ')}` : '',
    r.suppressed ? `SUPPRESSED (${r.suppressed})` : '',
  ].filter(Boolean);
  return `#${r.id} ${r.address}${bits.length ? `  ${bits.join('  ')}` : ''}`;
}

function filterOf(engine: Engine, opts: CliOptions): ContactFilter {
  const f: ContactFilter = {};
  if (opts.list !== undefined) f.listId = engine.contacts.listByName(opts.list).id;
  const tags = opts.tag ?? [];
  if (tags.length > 1) usage('contacts list takes one --tag.');
  if (tags[0] !== undefined) {
    const t = engine.contacts.listTags().find((x) => x.name.toLowerCase() === (tags[0] as string).trim().toLowerCase());
    if (!t) throw new MailroomError('NOT_FOUND', `No contact has the tag "${tags[0]}".`);
    f.tagId = t.id;
  }
  if (opts.status !== undefined) {
    if (f.listId === undefined) usage('--status goes with --list NAME: the status is the one on that list.');
    const status = MEMBER_STATUSES.find((s) => s === opts.status?.trim().toLowerCase());
    if (!status) usage(`--status is one of ${MEMBER_STATUSES.join(', ')} (got "${opts.status}").`);
    f.status = status;
  }
  if (opts.search !== undefined) f.text = opts.search;
  if (opts.suppressed) f.suppressed = true;
  if (opts.segment !== undefined) f.segmentId = engine.contacts.getSegment(opts.segment).id;
  return f;
}

function limitOf(opts: CliOptions, fallback: number): number {
  if (opts.limit === undefined) return fallback;
  const n = Number(opts.limit);
  if (!Number.isInteger(n) || n < 1) usage('--limit takes a whole number of at least 1.');
  return n;
}

function detailText(d: ContactDetail): string {
  const c = d.contact;
  const lines = [
    `${c.address}  (contact #${c.id}, added ${day(c.createdAt)})`,
    `Name:        ${[c.firstName, c.lastName].filter(Boolean).join(' ') || '-'}`,
    `Company:     ${c.company || '-'}`,
    `Lists:       ${c.lists.map((l) => `${l.name} (${l.status})`).join(', ') || '-'}`,
    `Tags:        ${c.tags.join(', ') || '-'}`,
    ...Object.entries(c.fields).map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`),
    `Consent:     ${d.consent.source === 'manual' ? 'typed by hand' : 'imported'} on ${time(d.consent.at)}${d.consent.basis ? `; basis: ${d.consent.basis}` : ''}`,
    ...(d.consent.import
      ? [
          `             from ${d.consent.import.fileName} (import #${d.consent.import.id}, sha256 ${d.consent.import.sha256})`,
        ]
      : []),
    ...(d.consent.detail
      ? [
          `             ${Object.entries(d.consent.detail)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        ]
      : []),
    d.suppression
      ? `Suppressed:  YES, ${d.suppression.reason} since ${time(d.suppression.at)}: ${d.suppression.source}${d.suppression.detail ? ` (${d.suppression.detail})` : ''}`
      : 'Suppressed:  no',
    `Deliveries:  ${d.deliveries.length ? '' : 'none'}`,
    ...d.deliveries.map(
      (x) =>
        `  #${x.id} ${time(x.createdAt)} ${x.status.toUpperCase()}${x.subject ? ` "${x.subject}"` : ''}${x.lastResponse ? ` ${x.lastResponse.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`,
    ),
  ];
  return lines.join('\n');
}

function fieldsOf(opts: CliOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of opts.field ?? []) {
    const i = kv.indexOf('=');
    if (i < 1) usage(`--field takes key=value (got "${kv}").`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1);
  }
  return out;
}

export async function contacts(
  engine: Engine,
  out: Out,
  sub: string | undefined,
  rest: string[],
  opts: CliOptions,
): Promise<number> {
  const svc = engine.contacts;
  if (sub === 'list' && rest.length === 0) {
    const want = limitOf(opts, 50);
    const filter = filterOf(engine, opts);
    const rows: ContactRow[] = [];
    let cursor: string | undefined;
    let total: { count: number; capped: boolean } = { count: 0, capped: false };
    // Pages of 200 until --limit rows (keyset: each page costs the same).
    while (rows.length < want) {
      const page = svc.queryContacts({ filter, pageSize: 200, cursor });
      total = page.total;
      rows.push(...page.rows.slice(0, want - rows.length));
      if (!page.next) break;
      cursor = page.next;
    }
    const totalText = `${total.capped ? 'more than ' : ''}${total.count.toLocaleString('en')}`;
    print(
      out,
      { rows, total },
      rows.length
        ? `${rows.map(rowLine).join('\n')}\n${rows.length < total.count || total.capped ? `(${rows.length} of ${totalText} shown; --limit N for more)` : `(${totalText} in all)`}`
        : 'No contacts match.',
    );
    return 0;
  }
  if (sub === 'show' && rest.length === 1) {
    const d = svc.getContact(rest[0] as string);
    print(out, d, detailText(d));
    return 0;
  }
  if (sub === 'add' && rest.length === 1) {
    const listIds = opts.list !== undefined ? [svc.listByName(opts.list).id] : [];
    const d = svc.addContact({
      address: rest[0] as string,
      firstName: opts['first-name'],
      lastName: opts['last-name'],
      company: opts.company,
      fields: fieldsOf(opts),
      tags: opts.tag ?? [],
      listIds,
      basis: opts.basis,
    });
    print(
      out,
      d,
      `Added ${d.contact.address} (contact #${d.contact.id}).${d.suppression ? ` It is on the do-not-send list (${d.suppression.reason}), so nothing will be sent to it.` : ''}`,
    );
    return 0;
  }
  if (sub === 'remove' && rest.length >= 1) {
    // Every address must be a contact before anything is deleted.
    const ids = rest.map((a) => svc.contactId(a));
    const r = svc.removeContacts(ids);
    print(out, r, r.message);
    return 0;
  }
  if (sub === 'export' && rest.length === 1) {
    if (opts.list !== undefined && opts.segment !== undefined) usage('Export one list or one segment, not both.');
    const file = path.resolve(rest[0] as string);
    const source: ContactExportSource =
      opts.list !== undefined
        ? { listId: svc.listByName(opts.list).id }
        : opts.segment !== undefined
          ? { segmentId: svc.getSegment(opts.segment).id }
          : {};
    const r = await svc.exportContacts(source, file);
    print(out, { file, rows: r.rows }, `${r.rows} contact${r.rows === 1 ? '' : 's'} written to ${file}.`);
    return 0;
  }
  return usage(
    'Use: mailroom contacts list [--list NAME] [--tag T] [--search S] [--suppressed] [--limit N] | contacts show ADDRESS | contacts add ADDRESS [--first-name …] [--last-name …] [--company …] [--list NAME] [--tag T] [--field key=value] [--basis TEXT] | contacts remove ADDRESS... | contacts export FILE [--list NAME | --segment NAME]',
  );
}

// ------------------------------------------------------------------ suppressions

const suppressionJson = (s: Suppression) => ({ address: s.address, reason: s.reason, source: s.source, at: s.at });

export async function suppressions(
  engine: Engine,
  out: Out,
  sub: string | undefined,
  rest: string[],
  opts: CliOptions,
): Promise<number> {
  const svc = engine.contacts;
  if (sub === 'list' && rest.length === 0) {
    const rows: Suppression[] = [];
    const want = opts.limit === undefined ? Number.POSITIVE_INFINITY : limitOf(opts, 0);
    let cursor: string | undefined;
    for (;;) {
      const page = svc.listSuppressions({ limit: 1000, cursor });
      rows.push(...page.rows.slice(0, want - rows.length));
      if (!page.next || rows.length >= want) break;
      cursor = page.next;
    }
    if (out.json) {
      print(out, rows.map(suppressionJson), '');
      return 0;
    }
    print(
      out,
      null,
      rows.length
        ? rows
            .map(
              (s) =>
                `${s.address ?? '(erased contact: only a hash is kept)'}  ${s.reason}  ${time(s.at)}  ${s.source}${s.detail ? ` (${s.detail})` : ''}`,
            )
            .join('\n')
        : 'The do-not-send list is empty.',
    );
    return 0;
  }
  if (sub === 'add' && rest.length === 1) {
    const reason = (opts.reason ?? 'manual') as SuppressionReason;
    if (!SUPPRESSION_REASONS.includes(reason) || reason === 'erased') {
      usage(
        `--reason is one of ${SUPPRESSION_REASONS.filter((r) => r !== 'erased').join(', ')} (not "${opts.reason}").`,
      );
    }
    const r = svc.suppress(rest[0] as string, reason, 'added by hand (command line)');
    print(out, { added: r.added, ...suppressionJson(r.suppression) }, r.message);
    return 0;
  }
  if (sub === 'remove' && rest.length === 1) {
    if (opts.reason === undefined) {
      usage(
        'Say why with --reason "..." (for example --reason "asked to subscribe again by email on 3 May"); it is kept as evidence.',
      );
    }
    const s = svc.unsuppress(rest[0] as string, opts.reason);
    print(
      out,
      { removed: true, address: rest[0], was: s.reason },
      `${(rest[0] as string).trim()} may receive mail again (it was ${s.reason}). Unsubscribes from single lists stay as they are.`,
    );
    return 0;
  }
  if (sub === 'export' && rest.length === 1) {
    const file = path.resolve(rest[0] as string);
    const r = await svc.exportSuppressions(file);
    print(out, { file, rows: r.rows }, `${r.rows} entr${r.rows === 1 ? 'y' : 'ies'} written to ${file}.`);
    return 0;
  }
  return usage(
    'Use: mailroom suppressions list [--json] | suppressions add ADDRESS [--reason R] | suppressions remove ADDRESS --reason TEXT | suppressions export FILE',
  );
}

// ------------------------------------------------------------------ segments

export function segments(engine: Engine, out: Out, sub: string | undefined, rest: string[], opts: CliOptions): number {
  const svc = engine.contacts;
  if (sub === 'add' && rest.length === 1) {
    if (opts.where === undefined)
      usage('Say who is in the segment with --where, e.g. --where "city is Lyon and tag vip".');
    const def = svc.segmentFromText(opts.where);
    const s = svc.createSegment(rest[0] as string, def);
    const n = svc.countSegment(s.definition);
    print(out, { ...s, count: n }, `Segment "${s.name}" saved: ${n} contact${n === 1 ? '' : 's'} match it now.`);
    return 0;
  }
  if (sub === 'list' && rest.length === 0) {
    const all = svc.listSegments();
    print(
      out,
      all,
      all.length ? all.map((s) => `${s.name}  ${JSON.stringify(s.definition)}`).join('\n') : 'No segments yet.',
    );
    return 0;
  }
  if (sub === 'count' && rest.length === 1) {
    const s = svc.getSegment(rest[0] as string);
    const n = svc.countSegment(s.definition);
    print(out, { name: s.name, count: n }, `${n}`);
    return 0;
  }
  return usage('Use: mailroom segments add NAME --where CONDITIONS | segments list | segments count NAME');
}
