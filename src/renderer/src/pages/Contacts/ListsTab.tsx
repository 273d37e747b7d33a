import { Alert, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { ListSummary } from '../../../../shared/domain/contacts.ts';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';
import { formatDate, plural } from './contact-words.ts';

/** Lists: create, rename, delete. Deleting a list keeps its people and their do-not-send entries. */
export function ListsTab() {
  const lists = useLoad(() => call('lists.list'), []);
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<ListSummary | null>(null);
  const [newName, setNewName] = useState('');
  const [removing, setRemoving] = useState<ListSummary | null>(null);

  const create = async () => {
    try {
      const list = await call('lists.create', { name });
      notifySuccess(`List “${list.name}” created.`);
      setName('');
      await lists.reload();
    } catch (err) {
      notifyError(err, 'The list was not created');
    }
  };

  return (
    <Stack gap="md">
      <Group align="flex-end">
        <TextInput
          label="New list"
          placeholder="e.g. Newsletter"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={100}
          data-testid="list-name"
        />
        <Button onClick={create} disabled={!name.trim()} data-testid="list-create">
          Create list
        </Button>
      </Group>
      {lists.error && (
        <Alert color="red" variant="light" title="The lists could not be read">
          {lists.error.message}
        </Alert>
      )}
      {lists.data?.length === 0 && <Text c="dimmed">No lists yet. Create one, or import a file into a new list.</Text>}
      {!!lists.data?.length && (
        <Table striped data-testid="lists-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>List</Table.Th>
              <Table.Th>Subscribed</Table.Th>
              <Table.Th>Unsubscribed</Table.Th>
              <Table.Th>Waiting for confirmation</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {lists.data.map((l) => (
              <Table.Tr key={l.id} data-testid={`list-row-${l.name}`}>
                <Table.Td fw={600}>{l.name}</Table.Td>
                <Table.Td>{l.subscribed.toLocaleString()}</Table.Td>
                <Table.Td>{l.unsubscribed.toLocaleString()}</Table.Td>
                <Table.Td>{l.pending.toLocaleString()}</Table.Td>
                <Table.Td>{formatDate(l.createdAt)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end">
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => {
                        setNewName(l.name);
                        setRenaming(l);
                      }}
                    >
                      Rename
                    </Button>
                    <Button size="xs" variant="light" color="red" onClick={() => setRemoving(l)}>
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ConfirmModal
        opened={renaming !== null}
        onClose={() => setRenaming(null)}
        title="Rename the list"
        confirmLabel="Rename"
        confirmTestId="list-rename-confirm"
        onConfirm={async () => {
          if (!renaming) return;
          await call('lists.rename', { id: renaming.id, name: newName });
          await lists.reload();
        }}
      >
        <TextInput
          label="Name"
          value={newName}
          onChange={(e) => setNewName(e.currentTarget.value)}
          maxLength={100}
          data-testid="list-new-name"
        />
      </ConfirmModal>
      <ConfirmModal
        opened={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Delete the list “${removing?.name ?? ''}”?`}
        confirmLabel="Delete the list"
        confirmColor="red"
        confirmTestId="list-remove-confirm"
        onConfirm={async () => {
          if (!removing) return;
          await call('lists.remove', { id: removing.id });
          notifySuccess(`List “${removing.name}” deleted; its people are kept.`);
          await lists.reload();
        }}
      >
        <Text size="sm">
          Only the list goes. The{' '}
          {plural(removing ? removing.subscribed + removing.unsubscribed + removing.pending : 0, 'person', 'people')} on
          it stay in your contacts, with their other lists and tags, and everyone on the do-not-send list stays on it.
        </Text>
      </ConfirmModal>
    </Stack>
  );
}
