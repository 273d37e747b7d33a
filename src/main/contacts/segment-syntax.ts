import type { SEGMENT_FIELD_OPS, SegmentCondition, SegmentDefinition } from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { listByName } from './lists.ts';
import { tagByName } from './tags.ts';

// The command line's short way to write a segment (JSON works too):
//
//   city is Lyon and customer_since before 2024-01-01
//   list Customers and tag vip
//   tag vip or tag "big spender"
//   not list Newsletter and orders > 3
//   list Newsletter is unsubscribed
//
// Conditions are joined by "and" or by "or" (not both); names or values with spaces go in
// quotes. Lists and tags are named; they must exist.

const OPS: [string[], (typeof SEGMENT_FIELD_OPS)[number]][] = [
  [['is', 'not', 'empty'], 'is_not_empty'],
  [['is', 'empty'], 'is_empty'],
  [['is', 'not'], 'is_not'],
  [['starts', 'with'], 'starts_with'],
  [['less', 'than'], 'less_than'],
  [['greater', 'than'], 'greater_than'],
  [['is'], 'is'],
  [['='], 'is'],
  [['!='], 'is_not'],
  [['contains'], 'contains'],
  [['before'], 'before'],
  [['after'], 'after'],
  [['<'], 'less_than'],
  [['>'], 'greater_than'],
];

function tokens(text: string): { t: string; quoted: boolean }[] {
  const out: { t: string; quoted: boolean }[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[3] !== undefined) out.push({ t: m[3], quoted: false });
    else out.push({ t: (m[1] ?? m[2]) as string, quoted: true });
  }
  return out;
}

const bad = (why: string) =>
  new MailroomError(
    'VALIDATION',
    `${why} Write conditions like: city is Lyon and customer_since before 2024-01-01 (or: list NAME, tag NAME, not tag NAME, orders > 3), or give the segment as JSON.`,
  );

/** A definition from JSON or from the short syntax above. */
export function parseSegmentText(db: Db, text: string): SegmentDefinition | unknown {
  const trimmed = text.trim();
  if (!trimmed) throw bad('The segment is empty.');
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch (err) {
      throw new MailroomError('VALIDATION', `The segment's JSON cannot be read: ${(err as Error).message}.`);
    }
  }
  const all = tokens(trimmed);
  const groups: { t: string; quoted: boolean }[][] = [[]];
  let match: 'all' | 'any' | null = null;
  for (const tok of all) {
    const w = tok.t.toLowerCase();
    if (!tok.quoted && (w === 'and' || w === 'or')) {
      const m = w === 'and' ? 'all' : 'any';
      if (match && match !== m) throw bad('Use either "and" or "or" between conditions, not both.');
      match = m;
      groups.push([]);
    } else (groups[groups.length - 1] as { t: string; quoted: boolean }[]).push(tok);
  }
  return { match: match ?? 'all', conditions: groups.map((g) => condition(db, g)) };
}

function condition(db: Db, toks: { t: string; quoted: boolean }[]): SegmentCondition {
  if (!toks.length) throw bad('A condition is missing (two "and"/"or" in a row?).');
  let negate = false;
  let rest = toks;
  if (!rest[0]?.quoted && rest[0]?.t.toLowerCase() === 'not') {
    negate = true;
    rest = rest.slice(1);
  }
  const head = rest[0]?.t.toLowerCase();
  if (!rest[0]?.quoted && (head === 'list' || head === 'tag')) {
    const name = rest[1]?.t;
    if (!name) throw bad(`"${head}" needs a name after it.`);
    if (head === 'tag') {
      if (rest.length > 2) throw bad(`After "tag ${name}" comes "and", "or" or the end (quote a name with spaces).`);
      return { kind: 'tag', tagId: tagByName(db, name).id, negate };
    }
    let status: 'subscribed' | 'unsubscribed' | 'pending' = 'subscribed';
    if (rest.length > 2) {
      const s = rest[3]?.t.toLowerCase();
      if (
        rest[2]?.t.toLowerCase() !== 'is' ||
        rest.length !== 4 ||
        (s !== 'subscribed' && s !== 'unsubscribed' && s !== 'pending')
      ) {
        throw bad(`After "list ${name}" comes "is subscribed|unsubscribed|pending", "and", "or" or the end.`);
      }
      status = s;
    }
    return { kind: 'list', listId: listByName(db, name).id, status, negate };
  }
  if (negate) throw bad('"not" goes before "list" or "tag"; for a field use "is not".');
  const field = rest[0]?.t as string;
  const words = rest.slice(1);
  for (const [spelling, op] of OPS) {
    if (spelling.every((s, i) => !words[i]?.quoted && words[i]?.t.toLowerCase() === s)) {
      const valueToks = words.slice(spelling.length);
      if (op === 'is_empty' || op === 'is_not_empty') {
        if (valueToks.length) throw bad(`"${field} ${spelling.join(' ')}" takes no value.`);
        return { kind: 'field', field, op };
      }
      if (!valueToks.length) throw bad(`"${field} ${spelling.join(' ')}" needs a value.`);
      const value = valueToks.map((v) => v.t).join(' ');
      const numeric = op === 'less_than' || op === 'greater_than';
      return { kind: 'field', field, op, value: numeric && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value };
    }
  }
  throw bad(`"${toks.map((t) => t.t).join(' ')}" is not a condition Mailroom understands.`);
}
