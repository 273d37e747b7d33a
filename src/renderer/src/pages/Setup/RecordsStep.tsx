import { Alert, Stack, Text } from '@mantine/core';
import { useEffect } from 'react';
import type { WizardPlan } from '../../../../shared/domain/dns.ts';
import type { DnsHost } from '../../../../shared/domain/dns-hosts.ts';
import { RecordCard } from './RecordCard.tsx';
import { ReportAddressForm } from './ReportAddressForm.tsx';

interface Props {
  plan: WizardPlan;
  host: DnsHost;
  /**
   * Called when records are on screen, again whenever they change (a new report address):
   * from then, missing ones read "waiting for DNS" for a while. `shown` identifies them.
   */
  onShown: (shown: string) => void;
  onChanged: () => Promise<void>;
}

/** Step 4: every record to create, written the way the person's DNS panel wants it. */
export function RecordsStep({ plan, host, onShown, onChanged }: Props) {
  const shown = plan.records.map((r) => `${r.name} ${r.value}`).join('\n');
  useEffect(() => {
    onShown(shown);
  }, [onShown, shown]);
  const todo = plan.records.filter((r) => r.state !== 'done').length;

  return (
    <Stack gap="lg">
      <Text size="sm">
        {todo === 0
          ? 'Every record is already in place. Go on to the check.'
          : `Create ${todo === 1 ? 'this record' : `these ${todo} records`} at ${host.name} (the next step shows where). Use the Copy buttons: a key typed by hand almost always ends up with a mistake.`}
      </Text>
      {plan.zone === null && (
        <Alert color="yellow" variant="light" title="Mailroom could not find your domain’s DNS">
          The names are shown in full. If {plan.domain} was registered only recently, its DNS may not be switched on
          yet.
        </Alert>
      )}
      {plan.dkim.length === 0 && (
        <Alert
          color="yellow"
          variant="light"
          title="The DKIM record is missing here"
          data-testid="setup-records-no-key"
        >
          It appears once your DKIM key is made in the step before.
        </Alert>
      )}
      {plan.records.map((r) => (
        <RecordCard key={`${r.purpose}:${r.name}`} record={r} host={host} zone={plan.zone}>
          {r.purpose === 'dmarc' && (
            <ReportAddressForm
              domain={plan.domain}
              organisationalDomain={plan.organisationalDomain}
              reportAddress={plan.reportAddress}
              onSaved={onChanged}
            />
          )}
        </RecordCard>
      ))}
    </Stack>
  );
}
