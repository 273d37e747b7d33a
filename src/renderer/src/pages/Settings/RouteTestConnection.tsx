import { Alert, Button, Code, Group, Loader, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { RouteTestResult } from '../../../../shared/ipc/contract.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import type { FieldErrors, RouteForm } from './route-form.ts';
import { serverFromForm } from './route-form.ts';

const STAGE: Record<RouteTestResult['stage'], string> = {
  connect: 'reaching the server',
  tls: 'setting up encryption',
  greeting: 'the server’s greeting',
  auth: 'logging in',
  done: 'done',
};

type Outcome = { result: RouteTestResult } | { error: string };

/**
 * Connects and logs in with the values in the form right now, saved or not, and sends
 * nothing. A failure shows the stage and the server's own words.
 */
export function RouteTestConnection({ form, onInvalid }: { form: RouteForm; onInvalid: (e: FieldErrors) => void }) {
  const [running, setRunning] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const test = async () => {
    const server = serverFromForm(form);
    if ('errors' in server) {
      onInvalid(server.errors);
      return;
    }
    setRunning(server.host);
    setOutcome(null);
    try {
      const result = await call('route.test', {
        host: server.host,
        port: server.port,
        security: form.security,
        username: form.username.trim(),
        ...(form.password ? { password: form.password } : {}),
      });
      setOutcome({ result });
    } catch (err) {
      setOutcome({ error: toIpcError(err).message });
    } finally {
      setRunning(null);
    }
  };

  return (
    <Stack gap="sm">
      <Group gap="sm">
        <Button variant="default" onClick={test} loading={running !== null} data-testid="test-connection">
          Test connection
        </Button>
        {running !== null ? (
          <Group gap={6} role="status">
            <Loader size="xs" />
            <Text size="sm">Connecting to {running}… this can take up to 20 seconds.</Text>
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            Logs in with the values above, saved or not. Nothing is sent.
          </Text>
        )}
      </Group>
      {outcome && <TestOutcome outcome={outcome} />}
    </Stack>
  );
}

function TestOutcome({ outcome }: { outcome: Outcome }) {
  if ('error' in outcome) {
    return (
      <Alert
        color="red"
        variant="light"
        role="alert"
        title="The test did not run"
        data-testid="test-connection-result"
        data-ok="false"
      >
        {outcome.error}
      </Alert>
    );
  }
  const { result } = outcome;
  if (result.ok) {
    return (
      <Alert
        color="green"
        variant="light"
        title="The connection works"
        data-testid="test-connection-result"
        data-ok="true"
      >
        {result.message}
      </Alert>
    );
  }
  return (
    <Alert
      color="red"
      variant="light"
      role="alert"
      title={`The test failed at: ${STAGE[result.stage]}`}
      data-testid="test-connection-result"
      data-ok="false"
    >
      <Text size="sm">{result.message}</Text>
      {result.reply !== null && (
        <>
          <Text size="sm" mt="xs">
            The server replied:
          </Text>
          <Code block mt={4}>
            {result.code !== null && !result.reply.startsWith(String(result.code))
              ? `${result.code} ${result.reply}`
              : result.reply}
          </Code>
        </>
      )}
    </Alert>
  );
}
