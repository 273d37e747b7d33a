import { Button, Group, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { call, toIpcError } from '../../lib/ipc.ts';

/** Where DMARC reports go; main checks the address, and the DMARC record above follows it. */
export function ReportAddressForm({
  domain,
  organisationalDomain,
  reportAddress,
  onSaved,
}: {
  domain: string;
  organisationalDomain: string;
  reportAddress: string;
  onSaved: () => Promise<void>;
}) {
  const [value, setValue] = useState(reportAddress);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  // The plan was read again (after a save): show what main now has.
  useEffect(() => setValue(reportAddress), [reportAddress]);

  // Receivers only send reports outside the domain's organisation to a domain that has
  // agreed to take them (Gmail, Outlook.com and the like never have); the check says so
  // too, once published. Any name under organisationalDomain is inside.
  const host = (value.trim().split('@')[1] ?? '').toLowerCase().replace(/\.$/, '');
  const ascii = asciiHost(host);
  const outside =
    host !== '' && ascii !== null && ascii !== organisationalDomain && !ascii.endsWith(`.${organisationalDomain}`);

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      await call('dns.saveProgress', { domain, reportAddress: value.trim() });
      await onSaved();
    } catch (err) {
      setError(toIpcError(err).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Group align="flex-start" gap="sm" mt="md">
        <TextInput
          label="Where DMARC reports go"
          description={
            outside
              ? `Reports reach an address at ${host} only if ${host} has agreed to take them for ${domain}; Gmail, Outlook.com and other mailbox providers never have. Use an address at ${domain}, or a DMARC report service's address.`
              : "A mailbox you can read. Receivers send it a daily summary of mail that uses your domain's name."
          }
          value={value}
          onChange={(e) => {
            setValue(e.currentTarget.value);
            setError(null);
          }}
          error={error}
          autoComplete="email"
          spellCheck={false}
          style={{ flex: 1, minWidth: 240 }}
          data-testid="setup-report-address"
        />
        <Button
          type="submit"
          mt={45}
          variant="default"
          loading={saving}
          disabled={value.trim() === reportAddress}
          data-testid="setup-report-save"
        >
          Use this address
        </Button>
      </Group>
    </form>
  );
}

/** The ASCII (punycode) form of a typed host name, as the browser's URL parser writes it; null while it is not one. */
function asciiHost(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
}
