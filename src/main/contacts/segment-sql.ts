import {
  type ContactField,
  type SegmentCondition,
  type SegmentDefinition,
  segmentDefinitionSchema,
} from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { checkDate, fieldMap } from './fields.ts';

// A segment definition as SQL: one boolean expression over the contacts row `c`, every
// value a bound parameter (never pasted into the text), field keys checked against
// contact_fields first. Custom fields are read from the JSONB column with
// `c.fields ->> @path`, the path itself a parameter too.

/** Named parameters shared by the pieces of one statement. */
export class Params {
  readonly values: Record<string, unknown> = {};
  private n = 0;
  add(value: unknown): string {
    const name = `p${this.n++}`;
    this.values[name] = value;
    return `@${name}`;
  }
}

const BUILTIN_COLUMNS: Record<string, string> = {
  email: 'c.address',
  first_name: 'c.first_name',
  last_name: 'c.last_name',
  company: 'c.company',
};

const OPS_BY_TYPE: Record<ContactField['type'], readonly string[]> = {
  text: ['is', 'is_not', 'contains', 'starts_with', 'is_empty', 'is_not_empty'],
  number: ['is', 'is_not', 'less_than', 'greater_than', 'is_empty', 'is_not_empty'],
  date: ['is', 'is_not', 'before', 'after', 'is_empty', 'is_not_empty'],
};

export function parseDefinition(definition: unknown): SegmentDefinition {
  const r = segmentDefinitionSchema.safeParse(definition);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new MailroomError(
      'VALIDATION',
      `The segment is not valid: ${i?.message ?? 'unknown problem'}${i?.path.length ? ` (at ${i.path.join('.')})` : ''}.`,
    );
  }
  return r.data;
}

/**
 * The definition as a WHERE expression over `c`. Conditions on a list or tag that no
 * longer exists match nobody (a deleted list has no members).
 */
export function segmentWhere(
  db: Db,
  def: SegmentDefinition,
  p: Params,
  opts: { id?: string; skip?: number } = {},
): string {
  const fields = fieldMap(db);
  const parts = def.conditions
    .map((c, i) => (i === opts.skip ? null : condition(c, fields, p, opts.id ?? 'c.id')))
    .filter((x): x is string => x !== null);
  if (!parts.length) return '1';
  // A missing field value makes a comparison NULL; coalesce keeps the whole expression
  // 0 or 1, so NOT (segment) means "not in it" (audience.ts relies on that).
  return `coalesce(${parts.join(def.match === 'all' ? ' AND ' : ' OR ')}, 0)`;
}

function condition(c: SegmentCondition, fields: Map<string, ContactField>, p: Params, id: string): string {
  if (c.kind === 'list') {
    const e = `EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = ${p.add(c.listId)} AND m.contact_id = ${id} AND m.status = ${p.add(c.status)})`;
    return c.negate ? `NOT ${e}` : e;
  }
  if (c.kind === 'tag') {
    const e = `EXISTS (SELECT 1 FROM contact_tags t WHERE t.tag_id = ${p.add(c.tagId)} AND t.contact_id = ${id})`;
    return c.negate ? `NOT ${e}` : e;
  }
  let column: string;
  let type: ContactField['type'];
  if (Object.hasOwn(BUILTIN_COLUMNS, c.field)) {
    column = BUILTIN_COLUMNS[c.field] as string;
    type = 'text';
  } else {
    const f = fields.get(c.field);
    if (!f) {
      const keys = ['email', 'first_name', 'last_name', 'company', ...fields.keys()];
      throw new MailroomError(
        'VALIDATION',
        `The segment uses a field "${c.field}" that does not exist. Fields: ${keys.join(', ')}.`,
      );
    }
    column = `(c.fields ->> ${p.add(`$.${f.key}`)})`;
    type = f.type;
  }
  if (!OPS_BY_TYPE[type].includes(c.op)) {
    throw new MailroomError(
      'VALIDATION',
      `"${c.op.replace('_', ' ')}" does not apply to ${c.field} (a ${type} field); use one of: ${OPS_BY_TYPE[type].map((o) => o.replace('_', ' ')).join(', ')}.`,
    );
  }
  if (c.op === 'is_empty') return `coalesce(${column}, '') = ''`;
  if (c.op === 'is_not_empty') return `coalesce(${column}, '') <> ''`;
  if (c.value === undefined || c.value === '') {
    throw new MailroomError('VALIDATION', `"${c.field} ${c.op.replace('_', ' ')}" needs a value.`);
  }
  const v = value(c, type);
  switch (c.op) {
    case 'is':
      return type === 'text' ? `${column} = ${p.add(v)} COLLATE NOCASE` : `${column} = ${p.add(v)}`;
    case 'is_not':
      // A contact without the value is "not Lyon" too.
      return type === 'text'
        ? `coalesce(${column} <> ${p.add(v)} COLLATE NOCASE, 1)`
        : `coalesce(${column} <> ${p.add(v)}, 1)`;
    case 'contains':
      return `instr(lower(${column}), lower(${p.add(v)})) > 0`;
    case 'starts_with': {
      const s = String(v);
      return `substr(lower(${column}), 1, ${p.add(s.length)}) = lower(${p.add(s)})`;
    }
    case 'before':
    case 'less_than':
      return `${column} < ${p.add(v)}`;
    case 'after':
    case 'greater_than':
      return `${column} > ${p.add(v)}`;
  }
  throw new MailroomError('VALIDATION', `Unknown comparison "${c.op}".`);
}

function value(c: Extract<SegmentCondition, { kind: 'field' }>, type: ContactField['type']): string | number {
  const raw = c.value as string | number;
  if (type === 'number') {
    const n = typeof raw === 'number' ? raw : /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(n))
      throw new MailroomError('VALIDATION', `${c.field} is a number field: compare it with a number, not "${raw}".`);
    return n;
  }
  if (type === 'date') {
    const d = typeof raw === 'string' ? checkDate(raw) : null;
    if (!d)
      throw new MailroomError('VALIDATION', `${c.field} is a date field: write the date as YYYY-MM-DD, not "${raw}".`);
    return d;
  }
  return String(raw);
}

/**
 * For an "all" segment (or a single condition): a positive list or tag condition whose
 * index can hand over the candidates (so a count does not read every contact), the one
 * with fewest rows: its position and a subquery selecting `id`.
 */
export function segmentDriver(db: Db, def: SegmentDefinition, p: Params): { index: number; source: string } | null {
  if (def.match !== 'all' && def.conditions.length > 1) return null;
  let best: { n: number; index: number; c: SegmentCondition } | null = null;
  def.conditions.forEach((c, index) => {
    let n: number | null = null;
    if (c.kind === 'list' && !c.negate) {
      n = db
        .prepare('SELECT count(*) FROM list_members WHERE list_id = ? AND status = ?')
        .pluck()
        .get(c.listId, c.status) as number;
    } else if (c.kind === 'tag' && !c.negate) {
      n = db.prepare('SELECT count(*) FROM contact_tags WHERE tag_id = ?').pluck().get(c.tagId) as number;
    }
    if (n !== null && (!best || n < best.n)) best = { n, index, c };
  });
  if (!best) return null;
  const { index, c } = best as { n: number; index: number; c: SegmentCondition };
  const source =
    c.kind === 'list'
      ? `SELECT contact_id AS id FROM list_members WHERE list_id = ${p.add(c.listId)} AND status = ${p.add(c.status)}`
      : `SELECT contact_id AS id FROM contact_tags WHERE tag_id = ${p.add((c as { tagId: number }).tagId)}`;
  return { index, source };
}
