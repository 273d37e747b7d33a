import { Button, Group, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { SendingDomain } from '../../../../shared/ipc/contract.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';

/** Adds a domain; a refusal is shown on the field and the typed text stays. */
export function DomainAddForm({
  domains,
  onAdded,
}: {
  domains: Pick<SendingDomain, 'domain'>[];
  onAdded: (d: SendingDomain[]) => void;
}) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [stored, setStored] = useState<{ typed: string; domain: string } | null>(null);

  const add = async () => {
    const typed = value.trim();
    if (!typed) {
      setError('Type a domain, for example example.com.');
      return;
    }
    setAdding(true);
    setError(null);
    setStored(null);
    try {
      const before = new Set(domains.map((d) => d.domain));
      const after = await call('domains.add', { domain: typed });
      // Main stores the lower-case ASCII form (bücher.example → xn--bcher-kva.example).
      const domain = after.find((d) => !before.has(d.domain))?.domain ?? typed.toLowerCase();
      onAdded(after);
      setValue('');
      setStored({ typed, domain });
      notifySuccess(`Mail from addresses at ${domain} can now go through the relay.`, `${domain} was added`);
    } catch (err) {
      setError(toIpcError(err).message);
    } finally {
      setAdding(false);
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <Group align="flex-start" gap="sm">
        <TextInput
          label="Domain"
          description="The part after the @ in your email address."
          placeholder="example.com"
          value={value}
          onChange={(e) => {
            setValue(e.currentTarget.value);
            setError(null);
          }}
          error={error}
          autoComplete="off"
          spellCheck={false}
          style={{ flex: 1, minWidth: 220 }}
          data-testid="domain-input"
        />
        <Button type="submit" mt={45} loading={adding} data-testid="domain-add">
          Add
        </Button>
      </Group>
      {stored && stored.domain !== stored.typed.toLowerCase().replace(/\.$/, '') && (
        <Text size="sm" mt="xs" data-testid="domain-stored">
          {stored.typed} was added as <b>{stored.domain}</b>, the form mail servers use for names with accents or other
          special letters. Both mean the same domain.
        </Text>
      )}
    </form>
  );
}
