import { Button, Card, Group, Progress, Stack, Text } from '@mantine/core';
import type { ImportProgress } from '../../../../shared/domain/contacts.ts';

const PHASES: Record<ImportProgress['phase'], string> = {
  reading: 'Reading the file',
  checking: 'Checking every row',
  saving: 'Saving',
  done: 'Finished',
  cancelled: 'Cancelled',
  failed: 'Stopped',
};

/** The bar while a trial run or an import works, with Cancel. */
export function ImportRunning({
  progress,
  dryRun,
  onCancel,
  cancelling,
}: {
  progress: ImportProgress | null;
  dryRun: boolean;
  onCancel: () => void;
  cancelling: boolean;
}) {
  const pct = progress && progress.total > 0 ? Math.min(100, (progress.done / progress.total) * 100) : 0;
  return (
    <Card withBorder padding="lg" data-testid="import-running">
      <Stack gap="sm">
        <Text fw={600}>{dryRun ? 'Trial run…' : 'Importing…'}</Text>
        <Progress value={pct} animated size="lg" aria-label="Import progress" data-testid="import-progress" />
        <Group justify="space-between">
          <Text size="sm" c="dimmed" data-testid="import-progress-text">
            {progress
              ? `${PHASES[progress.phase]} · ${progress.records.toLocaleString()} rows · ${Math.round(pct)} %`
              : 'Starting…'}
          </Text>
          <Button variant="default" color="red" onClick={onCancel} loading={cancelling} data-testid="import-cancel">
            Cancel
          </Button>
        </Group>
        {!dryRun && (
          <Text size="xs" c="dimmed">
            Nothing is changed until the very end: if you cancel, your contacts and lists stay exactly as they were.
          </Text>
        )}
      </Stack>
    </Card>
  );
}
