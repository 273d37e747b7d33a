import { Alert, Button, Group, NativeSelect, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { SUPPRESSION_REASONS, type Suppression, type SuppressionReason } from '../../../../shared/domain/contacts.ts';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';
import { formatDate, REASON_LABELS } from './contact-words.ts';
import { RemoveSuppressionModal } from './RemoveSuppressionModal.tsx';
import { SaveFileButton } from './SaveFileButton.tsx';

/** The do-not-send list: nothing is ever sent to an address on it, whatever list the person is on. */
export function SuppressionsTab() {
  const [text, setText] = useState('');
  const [why, setWhy] = useState('');
  // Pages come newest first with a forward cursor; the cursors behind us make Previous.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [refreshKey, setRefreshKey] = useState(0);
  const [adding, setAdding] = useState(false);
  const [address, setAddress] = useState('');
  const [reason, setReason] = useState<SuppressionReason>('manual');
  const [note, setNote] = useState('');
  const [lifting, setLifting] = useState<string | null>(null);
  const page = useLoad(
    () =>
      call('suppressions.list', {
        limit: 50,
        ...(why ? { reason: why as SuppressionReason } : {}),
        ...(text.trim() ? { search: text.trim() } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    [text, why, cursor, refreshKey],
  );
  const refresh = () => setRefreshKey((k) => k + 1);

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Mailroom never sends to an address on this list. Imports can add to it but never take anyone off; only you can,
        one address at a time, with a reason.
      </Text>
      <Group align="flex-end">
        <TextInput
          label="Search"
          placeholder="Address"
          value={text}
          onChange={(e) => {
            setText(e.currentTarget.value);
            setCursors([]);
          }}
          w={260}
          data-testid="suppressions-search"
        />
        <NativeSelect
          label="Why"
          value={why}
          onChange={(e) => {
            setWhy(e.currentTarget.value);
            setCursors([]);
          }}
          data={[
            { value: '', label: 'Any reason' },
            ...SUPPRESSION_REASONS.map((r) => ({ value: r, label: REASON_LABELS[r] })),
          ]}
          data-testid="suppressions-reason"
        />
        <Group gap="xs" ml="auto">
          <Button variant="default" onClick={() => setAdding(true)} data-testid="suppressions-add">
            Add an address
          </Button>
          <SaveFileButton label="Export CSV" run={() => call('suppressions.export')} testId="suppressions-export" />
        </Group>
      </Group>
      {page.error && (
        <Alert color="red" variant="light" title="The list could not be read">
          {page.error.message}
        </Alert>
      )}
      <Text size="sm" c="dimmed" data-testid="suppressions-total">
        {page.data
          ? page.data.rows.length === 0 && cursors.length === 0
            ? 'Nobody is on the do-not-send list.'
            : `Page ${cursors.length + 1}, newest first`
          : 'Loading…'}
      </Text>
      <Table striped data-testid="suppressions-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Address</Table.Th>
            <Table.Th>Why</Table.Th>
            <Table.Th>From where</Table.Th>
            <Table.Th>Since</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(page.data?.rows ?? []).map((s: Suppression, i) => (
            <Table.Tr key={s.address ?? `erased-${i}`} data-testid={`suppression-row-${s.address ?? 'erased'}`}>
              <Table.Td style={{ wordBreak: 'break-all' }}>
                {s.address ?? (
                  <Text span c="dimmed" size="sm">
                    (erased contact: only a fingerprint is kept)
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{REASON_LABELS[s.reason]}</Table.Td>
              <Table.Td>
                {s.source}
                {s.detail && (
                  <Text size="xs" c="dimmed">
                    {s.detail}
                  </Text>
                )}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(s.at)}</Table.Td>
              <Table.Td>
                {s.address && (
                  <Button size="xs" variant="subtle" onClick={() => setLifting(s.address)}>
                    Remove…
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group justify="flex-end" gap="xs">
        <Button
          variant="default"
          size="xs"
          disabled={cursors.length === 0}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous
        </Button>
        <Button
          variant="default"
          size="xs"
          disabled={!page.data?.next}
          onClick={() => {
            const next = page.data?.next;
            if (next) setCursors((c) => [...c, next]);
          }}
          data-testid="suppressions-next"
        >
          Next
        </Button>
      </Group>
      <ConfirmModal
        opened={adding}
        onClose={() => setAdding(false)}
        title="Add an address to the do-not-send list"
        confirmLabel="Add"
        confirmTestId="suppressions-add-confirm"
        onConfirm={async () => {
          const r = await call('suppressions.add', { address, reason, ...(note.trim() ? { note: note.trim() } : {}) });
          notifySuccess(r.message);
          setAddress('');
          setNote('');
          refresh();
        }}
      >
        <TextInput
          label="Email address"
          value={address}
          onChange={(e) => setAddress(e.currentTarget.value)}
          data-testid="suppressions-add-address"
        />
        <NativeSelect
          label="Why"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value as SuppressionReason)}
          data={SUPPRESSION_REASONS.filter((r) => r !== 'erased').map((r) => ({ value: r, label: REASON_LABELS[r] }))}
        />
        <TextInput
          label="Note (optional)"
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          maxLength={500}
        />
      </ConfirmModal>
      {lifting && (
        <RemoveSuppressionModal
          address={lifting}
          opened={lifting !== null}
          onClose={() => setLifting(null)}
          onRemoved={refresh}
        />
      )}
    </Stack>
  );
}
