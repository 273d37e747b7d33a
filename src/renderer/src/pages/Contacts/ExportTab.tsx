import { Card, Group, NativeSelect, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { call } from '../../lib/ipc.ts';
import { SaveFileButton } from './SaveFileButton.tsx';
import { useContactOptions } from './use-contact-options.ts';

/** Take the data away: a list, a segment or the do-not-send list as a spreadsheet file. */
export function ExportTab() {
  const options = useContactOptions();
  const lists = options.data?.lists ?? [];
  const segments = options.data?.segments ?? [];
  const [listId, setListId] = useState('');
  const [segmentId, setSegmentId] = useState('');
  const list = listId || String(lists[0]?.id ?? '');
  const segment = segmentId || String(segments[0]?.id ?? '');

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Files open in Excel, Numbers or LibreOffice as they are (UTF-8 with a byte-order mark), with each person’s lists
        and their status there, tags and fields. Cells that a spreadsheet could run as a formula are written as plain
        text.
      </Text>
      <Card withBorder>
        <Stack gap="sm">
          <Title order={4}>A list</Title>
          <Group align="flex-end">
            <NativeSelect
              label="List"
              value={list}
              onChange={(e) => setListId(e.currentTarget.value)}
              data={lists.map((l) => ({ value: String(l.id), label: l.name }))}
              disabled={!lists.length}
              data-testid="export-list"
            />
            <SaveFileButton
              label="Export the list"
              disabled={!list}
              run={() => call('contacts.export', { listId: Number(list) })}
              testId="export-list-button"
            />
          </Group>
        </Stack>
      </Card>
      <Card withBorder>
        <Stack gap="sm">
          <Title order={4}>A segment</Title>
          <Group align="flex-end">
            <NativeSelect
              label="Segment"
              value={segment}
              onChange={(e) => setSegmentId(e.currentTarget.value)}
              data={segments.map((s) => ({ value: String(s.id), label: s.name }))}
              disabled={!segments.length}
            />
            <SaveFileButton
              label="Export the segment"
              disabled={!segment}
              run={() => call('contacts.export', { segmentId: Number(segment) })}
              testId="export-segment-button"
            />
          </Group>
        </Stack>
      </Card>
      <Card withBorder>
        <Group justify="space-between">
          <Stack gap={0}>
            <Title order={4}>The do-not-send list</Title>
            <Text size="sm" c="dimmed">
              Every address Mailroom will not send to, with why, from where and since when.
            </Text>
          </Stack>
          <SaveFileButton label="Export" run={() => call('suppressions.export')} testId="export-suppressions-button" />
        </Group>
      </Card>
    </Stack>
  );
}
