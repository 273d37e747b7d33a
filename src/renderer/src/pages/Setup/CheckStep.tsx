import { Alert, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { DomainCheck } from '../../../../shared/domain/dns.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { CheckResult } from './CheckResult.tsx';
import { checkSummary } from './check-style.ts';

interface Props {
  domain: string;
  /** The latest check of this domain, or null before the first. */
  check: DomainCheck | null;
  onChecked: (check: DomainCheck) => void;
}

/** Step 6: asks DNS live whether every record is right, and says what to fix. */
export function CheckStep({ domain, check, onChecked }: Props) {
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setChecking(true);
    setError(null);
    try {
      onChecked(await call('dns.check', { domain }));
    } catch (err) {
      setError(toIpcError(err).message);
    } finally {
      setChecking(false);
    }
  };

  const summary = check ? checkSummary(check) : null;

  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
          <div>
            <Title order={3} size="h4" mb={4}>
              Is everything in place?
            </Title>
            <Text size="sm" c="dimmed" maw={520}>
              Changes in DNS take a few minutes, sometimes a few hours, to reach everyone. Records that are “Waiting for
              DNS” usually turn green by themselves: check again a little later.
            </Text>
          </div>
          <Button onClick={run} loading={checking} data-testid="setup-check-now">
            Check now
          </Button>
        </Group>
        {summary && check && (
          <Group justify="space-between" mt="md" gap="xs">
            <Text
              fw={700}
              c={`${summary.color}.8`}
              data-testid="setup-check-summary"
              data-all-ok={summary.color === 'green'}
            >
              {summary.text}
            </Text>
            <Text size="sm" c="dimmed" data-testid="setup-checked-at" data-checked-at={check.checkedAt}>
              Last checked {new Date(check.checkedAt).toLocaleString()}
            </Text>
          </Group>
        )}
        {error && (
          <Alert
            color="red"
            variant="light"
            role="alert"
            mt="md"
            title="The check did not run"
            data-testid="setup-check-error"
          >
            {error}
          </Alert>
        )}
      </Card>
      {check && (
        <Stack gap="sm" data-testid="setup-check-results" aria-busy={checking}>
          {check.checks.map((c) => (
            <CheckResult key={c.record} check={c} />
          ))}
        </Stack>
      )}
    </Stack>
  );
}
