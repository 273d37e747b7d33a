import { ActionIcon, Autocomplete, Badge, Button, Group, NativeSelect, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { ContactDetail } from '../../../../shared/domain/contacts.ts';
import { call } from '../../lib/ipc.ts';
import { notifyError } from '../../lib/notify.ts';
import { STATUS_COLORS, STATUS_LABELS } from './contact-words.ts';
import type { ContactOptions } from './use-contact-options.ts';

/**
 * One person's lists and tags, changed in place: add to a list, unsubscribe from one,
 * add or remove a tag. The same service calls as the bulk actions, for one id.
 */
export function DrawerMembership({
  contact,
  options,
  onChanged,
}: {
  contact: ContactDetail['contact'];
  options: ContactOptions | null;
  onChanged: () => void;
}) {
  const [listId, setListId] = useState('');
  const [tag, setTag] = useState('');
  const target = { ids: [contact.id] };
  const others = (options?.lists ?? []).filter((l) => !contact.lists.some((m) => m.id === l.id));
  const run = async (act: () => Promise<unknown>) => {
    try {
      await act();
      onChanged();
    } catch (err) {
      notifyError(err);
    }
  };

  return (
    <Stack gap="sm">
      <Title order={4}>Lists</Title>
      {contact.lists.length === 0 && (
        <Text size="sm" c="dimmed">
          On no list.
        </Text>
      )}
      <Group gap="xs" data-testid="drawer-lists">
        {contact.lists.map((l) => (
          <Badge
            key={l.id}
            color={STATUS_COLORS[l.status]}
            variant="light"
            rightSection={
              l.status === 'unsubscribed' ? undefined : (
                <ActionIcon
                  size="xs"
                  variant="transparent"
                  aria-label={`Unsubscribe from ${l.name}`}
                  onClick={() => run(() => call('contacts.bulk', { action: 'unsubscribe', target, listId: l.id }))}
                >
                  ×
                </ActionIcon>
              )
            }
          >
            {l.name}: {STATUS_LABELS[l.status]}
          </Badge>
        ))}
      </Group>
      {others.length > 0 && (
        <Group gap="xs" align="flex-end">
          <NativeSelect
            size="xs"
            aria-label="List to add to"
            value={listId || String(others[0]?.id ?? '')}
            onChange={(e) => setListId(e.currentTarget.value)}
            data={others.map((l) => ({ value: String(l.id), label: l.name }))}
            data-testid="drawer-list-choice"
          />
          <Button
            size="xs"
            variant="default"
            data-testid="drawer-add-to-list"
            onClick={() =>
              run(() =>
                call('contacts.bulk', {
                  action: 'add-to-list',
                  target,
                  listId: Number(listId || others[0]?.id),
                }),
              )
            }
          >
            Add to list
          </Button>
        </Group>
      )}
      <Title order={4}>Tags</Title>
      <Group gap="xs" data-testid="drawer-tags">
        {contact.tags.length === 0 && (
          <Text size="sm" c="dimmed">
            No tags.
          </Text>
        )}
        {contact.tags.map((t) => (
          <Badge
            key={t}
            variant="outline"
            color="gray"
            rightSection={
              <ActionIcon
                size="xs"
                variant="transparent"
                aria-label={`Remove the tag ${t}`}
                onClick={() => run(() => call('contacts.bulk', { action: 'untag', target, tag: t }))}
              >
                ×
              </ActionIcon>
            }
          >
            {t}
          </Badge>
        ))}
      </Group>
      <Group gap="xs" align="flex-end">
        <Autocomplete
          size="xs"
          aria-label="New tag"
          placeholder="New tag"
          value={tag}
          onChange={setTag}
          data={(options?.tags ?? []).map((t) => t.name).filter((n) => !contact.tags.includes(n))}
          maxLength={100}
          data-testid="drawer-tag-input"
        />
        <Button
          size="xs"
          variant="default"
          disabled={!tag.trim()}
          data-testid="drawer-add-tag"
          onClick={() =>
            run(async () => {
              await call('contacts.bulk', { action: 'tag', target, tag: tag.trim() });
              setTag('');
            })
          }
        >
          Add tag
        </Button>
      </Group>
    </Stack>
  );
}
