import { Alert, Button, Card, Group, NumberInput, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { RelayDetails } from '../../../../shared/ipc/contract.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';

const MIN_PORT = 1024;
const MAX_PORT = 65535;

/** Moves the relay to another port; on failure it stays where it was and the typed port stays in the field. */
export function RelayPortForm({ port, onSaved }: { port: number; onSaved: (d: RelayDetails) => void }) {
  const [value, setValue] = useState<number | string>(port);
  const [error, setError] = useState<string | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [movedTo, setMovedTo] = useState<number | null>(null);

  // The relay moved (here or from the command line): show where it is now.
  useEffect(() => setValue(port), [port]);

  const save = async () => {
    const n = typeof value === 'number' ? value : Number(value);
    if (value === '' || !Number.isInteger(n) || n < MIN_PORT || n > MAX_PORT) {
      setError(`Type a whole number from ${MIN_PORT} to ${MAX_PORT}, for example 2525.`);
      return;
    }
    setSaving(true);
    setError(null);
    setRefused(null);
    try {
      const details = await call('relay.setPort', { port: n });
      onSaved(details);
      setValue(details.port);
      if (details.running) {
        setMovedTo(details.port);
        notifySuccess(
          `Change the port to ${details.port} in each mail program's outgoing server settings.`,
          'The relay moved',
        );
      } else {
        notifySuccess(`The relay will listen on port ${details.port} when it starts.`, 'Port saved');
      }
    } catch (err) {
      setRefused(toIpcError(err).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb={4}>
        Relay port
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Change this only if another program already uses port {port}. Every mail program must then be given the new
        port.
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Group align="flex-start" gap="sm">
          <NumberInput
            label="Port"
            value={value}
            onChange={(v) => {
              setValue(v);
              setError(null);
              setRefused(null);
            }}
            min={MIN_PORT}
            max={MAX_PORT}
            allowDecimal={false}
            allowNegative={false}
            clampBehavior="none"
            thousandSeparator={false}
            error={error ?? refused !== null}
            w={260}
            data-testid="port-input"
          />
          <Button type="submit" mt={25} loading={saving} disabled={value === port} data-testid="port-save">
            Save port
          </Button>
        </Group>
      </form>
      {refused && (
        <Alert color="red" variant="light" role="alert" mt="sm" title={`The relay is still on port ${port}`}>
          {refused}
        </Alert>
      )}
      {movedTo !== null && movedTo === port && !refused && (
        <Alert color="green" variant="light" mt="sm" title={`The relay now listens on port ${port}`}>
          Now change the port to {port} in Outlook, Thunderbird or Apple Mail, or they cannot send.
        </Alert>
      )}
    </Card>
  );
}
