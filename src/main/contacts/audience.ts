import { SUPPRESSION_REASONS, type SuppressionReason } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { getList } from './lists.ts';
import { Params } from './segment-sql.ts';
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

export function audienceCount(db: Db, sel: AudienceSelection): AudienceCount {
  const p = new Params();
  const rows = db
    .prepare(`SELECT reason, unsub, ok, count(*) AS n FROM (${classified(db, sel, p)}) GROUP BY reason, unsub, ok`)
    .all(p.values) as { reason: SuppressionReason | null; unsub: number; ok: number; n: number }[];
  const out: AudienceCount = {
    count: 0,
    excluded: {
      suppressed: Object.fromEntries(SUPPRESSION_REASONS.map((r) => [r, 0])) as Record<SuppressionReason, number>,
      unsubscribed: 0,
      pending: 0,
    },
  };
  for (const r of rows) {
    if (r.reason) out.excluded.suppressed[r.reason] += r.n;
    else if (r.unsub) out.excluded.unsubscribed += r.n;
    else if (!r.ok) out.excluded.pending += r.n;
    else out.count += r.n;
  }
  return out;
}

/** The contact ids of the audience, as SQL for the campaign engine (select `id`). */
export function audienceQuery(db: Db, sel: AudienceSelection): { sql: string; params: Record<string, unknown> } {
  const p = new Params();
  return {
    sql: `SELECT id FROM (${classified(db, sel, p)}) WHERE reason IS NULL AND NOT unsub AND ok`,
    params: p.values,
  };
}
