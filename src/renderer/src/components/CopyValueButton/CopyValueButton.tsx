import { Button } from '@mantine/core';
import { useClipboard } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useEffect } from 'react';

/**
 * Copies a value that is not secret (a server name, a port) with the page's own
 * clipboard API. That API may be missing or refused (a test browser, a locked-down
 * window), so a failure becomes a notification telling the person to copy by hand.
 * Mantine's CopyButton keeps such a failure to itself, hence its hook here.
 */
export function CopyValueButton({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const { copy, copied, error, reset } = useClipboard({ timeout: 1500 });

  useEffect(() => {
    if (!error) return;
    notifications.show({
      color: 'orange',
      title: `The ${label} could not be copied`,
      message: `Copying is not available here. Select ${value} with the mouse and copy it (Ctrl+C, or ⌘C on a Mac), or type it in.`,
      autoClose: 10_000,
      withBorder: true,
    });
    reset();
  }, [error, label, value, reset]);

  return (
    <Button
      variant={copied ? 'light' : 'default'}
      color={copied ? 'green' : undefined}
      size="compact-sm"
      onClick={() => copy(value)}
      aria-label={`Copy the ${label}`}
      data-testid={testId}
    >
      {copied ? 'Copied' : 'Copy'}
    </Button>
  );
}
