import { Alert, Button, Group, Modal, MultiSelect, SimpleGrid, Stack, TagsInput, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { call, type IpcError, toIpcError } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import type { ContactOptions } from './use-contact-options.ts';

/** One person typed by hand; the consent record says so, with the reason the user gives. */
export function AddContactModal({
  opened,
  options,
  onClose,
  onAdded,
}: {
  opened: boolean;
  options: ContactOptions | null;
  onClose: () => void;
  onAdded: (id: number) => void;
}) {
  const [address, setAddress] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [company, setCompany] = useState('');
  const [listIds, setListIds] = useState<string[]>([]);
  const [tags, setTags] = useState<string[]>([]);
  const [basis, setBasis] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  useEffect(() => {
    if (!opened) return;
    setAddress('');
    setFirstName('');
    setLastName('');
    setCompany('');
    setListIds([]);
    setTags([]);
    setBasis('');
    setError(null);
  }, [opened]);

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const detail = await call('contacts.add', {
        address,
        firstName,
        lastName,
        company,
        tags,
        listIds: listIds.map(Number),
        ...(basis.trim() ? { basis: basis.trim() } : {}),
      });
      notifySuccess(`${detail.contact.address} added.`);
      onClose();
      onAdded(detail.contact.id);
    } catch (err) {
      setError(toIpcError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Add a contact" size="lg" centered>
      <Stack gap="sm">
        <TextInput
          label="Email address"
          required
          value={address}
          onChange={(e) => setAddress(e.currentTarget.value)}
          maxLength={320}
          data-testid="add-address"
        />
        <SimpleGrid cols={3}>
          <TextInput
            label="First name"
            value={firstName}
            onChange={(e) => setFirstName(e.currentTarget.value)}
            data-testid="add-first-name"
          />
          <TextInput label="Last name" value={lastName} onChange={(e) => setLastName(e.currentTarget.value)} />
          <TextInput label="Company" value={company} onChange={(e) => setCompany(e.currentTarget.value)} />
        </SimpleGrid>
        <MultiSelect
          label="Lists"
          placeholder="Subscribe to…"
          data={(options?.lists ?? []).map((l) => ({ value: String(l.id), label: l.name }))}
          value={listIds}
          onChange={setListIds}
          data-testid="add-lists"
        />
        <TagsInput
          label="Tags"
          placeholder="Type a tag and press Enter"
          data={(options?.tags ?? []).map((t) => t.name)}
          value={tags}
          onChange={setTags}
          data-testid="add-tags"
        />
        <TextInput
          label="How did this person agree to hear from you?"
          description="Kept as the proof of consent, e.g. “asked me at the shop counter”."
          value={basis}
          onChange={(e) => setBasis(e.currentTarget.value)}
          maxLength={200}
          data-testid="add-basis"
        />
        {error && (
          <Alert color="red" variant="light" role="alert" title="The contact was not added">
            {error.message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={saving}>
            Cancel
          </Button>
          <Button onClick={save} loading={saving} disabled={!address.trim()} data-testid="add-save">
            Add contact
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
