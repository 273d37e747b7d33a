import { Alert, Button, Group, Modal, Stack } from '@mantine/core';
import { type ReactNode, useEffect, useState } from 'react';
import { type IpcError, toIpcError } from '../../lib/ipc.ts';

interface ConfirmModalProps {
  opened: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  confirmColor?: string;
  confirmTestId?: string;
  /** The action; the modal stays open with the error sentence if it throws, and closes when it resolves. */
  onConfirm: () => Promise<void>;
}

/** Asks before an action that cannot be undone, runs it, and shows its error in place. */
export function ConfirmModal(props: ConfirmModalProps) {
  const { opened, onClose, title, children, confirmLabel, confirmColor, confirmTestId, onConfirm } = props;
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  useEffect(() => {
    if (opened) setError(null);
  }, [opened]);

  const confirm = async () => {
    setRunning(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(toIpcError(err));
    } finally {
      setRunning(false);
    }
  };

  return (
    <Modal
      opened={opened}
      onClose={() => !running && onClose()}
      title={title}
      closeOnClickOutside={!running}
      closeOnEscape={!running}
      centered
    >
      <Stack gap="md">
        {children}
        {error && (
          <Alert color="red" variant="light" role="alert" title="That did not work">
            {error.message}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose} disabled={running}>
            Cancel
          </Button>
          <Button color={confirmColor} onClick={confirm} loading={running} data-testid={confirmTestId}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
