import { Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { RelayDetails } from '../../../../shared/ipc/contract.ts';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

/**
 * The relay password never comes to this page: Copy asks main to put it on the
 * clipboard (and clear it again), Show asks main to open it in a window of its own.
 */
export function RelayPassword({ details, onChange }: { details: RelayDetails; onChange: (d: RelayDetails) => void }) {
  const [busy, setBusy] = useState<'copy' | 'show' | null>(null);
  const [confirming, setConfirming] = useState(false);

  const copy = async () => {
    setBusy('copy');
    try {
      const { clearsAfterSeconds } = await call('relay.copyPassword');
      notifySuccess(
        `Paste it into your mail program now: Mailroom clears the clipboard in ${clearsAfterSeconds} seconds.`,
        'The password is on the clipboard',
      );
    } catch (err) {
      notifyError(err, 'The password could not be copied');
    } finally {
      setBusy(null);
    }
  };

  const show = async () => {
    setBusy('show');
    try {
      await call('relay.showPassword');
      notifySuccess('The password is shown in a separate Mailroom window; close it when you are done.');
    } catch (err) {
      notifyError(err, 'The password could not be shown');
    } finally {
      setBusy(null);
    }
  };

  const rotate = async () => {
    const next = await call('relay.rotatePassword');
    onChange(next);
    notifySuccess(
      'Copy it or show it, and give it to every mail program that sends through Mailroom.',
      'A new relay password was made',
    );
  };

  return (
    <Stack gap="xs">
      <Text size="sm">
        {details.passwordConfigured
          ? 'Kept in your system keychain; it is never shown on this page.'
          : 'No password yet: it is made when the relay first starts, or with “Make a new password”.'}
      </Text>
      <Group gap="sm">
        <Button
          size="compact-sm"
          variant="default"
          onClick={copy}
          loading={busy === 'copy'}
          disabled={busy !== null && busy !== 'copy'}
          data-testid="copy-password"
        >
          Copy password
        </Button>
        <Button
          size="compact-sm"
          variant="default"
          onClick={show}
          loading={busy === 'show'}
          disabled={busy !== null && busy !== 'show'}
          data-testid="show-password"
        >
          Show password
        </Button>
        <Button
          size="compact-sm"
          variant="subtle"
          color="orange"
          onClick={() => setConfirming(true)}
          data-testid="rotate-password"
        >
          Make a new password
        </Button>
      </Group>
      <Text size="xs" c="dimmed">
        Copy password puts it on the clipboard and Mailroom clears it again after a short while. Show password opens it
        in a separate window.
      </Text>
      <ConfirmModal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title="Make a new relay password?"
        confirmLabel="Make a new password"
        confirmColor="orange"
        confirmTestId="confirm-rotate"
        onConfirm={rotate}
      >
        <Text size="sm">
          The current password stops working at once. Every mail program that sends through Mailroom (Outlook,
          Thunderbird, Apple Mail) must then be given the new password, or Mailroom will refuse its mail.
        </Text>
        <Text size="sm">Afterwards, use Copy password or Show password to get the new one.</Text>
      </ConfirmModal>
    </Stack>
  );
}
