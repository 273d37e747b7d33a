import { Alert, Button, Group, Modal, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { ContactDetail, ContactField } from '../../../../shared/domain/contacts.ts';
import { call, type IpcError, toIpcError } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';

/** Changes one person's details by hand; an emptied custom field is removed. */
export function EditContactModal({
  detail,
  fields,
  opened,
  onClose,
  onSaved,
}: {
  detail: ContactDetail;
  fields: ContactField[];
  opened: boolean;
  onClose: () => void;
  onSaved: () => void;
}) {
  const c = detail.contact;
  const [address, setAddress] = useState(c.address);
  const [firstName, setFirstName] = useState(c.firstName);
  const [lastName, setLastName] = useState(c.lastName);
  const [company, setCompany] = useState(c.company);
  const [values, setValues] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  useEffect(() => {
    if (!opened) return;
    setAddress(c.address);
    setFirstName(c.firstName);
    setLastName(c.lastName);
    setCompany(c.company);
    setValues(Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, String(v)])));
    setError(null);
  }, [opened, c]);

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const patchFields: Record<string, string | number | null> = {};
      for (const f of fields) {
        const typed = (values[f.key] ?? '').trim();
        const before = c.fields[f.key];
        if (typed === (before === undefined ? '' : String(before))) continue;
        patchFields[f.key] =
          typed === '' ? null : f.type === 'number' && Number.isFinite(Number(typed)) ? Number(typed) : typed;
      }
      await call('contacts.update', {
        id: c.id,
        patch: {
          ...(address.trim() !== c.address ? { address } : {}),
          firstName,
          lastName,
          company,
          ...(Object.keys(patchFields).length ? { fields: patchFields } : {}),
        },
      });
      notifySuccess('Saved.');
      onClose();
      onSaved();
    } catch (err) {
      setError(toIpcError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={`Edit ${c.address}`} size="lg" centered>
      <Stack gap="sm">
        <TextInput
          label="Email address"
          value={address}
          onChange={(e) => setAddress(e.currentTarget.value)}
          data-testid="edit-address"
        />
        <SimpleGrid cols={3}>
          <TextInput
            label="First name"
            value={firstName}
            onChange={(e) => setFirstName(e.currentTarget.value)}
            data-testid="edit-first-name"
          />
          <TextInput label="Last name" value={lastName} onChange={(e) => setLastName(e.currentTarget.value)} />
          <TextInput label="Company" value={company} onChange={(e) => setCompany(e.currentTarget.value)} />
        </SimpleGrid>
        {fields.length > 0 && (
          <SimpleGrid cols={2}>
            {fields.map((f) => (
              <TextInput
                key={f.key}
                label={f.label}
                placeholder={f.type === 'date' ? 'YYYY-MM-DD' : f.type === 'number' ? 'a number' : ''}
                value={values[f.key] ?? ''}
                onChange={(e) => {
                  const v = e.currentTarget.value;
                  setValues((all) => ({ ...all, [f.key]: v }));
                }}
                data-testid={`edit-field-${f.key}`}
              />
            ))}
          </SimpleGrid>
        )}
        {error && (
          <Alert color="red" variant="light" role="alert" title="Not saved">
            {error.message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={saving}>
            Cancel
          </Button>
          <Button onClick={save} loading={saving} data-testid="edit-save">
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
