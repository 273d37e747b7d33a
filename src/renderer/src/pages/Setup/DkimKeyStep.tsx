import { Alert, Badge, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import {
  PROVIDER_SELECTOR_WORDS,
  type ProviderDkim,
  providerAliasAdvice,
  type WizardPlan,
} from '../../../../shared/domain/dns.ts';
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
      {plan.providerDkim && <ProviderDkimNote note={plan.providerDkim} />}
    </Stack>
  );
}

const SELECTOR_STATE = {
  found: { label: PROVIDER_SELECTOR_WORDS.found, color: 'green' },
  alias: { label: PROVIDER_SELECTOR_WORDS.alias, color: 'blue' },
  missing: { label: PROVIDER_SELECTOR_WORDS.missing, color: 'gray' },
  failed: { label: PROVIDER_SELECTOR_WORDS.failed, color: 'orange' },
} as const;

/** The provider's own DKIM records: where its console shows them and, for fixed names, whether they are there. */
function ProviderDkimNote({ note }: { note: ProviderDkim }) {
  return (
    <Alert color="blue" variant="light" title={`${note.provider} can sign too`} data-testid="setup-provider-dkim">
      <Text size="sm">{note.text}</Text>
      {note.selectors.length > 0 && (
        <Stack gap={4} mt="sm">
          {note.selectors.map((s) => (
            <Group key={s.name} gap="xs" data-testid={`setup-provider-selector-${s.name}`} data-state={s.state}>
              <Text size="sm" ff="monospace">
                {s.name}
              </Text>
              <Badge size="sm" variant="light" tt="none" color={SELECTOR_STATE[s.state].color}>
                {SELECTOR_STATE[s.state].label}
              </Badge>
              {s.alias && (
                <Text size="xs" c="dimmed">
                  alias for {s.alias}
                </Text>
              )}
            </Group>
          ))}
          {note.selectors.some((s) => s.state === 'alias') && (
            <Text size="sm" mt={4} data-testid="setup-provider-alias-advice">
              {providerAliasAdvice(note.provider)}
            </Text>
          )}
        </Stack>
      )}
    </Alert>
  );
}
