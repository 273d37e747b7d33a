import { Alert, NativeSelect, Radio, Stack, TagsInput, Text, TextInput, Title } from '@mantine/core';
import type { ExistingMode, ListSummary } from '../../../../shared/domain/contacts.ts';
import { BASIS_CHOICES, EXISTING_CHOICES } from './import-words.ts';

export interface WizardOptions {
  /** A list id as text, or '' for a new list named `newList`. */
  listId: string;
  newList: string;
  tags: string[];
  /** One of BASIS_CHOICES, or 'other' with `otherBasis`. */
  basis: string;
  otherBasis: string;
  existing: ExistingMode;
}

/** Step 4: where the people go, how they agreed to hear from you, and what to do with people already known. */
export function OptionsStep({
  value,
  onChange,
  lists,
  tagNames,
  suppressionFile,
}: {
  value: WizardOptions;
  onChange: (o: WizardOptions) => void;
  lists: ListSummary[];
  tagNames: string[];
  suppressionFile: boolean;
}) {
  const set = (change: Partial<WizardOptions>) => onChange({ ...value, ...change });
  return (
    <Stack gap="lg">
      {suppressionFile && (
        <Alert color="blue" variant="light" title="These people asked not to get mail">
          This file lists people who unsubscribed or whose address stopped working. They go on your do-not-send list;
          anyone not yet in your contacts is kept as a contact marked “do not send”, so a later import cannot bring them
          back.
        </Alert>
      )}
      <Stack gap="xs">
        <Title order={5}>Add them to a list</Title>
        <NativeSelect
          label="List"
          value={value.listId}
          onChange={(e) => set({ listId: e.currentTarget.value })}
          data={[
            { value: '', label: 'A new list…' },
            ...lists.map((l) => ({
              value: String(l.id),
              label: `${l.name} (${l.subscribed.toLocaleString()} subscribed)`,
            })),
          ]}
          data-testid="import-list"
        />
        {value.listId === '' && (
          <TextInput
            label="Name of the new list"
            value={value.newList}
            onChange={(e) => set({ newList: e.currentTarget.value })}
            maxLength={100}
            data-testid="import-new-list"
          />
        )}
        <TagsInput
          label="Tags for everyone in this file (optional)"
          description="Given to everyone in the file, people you already have too."
          placeholder="Type a tag and press Enter"
          value={value.tags}
          onChange={(tags) => set({ tags })}
          data={tagNames}
          data-testid="import-tags"
        />
      </Stack>
      <Stack gap="xs">
        <Title order={5}>How did these people agree to hear from you?</Title>
        <Text size="sm" c="dimmed">
          Kept with each person as evidence of consent, with the file’s name and fingerprint, in case anyone asks.
        </Text>
        <Radio.Group value={value.basis} onChange={(basis) => set({ basis })} data-testid="import-basis">
          <Stack gap={6}>
            {BASIS_CHOICES.map((b) => (
              <Radio key={b} value={b} label={b} />
            ))}
            <Radio value="other" label="Another way…" />
          </Stack>
        </Radio.Group>
        {value.basis === 'other' && (
          <TextInput
            aria-label="Another way"
            placeholder="e.g. they entered our prize draw and ticked the box"
            value={value.otherBasis}
            onChange={(e) => set({ otherBasis: e.currentTarget.value })}
            maxLength={200}
            data-testid="import-basis-other"
          />
        )}
      </Stack>
      <Stack gap="xs">
        <Title order={5}>People you already have</Title>
        <Radio.Group
          value={value.existing}
          onChange={(v) => set({ existing: v as ExistingMode })}
          data-testid="import-existing"
        >
          <Stack gap="sm">
            {EXISTING_CHOICES.map((c) => (
              <Radio
                key={c.value}
                value={c.value}
                label={c.label}
                description={c.explain}
                data-testid={`import-existing-${c.value}`}
              />
            ))}
          </Stack>
        </Radio.Group>
        <Alert variant="light" color="gray" data-testid="import-suppression-note">
          Whatever you choose, nobody who unsubscribed or is on your do-not-send list is changed: they stay unsubscribed
          and get no mail.
        </Alert>
      </Stack>
    </Stack>
  );
}
