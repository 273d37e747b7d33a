import { Alert, Button, Card, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { WizardPlan } from '../../../../shared/domain/dns.ts';
import { call, toIpcError } from '../../lib/ipc.ts';

function describeAlgorithm(algorithm: string): string {
  if (algorithm === 'ed25519') return 'Ed25519';
  if (algorithm === 'rsa-2048') return 'RSA, 2048 bits';
  return algorithm.toUpperCase();
}

/** Step 3: the key Mailroom signs the domain's mail with; made here if there is none. */
export function DkimKeyStep({ plan, onChanged }: { plan: WizardPlan; onChanged: () => Promise<void> }) {
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Shown at once, even if reading the plan again fails afterwards.
  const [created, setCreated] = useState<{ selector: string; algorithm: string } | null>(null);
  const keys = plan.dkim.length > 0 ? plan.dkim : created ? [created] : [];

  const create = async () => {
    setCreating(true);
    setError(null);
    try {
      const key = await call('dns.generateKey', { domain: plan.domain });
      setCreated({ selector: key.selector, algorithm: key.algorithm });
      await onChanged();
    } catch (err) {
      setError(toIpcError(err).message);
    } finally {
      setCreating(false);
    }
  };

  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Title order={3} size="h4" mb={4}>
          Your DKIM key
        </Title>
        <Text size="sm" c="dimmed" mb="md">
          DKIM puts an invisible signature on every message, so receivers can tell it really comes from you and was not
          changed on the way. Mailroom signs with a key of two halves: the private half stays in this computer’s
          keychain, the public half goes into your DNS in the next steps.
        </Text>
        {keys.length === 0 ? (
          <>
            <Button onClick={create} loading={creating} data-testid="setup-create-key">
              Create my DKIM key
            </Button>
            {creating && (
              <Text size="sm" c="dimmed" mt="xs">
                Making a 2048-bit key; this takes a few seconds.
              </Text>
            )}
          </>
        ) : (
          <Alert color="green" variant="light" title="Your key is ready" data-testid="setup-key-ready">
            {keys.map((k) => (
              <Text size="sm" key={k.selector}>
                Your key is ready (selector <b>{k.selector}</b>, {describeAlgorithm(k.algorithm)}). Mail from{' '}
                {plan.domain} is signed with it from now on.
              </Text>
            ))}
          </Alert>
        )}
        {error && (
          <Alert color="red" variant="light" role="alert" mt="md" title="No key was made" data-testid="setup-key-error">
            {error}
          </Alert>
        )}
      </Card>
      {plan.providerDkim && (
        <Alert color="blue" variant="light" title="Your provider can sign too" data-testid="setup-provider-dkim">
          {plan.providerDkim}
        </Alert>
      )}
    </Stack>
  );
}
