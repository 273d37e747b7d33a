import { Button, Card, Group, List, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { ChosenFile } from '../../../../shared/ipc/contacts-contract.ts';
import { call } from '../../lib/ipc.ts';
import { notifyError } from '../../lib/notify.ts';
import { UndoLastImport } from './UndoLastImport.tsx';

/** Step 1: pick the file in the computer's own file window. */
export function ChooseFileStep({ onChosen }: { onChosen: (file: ChosenFile) => void }) {
  const [busy, setBusy] = useState(false);
  const choose = async () => {
    setBusy(true);
    try {
      const file = await call('imports.chooseFile');
      if (file) onChosen(file);
    } catch (err) {
      notifyError(err, 'The file could not be opened');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Stack gap="md">
      <Card withBorder padding="lg">
        <Stack gap="sm">
          <Title order={4}>Bring in your contacts</Title>
          <Text size="sm">
            Choose the file you have: a spreadsheet saved as CSV or text, an export from Mailchimp, Outlook, Google
            Contacts or Shopify, contact cards (.vcf), or a plain list with one address per line. Mailroom works out how
            the file is written and shows you what it read before anything is saved.
          </Text>
          <List size="sm" c="dimmed">
            <List.Item>Nothing changes until you press Import, after a trial run that shows every problem.</List.Item>
            <List.Item>
              People who unsubscribed or are on your do-not-send list stay that way, whatever the file says.
            </List.Item>
            <List.Item>You can undo an import afterwards.</List.Item>
          </List>
          <Group>
            <Button onClick={choose} loading={busy} data-testid="import-choose">
              Choose a file…
            </Button>
          </Group>
        </Stack>
      </Card>
      <UndoLastImport />
    </Stack>
  );
}
