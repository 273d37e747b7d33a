import { Alert, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ImportReport } from '../../../../shared/domain/contacts.ts';
import { COUNT_LABELS } from './import-words.ts';
import { ProblemTable } from './ProblemTable.tsx';

/** The counts and problem rows of a dry run or of a finished import. */
export function ReportView({ report }: { report: ImportReport }) {
  return (
    <Stack gap="md">
      {report.dryRun ? (
        <Alert color="blue" variant="light" title="Trial run: nothing has been saved yet" data-testid="dry-run-note">
          This is what importing the file would do.
        </Alert>
      ) : (
        <Alert color="green" variant="light" title="Import finished" data-testid="import-done">
          Everything below is saved. Changed your mind? Undo it below, now or later from this Import tab.
        </Alert>
      )}
      <SimpleGrid cols={{ base: 2, sm: 4 }} data-testid="import-counts">
        {COUNT_LABELS.filter(({ key, always }) => always || (report[key] ?? 0) > 0).map(({ key, label }) => (
          <Stack key={key} gap={0} data-testid={`count-${key}`}>
            <Text size="xl" fw={700}>
              {(report[key] ?? 0).toLocaleString()}
            </Text>
            <Text size="xs" c="dimmed">
              {report.dryRun && key === 'added' ? 'New people to add' : label}
            </Text>
          </Stack>
        ))}
      </SimpleGrid>
      {report.notes.length > 0 && (
        <Alert color="yellow" variant="light" title="About the file" data-testid="import-notes">
          {report.notes.map((note) => (
            <Text key={note} size="sm">
              {note}
            </Text>
          ))}
        </Alert>
      )}
      <Group gap="xs">
        <Title order={5}>Rows to look at</Title>
      </Group>
      <ProblemTable problems={report.problems} total={report.problemCount} />
    </Stack>
  );
}
