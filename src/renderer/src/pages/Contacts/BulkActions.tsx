import { Autocomplete, Button, Group, NativeSelect, Text } from '@mantine/core';
import { useState } from 'react';
import type { ContactFilter } from '../../../../shared/domain/contacts.ts';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import { plural } from './contact-words.ts';
import type { ContactOptions } from './use-contact-options.ts';

type Action = 'add-to-list' | 'remove-from-list' | 'tag' | 'untag' | 'unsubscribe' | 'delete';

const TITLES: Record<Action, string> = {
  'add-to-list': 'Add to a list',
  'remove-from-list': 'Take off a list',
  tag: 'Add a tag',
  untag: 'Remove a tag',
  unsubscribe: 'Unsubscribe',
  delete: 'Delete for good',
};

/** What can be done to the rows ticked in the table. */
export function BulkActions({
  ids,
  matching,
  options,
  onDone,
}: {
  ids: number[];
  /** Set when the user chose every contact the filter matches, not just the ticked rows. */
  matching: { filter: ContactFilter; count: number; capped: boolean } | null;
  options: ContactOptions | null;
  onDone: () => void;
}) {
  const [action, setAction] = useState<Action | null>(null);
  const [listId, setListId] = useState('');
  const [tag, setTag] = useState('');
  const size = matching ? matching.count : ids.length;
  const people = matching?.capped
    ? `more than ${plural(matching.count, 'person', 'people')}`
    : plural(size, 'person', 'people');
  const lists = options?.lists ?? [];

  const open = (a: Action) => {
    setListId(a === 'unsubscribe' ? '' : String(lists[0]?.id ?? ''));
    setTag('');
    setAction(a);
  };

  const run = async () => {
    const target = matching ? { filter: matching.filter } : { ids };
    const result =
      action === 'delete'
        ? await call('contacts.remove', target)
        : action === 'tag' || action === 'untag'
          ? await call('contacts.bulk', { action, target, tag })
          : action === 'add-to-list' || action === 'remove-from-list'
            ? await call('contacts.bulk', { action, target, listId: Number(listId) })
            : await call('contacts.bulk', {
                action: 'unsubscribe',
                target,
                ...(listId ? { listId: Number(listId) } : {}),
              });
    notifySuccess(result.message);
    onDone();
  };

  const needsList = action === 'add-to-list' || action === 'remove-from-list';
  const needsTag = action === 'tag' || action === 'untag';
  const ready = !(needsList && !listId) && !(needsTag && !tag.trim());

  return (
    <Group gap="xs">
      {(['add-to-list', 'remove-from-list', 'tag', 'untag', 'unsubscribe'] as const).map((a) => (
        <Button
          key={a}
          size="xs"
          variant="default"
          disabled={size === 0}
          onClick={() => open(a)}
          data-testid={`bulk-${a}`}
        >
          {TITLES[a]}
        </Button>
      ))}
      <Button
        size="xs"
        variant="light"
        color="red"
        disabled={size === 0}
        onClick={() => open('delete')}
        data-testid="bulk-delete"
      >
        Delete{size ? ` (${matching?.capped ? `${size.toLocaleString()}+` : size.toLocaleString()})` : ''}
      </Button>
      <ConfirmModal
        opened={action !== null}
        onClose={() => setAction(null)}
        title={action ? `${TITLES[action]}: ${people}` : ''}
        confirmLabel={action === 'delete' ? `Delete ${people}` : (TITLES[action ?? 'tag'] ?? 'Apply')}
        confirmColor={action === 'delete' ? 'red' : undefined}
        confirmTestId="bulk-confirm"
        onConfirm={
          ready
            ? run
            : async () => {
                throw new Error(needsTag ? 'Write the tag first.' : 'Choose a list first.');
              }
        }
      >
        {needsList && (
          <NativeSelect
            label="List"
            value={listId}
            onChange={(e) => setListId(e.currentTarget.value)}
            data={lists.map((l) => ({ value: String(l.id), label: l.name }))}
            data-testid="bulk-list"
          />
        )}
        {needsTag && (
          <Autocomplete
            label="Tag"
            placeholder="e.g. customer"
            value={tag}
            onChange={setTag}
            data={(options?.tags ?? []).map((t) => t.name)}
            maxLength={100}
            data-testid="bulk-tag"
          />
        )}
        {action === 'unsubscribe' && (
          <>
            <NativeSelect
              label="From"
              value={listId}
              onChange={(e) => setListId(e.currentTarget.value)}
              data={[
                { value: '', label: 'Every list they are on' },
                ...lists.map((l) => ({ value: String(l.id), label: l.name })),
              ]}
              data-testid="bulk-unsubscribe-list"
            />
            <Text size="sm">
              They stay in your contacts, marked as unsubscribed, and will not get newsletters sent to that list. An
              import can never subscribe them again.
            </Text>
          </>
        )}
        {action === 'delete' && (
          <Text size="sm" data-testid="bulk-delete-explained">
            This erases {size === 1 ? 'this person' : 'these people'}: their name, fields, tags and list places are
            removed for good, as a request to be forgotten needs. Mailroom keeps only a scrambled fingerprint of each
            address (not the address itself) on the do-not-send list, so a later import cannot add them back by mistake.
          </Text>
        )}
      </ConfirmModal>
    </Group>
  );
}
