import { Alert, Badge, Button, Card, Group, Radio, Stack, Text, Title } from '@mantine/core';
import type { DomainReadiness, WizardPlan } from '../../../../shared/domain/dns.ts';
import type { SendingDomain } from '../../../../shared/ipc/contract.ts';
import { DomainAddForm } from '../Settings/DomainAddForm.tsx';
import { clampStep, WIZARD_STEPS } from './wizard-steps.ts';

const READINESS: Record<DomainReadiness['state'], { color: string; label: string }> = {
  ready: { color: 'green', label: 'Ready' },
  attention: { color: 'red', label: 'Needs attention' },
  pending: { color: 'yellow', label: 'Waiting for DNS' },
  unchecked: { color: 'gray', label: 'Not checked yet' },
};

interface Props {
  domains: string[];
  readiness: DomainReadiness[];
  selected: string | null;
  /** The plan of the selected domain, once loaded. */
  plan: WizardPlan | null;
  onSelect: (domain: string) => void;
  /** `added` is the domain just added (as main stored it), or null when none was new. */
  onAdded: (domains: string[], added: string | null) => void;
  onContinue: (step: number) => void;
}

/** Step 1: which sending domain to set up, or a new one. */
export function DomainStep({ domains, readiness, selected, plan, onSelect, onAdded, onContinue }: Props) {
  const stateOf = (d: string) => readiness.find((r) => r.domain === d);
  const savedStep = plan && plan.domain === selected ? clampStep(plan.step) : 1;

  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Title order={3} size="h4" mb={4}>
          Which domain do you send from?
        </Title>
        <Text size="sm" c="dimmed" mb="md">
          The part after the @ in your email address: yourshop.com for anna@yourshop.com.
        </Text>
        {domains.length === 0 ? (
          <Alert color="yellow" variant="light" title="No sending domain yet">
            Add the domain of your email address below to start.
          </Alert>
        ) : (
          <Radio.Group value={selected} onChange={onSelect} aria-label="The domain to set up">
            <Stack gap="xs">
              {domains.map((d) => {
                const r = stateOf(d);
                const look = READINESS[r?.state ?? 'unchecked'];
                return (
                  <Radio.Card key={d} value={d} p="sm" radius="md" data-testid={`setup-domain-${d}`}>
                    <Group wrap="nowrap" align="flex-start" gap="sm">
                      <Radio.Indicator mt={3} />
                      <div style={{ flex: 1 }}>
                        <Group gap="xs">
                          <Text fw={600}>{r?.unicode ? `${r.unicode} (${d})` : d}</Text>
                          <Badge color={look.color} variant="light" tt="none">
                            {look.label}
                          </Badge>
                        </Group>
                        {r && r.state !== 'unchecked' && (
                          <Text size="sm" c="dimmed">
                            {r.summary}
                          </Text>
                        )}
                      </div>
                    </Group>
                  </Radio.Card>
                );
              })}
            </Stack>
          </Radio.Group>
        )}
        {plan?.unicode && plan.domain === selected && (
          <Text size="sm" mt="sm" data-testid="setup-domain-idn">
            {plan.unicode} is stored as <b>{plan.domain}</b>: that is how DNS and mail servers write names with accents
            or other special letters. Both mean the same domain.
          </Text>
        )}
        {savedStep > 1 && (
          <Group mt="md" gap="sm">
            <Text size="sm">
              You got as far as step {savedStep} ({WIZARD_STEPS[savedStep - 1]?.label}) for this domain.
            </Text>
            <Button size="xs" variant="light" onClick={() => onContinue(savedStep)} data-testid="setup-resume-step">
              Continue there
            </Button>
          </Group>
        )}
      </Card>
      <Card withBorder padding="lg">
        <Title order={3} size="h4" mb="sm">
          Or add another domain
        </Title>
        <DomainAddForm
          domains={domains.map((domain) => ({ domain }))}
          onAdded={(after: SendingDomain[]) => {
            const names = after.map((d) => d.domain);
            onAdded(names, names.find((d) => !domains.includes(d)) ?? null);
          }}
        />
      </Card>
    </Stack>
  );
}
