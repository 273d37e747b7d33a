import { Alert, Badge, Button, Drawer, Group, Loader, ScrollArea, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { ContactDetail, ContactField } from '../../../../shared/domain/contacts.ts';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';
import { formatDate, REASON_LABELS } from './contact-words.ts';
import { DrawerMembership } from './DrawerMembership.tsx';
import { EditContactModal } from './EditContactModal.tsx';
import { RemoveSuppressionModal } from './RemoveSuppressionModal.tsx';
import type { ContactOptions } from './use-contact-options.ts';

/** One contact: lists, tags, fields, how they were added, why not to send to them, and mail sent to them. */
export function ContactDrawer({
  id,
  onClose,
  onChanged,
  refreshKey,
  options,
}: {
  id: number | null;
  onClose: () => void;
  onChanged: () => void;
  refreshKey: number;
  options: ContactOptions | null;
}) {
  const detail = useLoad(() => (id ? call('contacts.get', { id }) : Promise.resolve(null)), [id, refreshKey]);
  const d = detail.data;
  return (
    <Drawer
      opened={id !== null}
      onClose={onClose}
      position="right"
      size="xl"
      title={<Title order={3}>{d?.contact.address ?? 'Contact'}</Title>}
      scrollAreaComponent={ScrollArea.Autosize}
      data-testid="contact-drawer"
    >
      {detail.error && (
        <Alert color="red" variant="light" title="This contact could not be read">
          {detail.error.message}
        </Alert>
      )}
      {!d && !detail.error && <Loader aria-label="Loading the contact" />}
      {d && (
        <DrawerBody
          d={d}
          options={options}
          onChanged={onChanged}
          onErased={() => {
            onClose();
            onChanged();
          }}
        />
      )}
    </Drawer>
  );
}

function DrawerBody({
  d,
  options,
  onChanged,
  onErased,
}: {
  d: ContactDetail;
  options: ContactOptions | null;
  onChanged: () => void;
  onErased: () => void;
}) {
  const fieldList: ContactField[] = options?.fields ?? [];
  const { contact, consent, suppression, deliveries } = d;
  const [lifting, setLifting] = useState(false);
  const [editing, setEditing] = useState(false);
  const [erasing, setErasing] = useState(false);
  const labelOf = (key: string) => fieldList.find((f) => f.key === key)?.label ?? key;
  const fields = Object.entries(contact.fields);
  return (
    <Stack gap="md">
      <Group gap="xs">
        <Button size="xs" variant="default" onClick={() => setEditing(true)} data-testid="drawer-edit">
          Edit
        </Button>
        <Button size="xs" variant="light" color="red" onClick={() => setErasing(true)} data-testid="drawer-erase">
          Delete for good…
        </Button>
      </Group>
      <Table variant="vertical" withRowBorders={false} verticalSpacing={4}>
        <Table.Tbody>
          <Row label="Name" value={[contact.firstName, contact.lastName].filter(Boolean).join(' ') || '—'} />
          <Row label="Company" value={contact.company || '—'} />
          {fields.map(([k, v]) => (
            <Row key={k} label={labelOf(k)} value={String(v)} />
          ))}
          <Row label="Added" value={formatDate(contact.createdAt)} />
        </Table.Tbody>
      </Table>

      <Title order={4}>Do not send</Title>
      {suppression ? (
        <Alert color="red" variant="light" data-testid="drawer-suppression" title={REASON_LABELS[suppression.reason]}>
          <Stack gap={4}>
            <Text size="sm">
              Since {formatDate(suppression.at)} · {suppression.source}
            </Text>
            {suppression.detail && <Text size="sm">{suppression.detail}</Text>}
            <Text size="sm">Mailroom will not send anything to this address.</Text>
            <Group>
              <Button
                size="xs"
                variant="default"
                onClick={() => setLifting(true)}
                data-testid="drawer-remove-suppression"
              >
                Allow mail to this address again…
              </Button>
            </Group>
          </Stack>
        </Alert>
      ) : (
        <Text size="sm" c="dimmed" data-testid="drawer-no-suppression">
          Not on the do-not-send list.
        </Text>
      )}

      <DrawerMembership contact={contact} options={options} onChanged={onChanged} />

      <Title order={4}>How they were added (consent)</Title>
      <Table variant="vertical" withRowBorders={false} verticalSpacing={4} data-testid="drawer-consent">
        <Table.Tbody>
          <Row label="How" value={consent.source === 'manual' ? 'Typed in by hand' : 'Imported from a file'} />
          <Row label="When" value={formatDate(consent.at)} />
          <Row label="Reason given" value={consent.basis ?? 'none given'} />
          {consent.import && (
            <>
              <Row label="File" value={consent.import.fileName} />
              <Row label="File fingerprint (SHA-256)" value={consent.import.sha256} />
            </>
          )}
          {Object.entries(consent.detail ?? {}).map(([k, v]) => (
            <Row key={k} label={k} value={v} />
          ))}
        </Table.Tbody>
      </Table>

      <Title order={4}>Mail sent to this address</Title>
      {deliveries.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="drawer-no-deliveries">
          Nothing sent yet.
        </Text>
      ) : (
        <Table striped verticalSpacing={4} data-testid="drawer-deliveries">
          <Table.Tbody>
            {deliveries.map((x) => (
              <Table.Tr key={x.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(x.createdAt)}</Table.Td>
                <Table.Td>{x.subject ?? '(no subject)'}</Table.Td>
                <Table.Td>
                  <Badge variant="light">{x.status}</Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <EditContactModal
        detail={d}
        fields={fieldList}
        opened={editing}
        onClose={() => setEditing(false)}
        onSaved={onChanged}
      />
      <ConfirmModal
        opened={erasing}
        onClose={() => setErasing(false)}
        title={`Delete ${contact.address} for good?`}
        confirmLabel="Delete for good"
        confirmColor="red"
        confirmTestId="drawer-erase-confirm"
        onConfirm={async () => {
          const r = await call('contacts.remove', { ids: [contact.id] });
          notifySuccess(r.message);
          onErased();
        }}
      >
        <Text size="sm">
          This erases the person: their name, details, tags and list places are removed for good, as a request to be
          forgotten needs. Mailroom keeps only a scrambled fingerprint of the address on the do-not-send list, so a
          later import cannot add them back by mistake.
        </Text>
      </ConfirmModal>
      {suppression?.address && (
        <RemoveSuppressionModal
          address={suppression.address}
          opened={lifting}
          onClose={() => setLifting(false)}
          onRemoved={onChanged}
        />
      )}
    </Stack>
  );
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <Table.Tr>
      <Table.Th w={200}>{label}</Table.Th>
      <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
    </Table.Tr>
  );
}
