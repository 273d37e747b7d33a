import { Alert, Button, Card, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { SendingDomain } from '../../../../shared/ipc/contract.ts';
import { ConfirmModal } from '../../components/ConfirmModal/ConfirmModal.tsx';
import { call } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import { hrefOf } from '../../lib/router.ts';
import { useLoad } from '../../lib/use-load.ts';
import { DomainAddForm } from './DomainAddForm.tsx';
import { DomainRow } from './DomainRow.tsx';
import { LoadFailed, Loading, SettingsFrame } from './SettingsFrame.tsx';

/** Settings → Sending domains: the domains the relay sends mail from, and whether each is signed. */
export function DomainsSettingsPage() {
  const loaded = useLoad(() => call('domains.list'), []);
  const [removing, setRemoving] = useState<string | null>(null);
  const domains = loaded.data;

  const remove = async () => {
    if (!removing) return;
    loaded.set(await call('domains.remove', { domain: removing }));
    notifySuccess(`Mail from addresses at ${removing} is no longer sent.`, `${removing} was removed`);
  };

  return (
    <SettingsFrame
      title="Sending domains"
      intro="The domains you send mail from: the part after the @ in your email address. The relay only sends mail from these, so nobody can use Mailroom to send in someone else’s name."
    >
      {!domains && loaded.error && (
        <LoadFailed what="your sending domains" error={loaded.error} onRetry={loaded.reload} />
      )}
      {!domains && !loaded.error && <Loading label="Loading your sending domains" />}
      {domains && (
        <>
          <Card withBorder padding="lg">
            <Title order={3} size="h4" mb="sm">
              Add a domain
            </Title>
            <DomainAddForm domains={domains} onAdded={loaded.set} />
          </Card>
          <Card withBorder padding="lg">
            <Title order={3} size="h4" mb="sm">
              Your domains
            </Title>
            {domains.length === 0 ? (
              <Alert color="yellow" variant="light" title="No sending domain yet">
                Until you add one, the relay refuses all mail. Add the domain of your email address above, for example
                yourshop.com for anna@yourshop.com.
              </Alert>
            ) : (
              <Stack gap="sm">
                {domains.map((d: SendingDomain) => (
                  <DomainRow key={d.domain} domain={d} onRemove={() => setRemoving(d.domain)} />
                ))}
              </Stack>
            )}
          </Card>
          <Card withBorder padding="lg" data-testid="domains-setup-card">
            <Title order={3} size="h4" mb={4}>
              Land in the inbox
            </Title>
            <Text size="sm" c="dimmed" mb="sm">
              Each domain also needs a few DNS records (SPF, DKIM and DMARC) so that Gmail, Outlook and the others trust
              its mail. The domain setup walks you through them step by step, checks them and sends you a test.
            </Text>
            <Button component="a" href={hrefOf('/setup')} variant="light" data-testid="domains-open-setup">
              Open the domain setup
            </Button>
          </Card>
        </>
      )}
      <ConfirmModal
        opened={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Remove ${removing ?? 'this domain'}?`}
        confirmLabel="Remove"
        confirmColor="red"
        confirmTestId="confirm-remove"
        onConfirm={remove}
      >
        <Text size="sm">
          The relay will refuse mail from addresses at {removing} until you add the domain again. Its DKIM key is kept,
          so adding it back later signs its mail again.
        </Text>
      </ConfirmModal>
    </SettingsFrame>
  );
}
