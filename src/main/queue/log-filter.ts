import { DELIVERY_STATUSES, type DeliveryStatus } from '../../shared/domain/delivery.ts';
import type { LogFilter } from '../../shared/domain/delivery-log.ts';
import { toAsciiDomain } from '../domains/domains-service.ts';

// The log screen's filter as SQL sees it: the user's filter normalised (normaliseFilter)
// and its WHERE terms, for all of it or for one filter that has an index of its own
// (filterTerms). Which index a search walks is chosen in log-plan.ts.

/** The filter as SQL sees it: null where the user did not narrow. */
export interface Filters {
  statuses: DeliveryStatus[] | null;
  domain: string | null;
  since: number | null;
  until: number | null;
  /** The text as a LIKE pattern, wildcards escaped. */
  like: string | null;
  /** The CSV export leaves out deliveries queued after it started. */
  maxId: number | null;
}

/** Filters with an index of their own, and that index. */
export type Atom = 'status' | 'domain' | 'date';
export const ATOM_INDEX: Record<Atom, string> = {
  // (status, next_attempt_at, rowid): counts a status and sorts it by id without the table.
  status: 'deliveries_due',
  // (domain, rowid): a domain's deliveries come out in id order.
  domain: 'deliveries_domain',
  // (created_at, rowid): ids in it are nearly in order, so its lookups are nearly sequential.
  date: 'deliveries_created',
};

export function normaliseFilter(filter: LogFilter): Filters {
  const statuses = [...new Set(filter.statuses ?? [])].filter((s) => DELIVERY_STATUSES.includes(s)).sort();
  let domain: string | null = null;
  const typed = filter.domain?.trim().replace(/^@/, '');
  // The store holds lower-case ASCII (punycode) domains; a name that is not a valid host
  // name still filters (by its lower-case form) and simply matches nothing.
  if (typed) domain = toAsciiDomain(typed) ?? typed.toLowerCase();
  const text = filter.text?.trim();
  return {
    statuses: statuses.length && statuses.length < DELIVERY_STATUSES.length ? statuses : null,
    domain,
    since: filter.since ?? null,
    until: filter.until ?? null,
    like: text ? `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
    maxId: null,
  };
}

export function atomsOf(f: Filters): Atom[] {
  const atoms: Atom[] = [];
  if (f.statuses) atoms.push('status');
  if (f.domain !== null) atoms.push('domain');
  if (f.since !== null || f.until !== null) atoms.push('date');
  return atoms;
}

const like = (column: string) => `${column} LIKE @like ESCAPE '\\'`;
const MESSAGE_TEXT = ['m.mail_from', 'm.subject', 'm.queue_id', 'm.message_id'].map(like).join(' OR ');
/**
 * The text match, two ways. Joined: each row looks up its message (cheap when a walk
 * stops after a page). As a list: the messages that match are found once, by scanning
 * the narrow index messages_search instead of the table (whose rows carry the message
 * bytes), then each delivery checks the list; the pass over every row, when few match.
 */
const TEXT_JOINED = `(${like('d.recipient')} OR ${MESSAGE_TEXT})`;
export const TEXT_LISTED = `(${like('d.recipient')} OR d.message_id IN (
  SELECT m.id FROM messages m INDEXED BY messages_search WHERE ${MESSAGE_TEXT}))`;

/** WHERE terms for the filter (or one atom of it), with their parameters. */
export function filterTerms(f: Filters, params: Record<string, unknown>, only?: Atom, text = TEXT_JOINED): string[] {
  const terms: string[] = [];
  if (f.statuses && (!only || only === 'status')) {
    const names = f.statuses.map((s, i) => {
      params[`s${i}`] = s;
      return `@s${i}`;
    });
    terms.push(`d.status IN (${names.join(', ')})`);
  }
  if (f.domain !== null && (!only || only === 'domain')) {
    params.domain = f.domain;
    terms.push('d.domain = @domain');
  }
  if (!only || only === 'date') {
    if (f.since !== null) {
      params.since = f.since;
      terms.push('d.created_at >= @since');
    }
    if (f.until !== null) {
      params.until = f.until;
      terms.push('d.created_at < @until');
    }
  }
  if (!only) {
    if (f.like !== null) {
      params.like = f.like;
      terms.push(text);
    }
    if (f.maxId !== null) {
      params.maxId = f.maxId;
      terms.push('d.id <= @maxId');
    }
  }
  return terms;
}

export const where = (terms: string[]) => (terms.length ? `WHERE ${terms.join(' AND ')}` : '');
export const joinFor = (f: Filters) => (f.like !== null ? 'CROSS JOIN messages m ON m.id = d.message_id' : '');
