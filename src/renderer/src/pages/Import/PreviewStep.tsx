import { Alert, Badge, Group, NativeSelect, ScrollArea, Stack, Table, Text } from '@mantine/core';
import type { ImportPreview } from '../../../../shared/domain/contacts.ts';
import { DELIMITERS, ENCODINGS, recognisedLabel, sizeText } from './import-words.ts';

/** Step 2: what Mailroom read, decoded, with the way of reading it open to change. */
export function PreviewStep({
  preview,
  onReread,
  loading,
}: {
  preview: ImportPreview;
  onReread: (change: { encoding?: string; delimiter?: string }) => void;
  loading: boolean;
}) {
  const { layout } = preview;
  const recognised = recognisedLabel(layout.recognised);
  const encodings = ENCODINGS.some((e) => e.value === layout.encoding)
    ? ENCODINGS
    : [{ value: layout.encoding, label: layout.encoding }, ...ENCODINGS];
  return (
    <Stack gap="md">
      <Group gap="sm">
        <Text fw={600}>{preview.fileName}</Text>
        <Text size="sm" c="dimmed">
          {sizeText(preview.fileSize)}
        </Text>
        {recognised && (
          <Badge variant="light" color="teal" data-testid="import-recognised">
            Recognised: {recognised}
          </Badge>
        )}
      </Group>
      {/* A vCard says its own character set per line; text files can be read another way. */}
      {layout.format !== 'vcard' && (
        <Group align="flex-end">
          <NativeSelect
            label="Characters written as"
            description="If letters like é, ü or € look wrong below, try another."
            value={layout.encoding}
            onChange={(e) => onReread({ encoding: e.currentTarget.value })}
            data={encodings}
            disabled={loading}
            data-testid="import-encoding"
          />
          {layout.format === 'csv' && (
            <NativeSelect
              label="Columns separated by"
              description="If everything is in one column, try another."
              value={layout.delimiter ?? ','}
              onChange={(e) => onReread({ delimiter: e.currentTarget.value })}
              data={DELIMITERS}
              disabled={loading}
              data-testid="import-delimiter"
            />
          )}
        </Group>
      )}
      {preview.notes.map((n) => (
        <Alert key={n} variant="light" color="blue" data-testid="import-note">
          {n}
        </Alert>
      ))}
      <Text size="sm" c="dimmed">
        The first rows as Mailroom reads them:
      </Text>
      <ScrollArea>
        <Table striped withTableBorder withColumnBorders data-testid="import-preview-table">
          <Table.Thead>
            <Table.Tr>
              {preview.columns.map((c) => (
                <Table.Th key={c.index} style={{ whiteSpace: 'nowrap' }}>
                  {c.name || `(column ${c.index + 1})`}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.rows.map((row, r) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: preview rows are fixed and never reordered.
              <Table.Tr key={r}>
                {preview.columns.map((c) => (
                  <Table.Td key={c.index} style={{ whiteSpace: 'pre-wrap', maxWidth: 260 }}>
                    {row[c.index] ?? ''}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Stack>
  );
}
