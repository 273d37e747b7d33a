import { Badge, Button, Group, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { ImportProblem } from '../../../../shared/domain/contacts.ts';
import { PROBLEM_LABELS } from './import-words.ts';

const PAGE = 25;
const COLORS: Record<string, string> = {
  'no-address': 'orange',
  invalid: 'red',
  duplicate: 'yellow',
  malformed: 'red',
  warning: 'blue',
  normalised: 'gray',
};

/** Every problem row: which record, which line of the file, what was in it and why it matters. */
export function ProblemTable({ problems, total }: { problems: ImportProblem[]; total: number }) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(problems.length / PAGE));
  const shown = problems.slice(page * PAGE, page * PAGE + PAGE);
  if (total === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="problems-none">
        No problems: every row can be imported as it is.
      </Text>
    );
  }
  return (
    <Stack gap="xs">
      <Table striped data-testid="problems-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Row</Table.Th>
            <Table.Th>Line</Table.Th>
            <Table.Th>Problem</Table.Th>
            <Table.Th>Value</Table.Th>
            <Table.Th>What it means</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((p) => (
            <Table.Tr key={`${p.record}-${p.kind}-${p.reason}`} data-testid="problem-row" data-kind={p.kind}>
              <Table.Td>{p.record}</Table.Td>
              <Table.Td>{p.line}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Badge variant="light" color={COLORS[p.kind] ?? 'gray'} style={{ overflow: 'visible' }}>
                  {PROBLEM_LABELS[p.kind] ?? p.kind}
                </Badge>
              </Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere', minWidth: 140, maxWidth: 260 }}>{p.value ?? ''}</Table.Td>
              <Table.Td>
                <Text size="sm">{p.reason}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group justify="space-between">
        <Text size="xs" c="dimmed" data-testid="problems-count">
          {total.toLocaleString()} {total === 1 ? 'problem' : 'problems'}
          {total > problems.length
            ? ` (the first ${problems.length.toLocaleString()} shown; the downloaded report has them all)`
            : ''}
        </Text>
        {pages > 1 && (
          <Group gap="xs">
            <Text size="xs" c="dimmed">
              Page {page + 1} of {pages}
            </Text>
            <Button size="xs" variant="default" disabled={page === 0} onClick={() => setPage(page - 1)}>
              Previous
            </Button>
            <Button
              size="xs"
              variant="default"
              disabled={page + 1 >= pages}
              onClick={() => setPage(page + 1)}
              data-testid="problems-next"
            >
              Next
            </Button>
          </Group>
        )}
      </Group>
    </Stack>
  );
}
