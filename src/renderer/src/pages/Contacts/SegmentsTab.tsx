import { Alert, Badge, Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { SegmentDefinition, SegmentSummary } from '../../../../shared/domain/contacts.ts';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call, type IpcError, toIpcError } from '../../lib/ipc.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';
import { formatDate, plural } from './contact-words.ts';
import { SegmentBuilder } from './SegmentBuilder.tsx';
import { useContactOptions } from './use-contact-options.ts';

const EMPTY: SegmentDefinition = { match: 'all', conditions: [] };

/** Numbers typed for "less than" / "more than" go to main as numbers. */
function cleaned(d: SegmentDefinition): SegmentDefinition {
  return {
    ...d,
    conditions: d.conditions.map((c) =>
      c.kind === 'field' &&
      (c.op === 'less_than' || c.op === 'greater_than') &&
      typeof c.value === 'string' &&
      c.value.trim() !== '' &&
      Number.isFinite(Number(c.value.replace(',', '.')))
        ? { ...c, value: Number(c.value.replace(',', '.')) }
        : c,
    ),
  };
}

/** Saved filters with a live count: campaigns will send to lists and segments. */
export function SegmentsTab() {
  const options = useContactOptions();
  const segments = useLoad(() => call('segments.list'), []);
  const [editing, setEditing] = useState<SegmentSummary | null>(null);
  const [name, setName] = useState('');
  const [definition, setDefinition] = useState<SegmentDefinition>(EMPTY);
  const [count, setCount] = useState<number | null>(null);
  const [countError, setCountError] = useState<IpcError | null>(null);
  const [removing, setRemoving] = useState<SegmentSummary | null>(null);

  // The count follows the builder as it changes, a moment after the last change.
  useEffect(() => {
    setCount(null);
    setCountError(null);
    if (definition.conditions.length === 0) return;
    let live = true;
    const timer = setTimeout(() => {
      call('segments.count', { definition: cleaned(definition) })
        .then((r) => live && setCount(r.count))
        .catch((err) => live && setCountError(toIpcError(err)));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [definition]);

  const startNew = () => {
    setEditing(null);
    setName('');
    setDefinition(EMPTY);
  };
  const save = async () => {
    try {
      const d = cleaned(definition);
      const saved = editing
        ? await call('segments.update', { id: editing.id, name, definition: d })
        : await call('segments.create', { name, definition: d });
      notifySuccess(`Segment “${saved.name}” saved.`);
      setEditing(saved);
      await segments.reload();
    } catch (err) {
      notifyError(err, 'The segment was not saved');
    }
  };

  return (
    <Stack gap="md">
      <Card withBorder padding="md" data-testid="segment-builder">
        <Stack gap="sm">
          <Group justify="space-between">
            <Title order={4}>{editing ? `Edit “${editing.name}”` : 'New segment'}</Title>
            <Badge size="lg" variant="light" data-testid="segment-count">
              {definition.conditions.length === 0
                ? 'Add a condition'
                : count === null
                  ? countError
                    ? 'Cannot count'
                    : 'Counting…'
                  : plural(count, 'person', 'people')}
            </Badge>
          </Group>
          <TextInput
            label="Name"
            placeholder="e.g. Customers in Lyon"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
            data-testid="segment-name"
          />
          <SegmentBuilder value={definition} onChange={setDefinition} options={options.data} />
          {countError && (
            <Alert color="orange" variant="light">
              {countError.message}
            </Alert>
          )}
          <Group justify="flex-end">
            {editing && (
              <Button variant="default" onClick={startNew}>
                New segment
              </Button>
            )}
            <Button
              onClick={save}
              disabled={!name.trim() || definition.conditions.length === 0}
              data-testid="segment-save"
            >
              Save segment
            </Button>
          </Group>
        </Stack>
      </Card>
      {!!segments.data?.length && (
        <Table striped data-testid="segments-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Segment</Table.Th>
              <Table.Th>Conditions</Table.Th>
              <Table.Th>Changed</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {segments.data.map((s) => (
              <Table.Tr key={s.id} data-testid={`segment-row-${s.name}`}>
                <Table.Td fw={600}>{s.name}</Table.Td>
                <Table.Td>
                  {s.definition.conditions.length} ({s.definition.match === 'all' ? 'all must match' : 'any may match'})
                </Table.Td>
                <Table.Td>{formatDate(s.updatedAt)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end">
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => {
                        setEditing(s);
                        setName(s.name);
                        setDefinition(s.definition);
                      }}
                    >
                      Edit
                    </Button>
                    <Button size="xs" variant="light" color="red" onClick={() => setRemoving(s)}>
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {segments.data?.length === 0 && <Text c="dimmed">No saved segments yet.</Text>}
      <ConfirmModal
        opened={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Delete the segment “${removing?.name ?? ''}”?`}
        confirmLabel="Delete the segment"
        confirmColor="red"
        onConfirm={async () => {
          if (!removing) return;
          await call('segments.remove', { id: removing.id });
          if (editing?.id === removing.id) startNew();
          await segments.reload();
        }}
      >
        <Text size="sm">Only the saved filter goes; nobody is removed from your contacts or lists.</Text>
      </ConfirmModal>
    </Stack>
  );
}
