import { Button } from '@mantine/core';
import { useState } from 'react';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { plural } from './contact-words.ts';

/** A button that asks main to write a file where the user picks in the save dialog. */
export function SaveFileButton({
  label,
  run,
  testId,
  variant = 'default',
  disabled,
}: {
  label: string;
  run: () => Promise<{ saved: boolean; path: string | null; rows: number }>;
  testId?: string;
  variant?: string;
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    try {
      const r = await run();
      if (r.saved) notifySuccess(`${plural(r.rows, 'row', 'rows')} saved to ${r.path}.`, 'Saved');
    } catch (err) {
      notifyError(err, 'The file was not saved');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button variant={variant} onClick={click} loading={busy} disabled={disabled} data-testid={testId}>
      {label}
    </Button>
  );
}
