import { Alert, Button, Group, NativeSelect, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { ContactField, FieldType, ImportMapping, ImportPreview } from '../../../../shared/domain/contacts.ts';
import { columnLabels, keyFromLabel } from './column-labels.ts';
import { BUILTIN_TARGETS, CUSTOM_FIELD_PREFIX } from './import-words.ts';

const NEW_FIELD = '__new__';

/** A custom field this import will create, with the type of its values. */
export interface NewField {
  key: string;
  label: string;
  type: FieldType;
}

/** Step 3: which column holds what. One choice per column; a new custom field can be made here. */
export function MappingStep({
  preview,
  mapping,
  onMapping,
  fields,
  newFields,
  onFieldCreated,
}: {
  preview: ImportPreview;
  mapping: ImportMapping;
  onMapping: (m: ImportMapping) => void;
  fields: ContactField[];
  newFields: NewField[];
  onFieldCreated: (f: NewField) => void;
}) {
  const labels = columnLabels(preview.columns);
  const [creatingFor, setCreatingFor] = useState<number | null>(null);
  const fieldOf = (column: number) => Object.entries(mapping).find(([, c]) => c === column)?.[0] ?? '';
  const assign = (column: number, field: string) => {
    // One column per field: choosing a field for this column takes it off any other.
    const next: ImportMapping = {};
    for (const [f, c] of Object.entries(mapping)) if (c !== column && f !== field) next[f] = c;
    if (field) next[field] = column;
    onMapping(next);
  };
  const targets = [
    { value: '', label: 'Do not import' },
    ...BUILTIN_TARGETS,
    ...fields.map((f) => ({ value: CUSTOM_FIELD_PREFIX + f.key, label: `${f.label} (${f.type})` })),
    ...newFields.map((f) => ({ value: CUSTOM_FIELD_PREFIX + f.key, label: `${f.label} (new, ${f.type})` })),
    { value: NEW_FIELD, label: 'New field…' },
  ];

  return (
    <Stack gap="md">
      <Text size="sm">
        Tell Mailroom what each column holds. Columns set to “Do not import” are left out. Only the email address is
        needed.
      </Text>
      {mapping.email === undefined && (
        <Alert color="orange" variant="light" data-testid="mapping-no-email">
          Choose the column with the email addresses.
        </Alert>
      )}
      <Table striped data-testid="mapping-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Column in the file</Table.Th>
            <Table.Th>First values</Table.Th>
            <Table.Th>Import as</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {preview.columns.map((c, i) => (
            <Table.Tr key={c.index}>
              <Table.Td fw={600}>{labels[i]}</Table.Td>
              <Table.Td>
                <Text size="xs" c="dimmed" lineClamp={2} maw={320}>
                  {c.samples.filter(Boolean).slice(0, 3).join(' · ')}
                </Text>
              </Table.Td>
              <Table.Td>
                <NativeSelect
                  aria-label={`Import ${labels[i]} as`}
                  value={fieldOf(c.index)}
                  onChange={(e) => {
                    const v = e.currentTarget.value;
                    if (v === NEW_FIELD) setCreatingFor(c.index);
                    else assign(c.index, v);
                  }}
                  data={targets}
                  data-testid={`mapping-${c.index}`}
                />
                {creatingFor === c.index && (
                  <NewFieldForm
                    suggested={c.name}
                    onCancel={() => setCreatingFor(null)}
                    onCreated={(f) => {
                      setCreatingFor(null);
                      onFieldCreated(f);
                      assign(c.index, CUSTOM_FIELD_PREFIX + f.key);
                    }}
                  />
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function NewFieldForm({
  suggested,
  onCancel,
  onCreated,
}: {
  suggested: string;
  onCancel: () => void;
  onCreated: (f: NewField) => void;
}) {
  const [label, setLabel] = useState(suggested.trim());
  const [type, setType] = useState<FieldType>('text');
  // The field is created by the import itself, so a cancelled import leaves no empty field behind.
  const create = () => onCreated({ key: keyFromLabel(label), label: label.trim(), type });
  return (
    <Stack gap={6} mt="xs" data-testid="new-field-form">
      <TextInput
        size="xs"
        label="Name of the new field"
        value={label}
        onChange={(e) => setLabel(e.currentTarget.value)}
        maxLength={100}
        description={label.trim() ? `In a newsletter: {{ ${keyFromLabel(label)} }}` : undefined}
        data-testid="new-field-label"
      />
      <NativeSelect
        size="xs"
        label="Holds"
        value={type}
        onChange={(e) => setType(e.currentTarget.value as FieldType)}
        data={[
          { value: 'text', label: 'Text' },
          { value: 'number', label: 'A number' },
          { value: 'date', label: 'A date' },
        ]}
        data-testid="new-field-type"
      />
      <Group gap="xs">
        <Button size="xs" onClick={create} disabled={!label.trim()} data-testid="new-field-create">
          Use this field
        </Button>
        <Button size="xs" variant="subtle" onClick={onCancel}>
          Cancel
        </Button>
      </Group>
    </Stack>
  );
}
