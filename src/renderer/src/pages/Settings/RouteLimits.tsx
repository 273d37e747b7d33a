import { Card, Group, NumberInput, Text, Title } from '@mantine/core';
import { presetById } from '../../../../shared/domain/presets.ts';
import type { FieldErrors, NumberField, RouteForm } from './route-form.ts';

interface Props {
  form: RouteForm;
  errors: FieldErrors;
  onChange: (update: (f: RouteForm) => RouteForm) => void;
}

/** The pace Mailroom keeps on the chosen route: a daily cap and messages per minute. */
export function RouteLimits({ form, errors, onChange }: Props) {
  const direct = form.route === 'direct';
  const capField = direct ? 'directDailyCap' : 'smarthostDailyCap';
  const rateField = direct ? 'directRate' : 'smarthostRate';
  const preset = direct ? undefined : presetById(form.preset);
  const set = (key: typeof capField | typeof rateField, value: NumberField) =>
    onChange((f) => ({ ...f, [key]: value }));

  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb={4}>
        {direct ? 'Sending pace' : 'Limits'}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {direct
          ? 'Mail goes straight to each recipient’s mail server. Sending at a steady pace keeps large providers such as Gmail from slowing you down or marking you as spam.'
          : 'Providers allow only so many messages a day or a minute. Set them here and Mailroom keeps to them.'}{' '}
        When the daily limit is reached, the rest of the mail waits and goes out the next day; nothing fails. 0 means no
        limit.
      </Text>
      <Group grow align="flex-start">
        <NumberInput
          label="Most recipients per day"
          description={
            preset?.dailyCap
              ? `Usual for ${preset.name}: ${preset.dailyCap} a day. Raise it if your plan allows more.`
              : 'Each recipient of a message counts once.'
          }
          value={form[capField]}
          onChange={(v) => set(capField, v)}
          min={0}
          allowDecimal={false}
          allowNegative={false}
          clampBehavior="none"
          thousandSeparator={false}
          error={errors[capField]}
          data-testid="daily-cap"
        />
        <NumberInput
          label={direct ? 'Most messages per minute to one domain' : 'Most messages per minute'}
          description={
            direct
              ? 'For example to all gmail.com addresses together.'
              : preset?.ratePerMinute
                ? `Usual for ${preset.name}: ${preset.ratePerMinute} a minute.`
                : 'Mailroom spaces messages out to stay under it.'
          }
          value={form[rateField]}
          onChange={(v) => set(rateField, v)}
          min={0}
          allowDecimal={false}
          allowNegative={false}
          clampBehavior="none"
          thousandSeparator={false}
          error={errors[rateField]}
          data-testid="rate-per-minute"
        />
      </Group>
    </Card>
  );
}
