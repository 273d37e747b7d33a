import { ActionIcon, Button, Group, NativeSelect, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import {
  BUILTIN_FIELDS,
  MEMBER_STATUSES,
  SEGMENT_FIELD_OPS,
  type SegmentCondition,
  type SegmentDefinition,
} from '../../../../shared/domain/contacts.ts';
import { STATUS_LABELS } from './contact-words.ts';
import type { ContactOptions } from './use-contact-options.ts';

type FieldOp = (typeof SEGMENT_FIELD_OPS)[number];
const OP_LABELS: Record<FieldOp, string> = {
  is: 'is',
  is_not: 'is not',
  contains: 'contains',
  starts_with: 'starts with',
  is_empty: 'is empty',
  is_not_empty: 'is not empty',
  before: 'is before (date)',
  after: 'is after (date)',
  less_than: 'is less than',
  greater_than: 'is more than',
};
const BUILTIN_LABELS: Record<string, string> = {
  email: 'Email address',
  first_name: 'First name',
  last_name: 'Last name',
  company: 'Company',
};

/** Conditions on lists, tags and fields, joined by all or any. */
export function SegmentBuilder({
  value,
  onChange,
  options,
}: {
  value: SegmentDefinition;
  onChange: (d: SegmentDefinition) => void;
  options: ContactOptions | null;
}) {
  const lists = options?.lists ?? [];
  const tags = options?.tags ?? [];
  const fields = [
    ...BUILTIN_FIELDS.map((k) => ({ value: k, label: BUILTIN_LABELS[k] ?? k })),
    ...(options?.fields ?? []).map((f) => ({ value: f.key, label: f.label })),
  ];
  const set = (i: number, c: SegmentCondition) =>
    onChange({ ...value, conditions: value.conditions.map((x, j) => (j === i ? c : x)) });
  const remove = (i: number) => onChange({ ...value, conditions: value.conditions.filter((_, j) => j !== i) });
  const add = (kind: SegmentCondition['kind']) => {
    const c: SegmentCondition | null =
      kind === 'list'
        ? lists[0]
          ? { kind, listId: lists[0].id, status: 'subscribed', negate: false }
          : null
        : kind === 'tag'
          ? tags[0]
            ? { kind, tagId: tags[0].id, negate: false }
            : null
          : { kind, field: 'email', op: 'contains', value: '' };
    if (c) onChange({ ...value, conditions: [...value.conditions, c] });
  };

  return (
    <Stack gap="sm">
      <Group gap="sm">
        <Text size="sm">People who match</Text>
        <SegmentedControl
          size="xs"
          value={value.match}
          onChange={(m) => onChange({ ...value, match: m as 'all' | 'any' })}
          data={[
            { value: 'all', label: 'all of these' },
            { value: 'any', label: 'any of these' },
          ]}
          data-testid="segment-match"
        />
      </Group>
      {value.conditions.map((c, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: conditions have no identity beyond their place.
        <Group key={i} gap="xs" wrap="nowrap" data-testid={`segment-condition-${i}`}>
          {c.kind === 'list' && (
            <>
              <NativeSelect
                aria-label="Is or is not"
                value={c.negate ? 'not' : 'is'}
                onChange={(e) => set(i, { ...c, negate: e.currentTarget.value === 'not' })}
                data={[
                  { value: 'is', label: 'is on list' },
                  { value: 'not', label: 'is not on list' },
                ]}
              />
              <NativeSelect
                aria-label="List"
                value={String(c.listId)}
                onChange={(e) => set(i, { ...c, listId: Number(e.currentTarget.value) })}
                data={lists.map((l) => ({ value: String(l.id), label: l.name }))}
              />
              <NativeSelect
                aria-label="Status"
                value={c.status}
                onChange={(e) => set(i, { ...c, status: e.currentTarget.value as typeof c.status })}
                data={MEMBER_STATUSES.map((s) => ({ value: s, label: `as ${STATUS_LABELS[s].toLowerCase()}` }))}
              />
            </>
          )}
          {c.kind === 'tag' && (
            <>
              <NativeSelect
                aria-label="Has or has not"
                value={c.negate ? 'not' : 'has'}
                onChange={(e) => set(i, { ...c, negate: e.currentTarget.value === 'not' })}
                data={[
                  { value: 'has', label: 'has tag' },
                  { value: 'not', label: 'does not have tag' },
                ]}
              />
              <NativeSelect
                aria-label="Tag"
                value={String(c.tagId)}
                onChange={(e) => set(i, { ...c, tagId: Number(e.currentTarget.value) })}
                data={tags.map((t) => ({ value: String(t.id), label: t.name }))}
                data-testid="segment-tag"
              />
            </>
          )}
          {c.kind === 'field' && (
            <>
              <NativeSelect
                aria-label="Field"
                value={c.field}
                onChange={(e) => set(i, { ...c, field: e.currentTarget.value })}
                data={fields}
                data-testid="segment-field"
              />
              <NativeSelect
                aria-label="Condition"
                value={c.op}
                onChange={(e) => set(i, { ...c, op: e.currentTarget.value as FieldOp })}
                data={SEGMENT_FIELD_OPS.map((o) => ({ value: o, label: OP_LABELS[o] }))}
                data-testid="segment-op"
              />
              {c.op !== 'is_empty' && c.op !== 'is_not_empty' && (
                <TextInput
                  aria-label="Value"
                  placeholder={c.op === 'before' || c.op === 'after' ? 'YYYY-MM-DD' : 'value'}
                  value={String(c.value ?? '')}
                  onChange={(e) => set(i, { ...c, value: e.currentTarget.value })}
                  maxLength={500}
                  data-testid="segment-value"
                />
              )}
            </>
          )}
          <ActionIcon variant="subtle" color="red" aria-label="Remove this condition" onClick={() => remove(i)}>
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group gap="xs">
        <Button size="xs" variant="default" onClick={() => add('list')} disabled={!lists.length}>
          + List condition
        </Button>
        <Button
          size="xs"
          variant="default"
          onClick={() => add('tag')}
          disabled={!tags.length}
          data-testid="segment-add-tag"
        >
          + Tag condition
        </Button>
        <Button size="xs" variant="default" onClick={() => add('field')} data-testid="segment-add-field">
          + Field condition
        </Button>
      </Group>
    </Stack>
  );
}
