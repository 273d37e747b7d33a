import { SUPPRESSION_REASONS, type SuppressionReason } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { getList } from './lists.ts';
import { Params, parseDefinition, segmentWhere } from './segment-sql.ts';
import { getSegment, segmentQuery } from './segments.ts';

// Who a campaign sent to these lists and segments would reach. Candidates: everyone on
// a chosen list (any status) and everyone a chosen segment matches. Left out, in this
// order: anyone on the do-not-send list (counted by reason); anyone who unsubscribed
// from one of the chosen lists (even if a segment picks them); and anyone reached only
// through a list where they are still pending. audienceQuery is the same selection as
// SQL for the campaign engine.

export interface AudienceSelection {
  listIds?: number[];
  segmentIds?: number[];
}

export interface AudienceCount {
  /** Contacts a campaign would send to. */
  count: number;
  /** Candidates left out. */
  excluded: {
    suppressed: Record<SuppressionReason, number>;
    unsubscribed: number;
    pending: number;
  };
}

function candidates(db: Db, sel: AudienceSelection, p: Params): { sql: string; lists: string } {
  const listIds = [...new Set(sel.listIds ?? [])];
  const segmentIds = [...new Set(sel.segmentIds ?? [])];
  if (!listIds.length && !segmentIds.length) {
    throw new MailroomError('VALIDATION', 'Choose at least one list or segment to send to.');
  }
  for (const id of listIds) getList(db, id);
  const lists = p.add(JSON.stringify(listIds));
  const parts = [
    `SELECT contact_id AS id, 0 AS seg FROM list_members WHERE list_id IN (SELECT value FROM json_each(${lists}))`,
  ];
  for (const id of segmentIds) {
    const q = segmentQuery(db, getSegment(db, id).definition, p);
    parts.push(`SELECT id, 1 AS seg FROM (${q.sql})`);
  }
  // One row per candidate: seg = 1 when a segment picked them.
  return { sql: `SELECT id, max(seg) AS seg FROM (${parts.join(' UNION ALL ')}) GROUP BY id`, lists };
}

/** Each candidate with why it is left out (reason / unsub / not ok), or included. */
function classified(db: Db, sel: AudienceSelection, p: Params): string {
  const cand = candidates(db, sel, p);
  return `SELECT cand.id AS id,
      (SELECT s.reason FROM suppressions s WHERE s.key = c.address_key) AS reason,
      EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = cand.id AND m.status = 'unsubscribed'
        AND m.list_id IN (SELECT value FROM json_each(${cand.lists}))) AS unsub,
      (cand.seg OR EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = cand.id AND m.status = 'subscribed'
        AND m.list_id IN (SELECT value FROM json_each(${cand.lists})))) AS ok
    FROM (${cand.sql}) cand JOIN contacts c ON c.id = cand.id`;
}

/**
 * The audience's size and what is left out, without listing the candidates: each
 * category is counted from its own (small) index range, and the total from the lists'
 * index plus the segment matches that are on none of the chosen lists.
 */
export function audienceCount(db: Db, sel: AudienceSelection): AudienceCount {
  const listIds = [...new Set(sel.listIds ?? [])];
  const segmentIds = [...new Set(sel.segmentIds ?? [])];
  if (!listIds.length && !segmentIds.length) {
    throw new MailroomError('VALIDATION', 'Choose at least one list or segment to send to.');
  }
  for (const id of listIds) getList(db, id);
  const p = new Params();
  const lists = p.add(JSON.stringify(listIds));
  const inLists = (id: string, status?: string) =>
    `EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = ${id} AND m.list_id IN (SELECT value FROM json_each(${lists}))${status ? ` AND m.status = '${status}'` : ''})`;
  const segs = segmentIds.map((id) => segmentWhere(db, parseDefinition(getSegment(db, id).definition), p));
  const inSegments = segs.length ? `(${segs.join(' OR ')})` : '0';
  const suppressedKey = 'EXISTS (SELECT 1 FROM suppressions s WHERE s.key = c.address_key)';
  const get = (sql: string) => db.prepare(sql).pluck().get(p.values) as number;

  // Candidates: distinct members of the lists, plus segment matches on none of them.
  const members =
    listIds.length === 1
      ? get(`SELECT count(*) FROM list_members WHERE list_id = (SELECT value FROM json_each(${lists}))`)
      : listIds.length
        ? get(
            `SELECT count(DISTINCT contact_id) FROM list_members WHERE list_id IN (SELECT value FROM json_each(${lists}))`,
          )
        : 0;
  const segmentOnly = segs.length
    ? get(`SELECT count(*) FROM contacts c WHERE ${inSegments}${listIds.length ? ` AND NOT ${inLists('c.id')}` : ''}`)
    : 0;
  const candidate = `(${listIds.length ? inLists('c.id') : '0'} OR ${inSegments})`;

  // Suppressed candidates, by reason: from the suppression list (small), each checked.
  const suppressed = Object.fromEntries(SUPPRESSION_REASONS.map((r) => [r, 0])) as Record<SuppressionReason, number>;
  const rows = db
    .prepare(
      `SELECT s.reason, count(*) AS n FROM suppressions s CROSS JOIN contacts c ON c.address_key = s.key
       WHERE s.address IS NOT NULL AND ${candidate} GROUP BY s.reason`,
    )
    .all(p.values) as { reason: SuppressionReason; n: number }[];
  for (const r of rows) suppressed[r.reason] = r.n;

  // Unsubscribed from a chosen list (and not suppressed): from the (list_id, status) index.
  const unsubscribed = listIds.length
    ? get(
        `SELECT count(DISTINCT m.contact_id) FROM list_members m CROSS JOIN contacts c ON c.id = m.contact_id
         WHERE m.list_id IN (SELECT value FROM json_each(${lists})) AND m.status = 'unsubscribed' AND NOT ${suppressedKey}`,
      )
    : 0;
  // Pending on a chosen list, subscribed on none, picked by no segment.
  const pending = listIds.length
    ? get(
        `SELECT count(DISTINCT m.contact_id) FROM list_members m CROSS JOIN contacts c ON c.id = m.contact_id
         WHERE m.list_id IN (SELECT value FROM json_each(${lists})) AND m.status = 'pending' AND NOT ${suppressedKey}
           AND NOT ${inLists('c.id', 'unsubscribed')} AND NOT ${inLists('c.id', 'subscribed')} AND NOT ${inSegments}`,
      )
    : 0;
  const excludedSuppressed = Object.values(suppressed).reduce((a, b) => a + b, 0);
  return {
    count: members + segmentOnly - excludedSuppressed - unsubscribed - pending,
    excluded: { suppressed, unsubscribed, pending },
  };
}

/** The contact ids of the audience, as SQL for the campaign engine (select `id`). */
export function audienceQuery(db: Db, sel: AudienceSelection): { sql: string; params: Record<string, unknown> } {
  const p = new Params();
  return {
    sql: `SELECT id FROM (${classified(db, sel, p)}) WHERE reason IS NULL AND NOT unsub AND ok`,
    params: p.values,
  };
}
