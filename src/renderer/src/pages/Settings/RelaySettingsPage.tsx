import { Alert, Anchor } from '@mantine/core';
import { useEffect } from 'react';
import { call, subscribe } from '../../lib/ipc.ts';
import { hrefOf } from '../../lib/router.ts';
import { useLoad } from '../../lib/use-load.ts';
import { RelayMailProgramSteps } from './RelayMailProgramSteps.tsx';
import { RelayMailPrograms } from './RelayMailPrograms.tsx';
import { RelayPortForm } from './RelayPortForm.tsx';
import { RelayTestMessage } from './RelayTestMessage.tsx';
import { RelayValues } from './RelayValues.tsx';
import { LoadFailed, Loading, SettingsFrame } from './SettingsFrame.tsx';

/** Settings → Local relay: the values to type into Outlook, Thunderbird and Apple Mail. */
export function RelaySettingsPage() {
  const details = useLoad(() => call('relay.details'), []);
  const domains = useLoad(() => call('domains.list'), []);
  const { reload } = details;

  // When the relay comes up, fails or moves, show it without a reload.
  useEffect(() => subscribe('engine.state', () => void reload()), [reload]);

  const relay = details.data;
  return (
    <SettingsFrame
      title="Local relay"
      intro="Mail programs on this computer send through Mailroom with these values. Type them into the outgoing mail (SMTP) server settings of classic Outlook, Thunderbird, Apple Mail or eM Client."
    >
      {!relay && details.error && <LoadFailed what="the relay settings" error={details.error} onRetry={reload} />}
      {!relay && !details.error && <Loading label="Loading the relay settings" />}
      {relay && (
        <>
          {!relay.running && (
            <Alert
              color="red"
              variant="light"
              role="alert"
              title="The relay is not running"
              data-testid="relay-not-running"
            >
              Mail programs cannot send through Mailroom right now. The{' '}
              <Anchor inherit href={hrefOf('/')}>
                Dashboard
              </Anchor>{' '}
              says why it did not start. Once that is fixed, quit Mailroom from its tray icon and open it again.
            </Alert>
          )}
          <RelayValues details={relay} onChange={details.set} />
          <RelayMailProgramSteps details={relay} />
          <RelayMailPrograms />
          {domains.error && !domains.data ? (
            <LoadFailed what="your sending domains" error={domains.error} onRetry={domains.reload} />
          ) : domains.data ? (
            <RelayTestMessage domains={domains.data} running={relay.running} />
          ) : null}
          <RelayPortForm port={relay.port} onSaved={details.set} />
        </>
      )}
    </SettingsFrame>
  );
}
