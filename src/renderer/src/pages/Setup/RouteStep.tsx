import { Alert, Anchor, Card, Group, Loader, Radio, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { WizardPlan, WizardRoute } from '../../../../shared/domain/dns.ts';
import { presetById, SMARTHOST_PRESETS } from '../../../../shared/domain/presets.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { hrefOf } from '../../lib/router.ts';

const OTHER = 'other';
const PROVIDERS = [
  ...SMARTHOST_PRESETS.map((p) => ({ value: p.id, label: p.name })),
  { value: OTHER, label: 'Another provider (not in this list)' },
];

function presetOf(route: WizardRoute): string {
  return route.kind === 'smarthost' ? (route.preset ?? OTHER) : OTHER;
}

function sameRoute(a: WizardRoute, b: WizardRoute): boolean {
  return a.kind === b.kind && (a.kind === 'direct' || (b.kind === 'smarthost' && a.preset === b.preset));
}

function routeWords(route: WizardRoute): string {
  if (route.kind === 'direct') return 'directly from this computer';
  const preset = route.preset ? presetById(route.preset) : undefined;
  return `through ${preset?.name ?? 'your provider'}`;
}

/** Step 2: the records depend on how mail leaves, so the person says how (saved per domain at once). */
export function RouteStep({ plan, onSaved }: { plan: WizardPlan; onSaved: () => Promise<void> }) {
  const [kind, setKind] = useState(plan.route.kind);
  const [preset, setPreset] = useState(presetOf(plan.route));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const routeKey = JSON.stringify(plan.route);

  // A saved change comes back in the plan; take it over (a failed save leaves the plan as it was).
  // biome-ignore lint/correctness/useExhaustiveDependencies: routeKey stands for plan.route.
  useEffect(() => {
    setKind(plan.route.kind);
    setPreset(presetOf(plan.route));
  }, [routeKey]);

  const save = async (route: WizardRoute | null) => {
    setSaving(true);
    setError(null);
    try {
      await call('dns.saveProgress', { domain: plan.domain, route });
      await onSaved();
    } catch (err) {
      setError(toIpcError(err).message);
    } finally {
      setSaving(false);
    }
  };

  const chooseKind = (value: string) => {
    const next = value === 'direct' ? 'direct' : 'smarthost';
    setKind(next);
    void save(next === 'direct' ? { kind: 'direct' } : { kind: 'smarthost', preset: preset === OTHER ? null : preset });
  };

  const choosePreset = (value: string | null) => {
    if (!value) return;
    setPreset(value);
    void save({ kind: 'smarthost', preset: value === OTHER ? null : value });
  };

  const provider = kind === 'smarthost' && preset !== OTHER ? presetById(preset) : undefined;
  const saved = plan.route.kind === kind;

  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Title order={3} size="h4" mb={4}>
          How does mail from {plan.unicode ?? plan.domain} leave?
        </Title>
        <Text size="sm" c="dimmed" mb="md">
          The SPF record lists who may send for your domain, so it depends on this choice.
        </Text>
        <Radio.Group value={kind} onChange={chooseKind} aria-label="How mail leaves">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <RouteOption
              value="smarthost"
              title="Through an email provider"
              text="Recommended. Your provider (Mailgun, Microsoft 365, Gmail…) delivers the mail and is trusted by other mail servers."
              disabled={saving}
            />
            <RouteOption
              value="direct"
              title="Directly from this computer"
              text="Mail goes straight to each recipient’s mail server. Rarely works from a home or office connection."
              disabled={saving}
            />
          </SimpleGrid>
        </Radio.Group>
        {kind === 'smarthost' && (
          <Select
            mt="md"
            label="Your email provider"
            description="Pick the one your mail goes through; for another one, the SPF record is left to you."
            data={PROVIDERS}
            value={preset}
            onChange={choosePreset}
            searchable
            allowDeselect={false}
            disabled={saving}
            nothingFoundMessage="Not in the list: choose “Another provider”."
            data-testid="setup-provider-select"
            maw={420}
          />
        )}
        <Group gap="xs" mt="md" mih={24}>
          {saving ? (
            <>
              <Loader size="xs" aria-label="Saving your choice" />
              <Text size="sm" c="dimmed">
                Saving and looking up your records…
              </Text>
            </>
          ) : (
            <Text size="sm" c="dimmed" data-testid="setup-route-status">
              {plan.routeFromSettings ? (
                <>
                  This is the route from your Settings (Sending route). Change it here if this domain sends another way.
                </>
              ) : (
                <>
                  Saved for {plan.domain}.{' '}
                  <Anchor component="button" type="button" size="sm" onClick={() => void save(null)}>
                    Use the route from my Settings instead
                  </Anchor>
                </>
              )}
            </Text>
          )}
        </Group>
        {!saving && !plan.routeFromSettings && !sameRoute(plan.route, plan.settingsRoute) && (
          <Alert
            color="orange"
            variant="light"
            mt="sm"
            title="Mailroom does not send this way yet"
            data-testid="setup-route-differs"
          >
            Mailroom sends your mail {routeWords(plan.settingsRoute)}, as{' '}
            <Anchor inherit href={hrefOf('/settings/route')}>
              Settings → Sending route
            </Anchor>{' '}
            says. The records in this guide are for sending {routeWords(plan.route)}: change Settings to match, or mail
            from {plan.domain} will fail these checks at the receiving end.
          </Alert>
        )}
        {error && (
          <Alert
            color="red"
            variant="light"
            role="alert"
            mt="sm"
            title="Your choice was not saved"
            data-testid="setup-route-error"
          >
            {error}
          </Alert>
        )}
      </Card>

      {kind === 'smarthost' && (
        <Card withBorder padding="lg" data-testid="setup-route-provider">
          <Text size="sm">
            {provider?.spfInclude
              ? `Mailroom adds ${provider.spfInclude} to your SPF record, so ${provider.name} may send as ${plan.domain}.`
              : provider
                ? `${provider.name} needs nothing added to your SPF record.`
                : 'Mailroom does not know this provider’s SPF entry. Your provider’s help pages name it (it starts with include:); add it to the SPF record yourself.'}
          </Text>
          {provider?.spfNote && (
            <Text size="sm" c="dimmed" mt="xs">
              {provider.spfNote}
            </Text>
          )}
          <Text size="sm" mt="sm">
            Mailroom also needs your login to send through {provider?.name ?? 'your provider'}: enter it in{' '}
            <Anchor inherit href={hrefOf('/settings/route')} data-testid="setup-route-settings-link">
              Settings → Sending route
            </Anchor>
            .
          </Text>
        </Card>
      )}

      {kind === 'direct' && (
        <Card withBorder padding="lg" data-testid="setup-route-direct-info">
          {saved && plan.ip ? (
            <Text size="sm">
              Mail from this computer leaves from the internet address{' '}
              <Text span fw={700} ff="monospace" data-testid="setup-public-ip">
                {plan.ip}
              </Text>
              . Mailroom puts it in your SPF record.
            </Text>
          ) : saved ? (
            <Text size="sm" data-testid="setup-public-ip">
              Mailroom could not find out this computer’s public internet address (is it offline?). The SPF record needs
              it: come back to this step when the computer is online.
            </Text>
          ) : null}
          <Alert color="yellow" variant="light" mt="md" title="This usually does not work from home or a small office">
            Gmail, Outlook and the others only trust a sending address with a matching name (“reverse DNS”), which only
            your internet provider can set, and most will not for home or office lines. Mail sent directly then bounces
            or lands in junk. Sending through an email provider is the safer choice.
          </Alert>
        </Card>
      )}
    </Stack>
  );
}

function RouteOption({
  value,
  title,
  text,
  disabled,
}: {
  value: string;
  title: string;
  text: string;
  disabled: boolean;
}) {
  return (
    <Radio.Card value={value} p="md" radius="md" disabled={disabled} data-testid={`setup-route-${value}`}>
      <Group wrap="nowrap" align="flex-start" gap="sm">
        <Radio.Indicator mt={2} disabled={disabled} />
        <div>
          <Text fw={600}>{title}</Text>
          <Text size="sm" c="dimmed">
            {text}
          </Text>
        </div>
      </Group>
    </Radio.Card>
  );
}
