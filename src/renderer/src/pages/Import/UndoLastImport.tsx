import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';
import { formatDate, plural } from '../Contacts/contact-words.ts';

/** The most recent import that is still in place, with a way to take it back. */
export function UndoLastImport({ refreshKey = 0, onUndone }: { refreshKey?: number; onUndone?: () => void }) {
  const imports = useLoad(() => call('imports.list'), [refreshKey]);
  const [asking, setAsking] = useState(false);
  const last = (imports.data ?? []).filter((i) => i.state === 'committed').sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!last) return null;
  return (
    <Card withBorder padding="md" data-testid="undo-last-import">
      <Group justify="space-between">
        <Stack gap={0}>
          <Title order={5}>Last import: {last.fileName}</Title>
          <Text size="sm" c="dimmed">
            {formatDate(last.createdAt)} · {plural(last.counts.added, 'new person', 'new people')},{' '}
            {plural(last.counts.updated, 'person', 'people')} updated
          </Text>
        </Stack>
        <Button variant="default" color="red" onClick={() => setAsking(true)} data-testid="import-undo">
          Undo this import…
        </Button>
      </Group>
      <ConfirmModal
        opened={asking}
        onClose={() => setAsking(false)}
        title={`Undo the import of ${last.fileName}?`}
        confirmLabel="Undo the import"
        confirmColor="red"
        confirmTestId="import-undo-confirm"
        onConfirm={async () => {
          await call('imports.undo', { importId: last.id });
          notifySuccess(`The import of ${last.fileName} was undone.`);
          await imports.reload();
          onUndone?.();
        }}
      >
        <Text size="sm">
          The {plural(last.counts.added, 'person', 'people')} it added are removed, and the details it changed on people
          you already had go back to what they were. Anyone who unsubscribed or was put on the do-not-send list since
          stays there.
        </Text>
      </ConfirmModal>
    </Card>
  );
}
