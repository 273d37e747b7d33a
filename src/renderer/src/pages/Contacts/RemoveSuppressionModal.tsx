import { Text, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';

/** Lifting a suppression is deliberate: one address, a reason typed by the user, kept on record. */
export function RemoveSuppressionModal({
  address,
  opened,
  onClose,
  onRemoved,
}: {
  address: string;
  opened: boolean;
  onClose: () => void;
  onRemoved: () => void;
}) {
  const [reason, setReason] = useState('');
  useEffect(() => {
    if (opened) setReason('');
  }, [opened]);
  return (
    <ConfirmModal
      opened={opened}
      onClose={onClose}
      title="Allow mail to this address again?"
      confirmLabel="Allow mail again"
      confirmColor="red"
      confirmTestId="remove-suppression-confirm"
      onConfirm={async () => {
        if (reason.trim().length < 3) throw new Error('Write why this address may receive mail again.');
        await call('suppressions.remove', { address, reason: reason.trim() });
        notifySuccess(`${address} may receive mail again.`);
        onRemoved();
      }}
    >
      <Text size="sm">
        {address} is on the do-not-send list, usually because the person unsubscribed, complained or the address
        bounced. Only take it off if you are sure they want your mail again, for example they asked you to. Your reason
        is kept with the record.
      </Text>
      <Textarea
        label="Why may this address receive mail again?"
        required
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        maxLength={500}
        autosize
        minRows={2}
        data-testid="remove-suppression-reason"
      />
    </ConfirmModal>
  );
}
