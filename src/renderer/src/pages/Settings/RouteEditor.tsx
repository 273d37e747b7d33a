import { Alert, Button, Card, Group, Radio, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { Settings } from '../../../../shared/domain/settings.ts';
import type { IpcOutput } from '../../../../shared/ipc/contract.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import { RouteLimits } from './RouteLimits.tsx';
import { RouteProviderFields } from './RouteProviderFields.tsx';
import { RouteTestConnection } from './RouteTestConnection.tsx';
import { type FieldErrors, formFromSettings, type RouteForm, type RouteKind, settingsFromForm } from './route-form.ts';

type RouteState = IpcOutput<'route.get'>;

interface Props {
  settings: Settings;
  routeState: RouteState;
  onSaved: (settings: Settings, routeState: RouteState | null) => void;
}

/** The Sending route form. It keeps everything typed until a save succeeds; main has the last word. */
export function RouteEditor({ settings, routeState, onSaved }: Props) {
  const [form, setForm] = useState<RouteForm>(() => formFromSettings(settings));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saveError, setSaveError] = useState<{ title: string; message: string } | null>(null);
  const [saving, setSaving] = useState(false);

  const update = (change: (f: RouteForm) => RouteForm) => {
    const after = change(form);
    setForm(after);
    // A field the person changed no longer carries the error it had.
    const keys = Object.keys(errors) as (keyof RouteForm)[];
    const left = keys.filter((k) => after[k] === form[k]);
    if (left.length !== keys.length) setErrors(Object.fromEntries(left.map((k) => [k, errors[k]])));
  };

  const save = async () => {
    setSaveError(null);
    const parsed = settingsFromForm(form);
    if ('errors' in parsed) {
      setErrors(parsed.errors);
      setSaveError({ title: 'Nothing was saved', message: 'Some fields need a look: see the messages next to them.' });
      return;
    }
    setErrors({});
    setSaving(true);
    const password = form.route === 'smarthost' ? form.password : '';
    try {
      let saved: Settings;
      try {
        saved = await call('settings.update', { values: parsed.values });
      } catch (err) {
        setSaveError({ title: 'Nothing was saved', message: toIpcError(err).message });
        return;
      }
      let state: RouteState | null = null;
      if (password) {
        try {
          state = await call('route.setPassword', { password });
          setForm((f) => (f.password === password ? { ...f, password: '' } : f));
        } catch (err) {
          onSaved(saved, null);
          setSaveError({
            title: 'The settings were saved, but not the password',
            message: `${toIpcError(err).message} The password is still in its field: press Save to try again.`,
          });
          return;
        }
      }
      onSaved(saved, state);
      notifySuccess(
        password ? 'The password is in your system keychain.' : 'Mail goes out the new way from now on.',
        'The sending route is saved',
      );
    } finally {
      setSaving(false);
    }
  };

  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Title order={3} size="h4" mb="sm">
          How mail leaves this computer
        </Title>
        <Radio.Group
          value={form.route}
          onChange={(v) => update((f) => ({ ...f, route: v as RouteKind }))}
          aria-label="How mail leaves this computer"
        >
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <RouteOption
              value="smarthost"
              title="Through my email provider"
              text="Recommended. Mail is handed to your provider (Microsoft 365, Gmail, Amazon SES…), which delivers it for you and is trusted by other mail servers."
            />
            <RouteOption
              value="direct"
              title="Directly from this computer"
              text="Mail goes straight to each recipient’s mail server. From a home or office connection it often lands in spam or is refused."
            />
          </SimpleGrid>
        </Radio.Group>
      </Card>

      {form.route === 'smarthost' && (
        <Card withBorder padding="lg">
          <Title order={3} size="h4" mb="sm">
            Your email provider
          </Title>
          <Stack gap="lg">
            <RouteProviderFields
              form={form}
              errors={errors}
              passwordConfigured={routeState.passwordConfigured}
              onChange={update}
            />
            <RouteTestConnection form={form} onInvalid={setErrors} />
          </Stack>
        </Card>
      )}

      <RouteLimits form={form} errors={errors} onChange={update} />

      {saveError && (
        <Alert color="red" variant="light" role="alert" title={saveError.title} data-testid="route-error">
          {saveError.message}
        </Alert>
      )}
      <Group>
        <Button onClick={save} loading={saving} data-testid="route-save">
          Save
        </Button>
      </Group>
    </Stack>
  );
}

function RouteOption({ value, title, text }: { value: RouteKind; title: string; text: string }) {
  return (
    <Radio.Card value={value} p="md" radius="md" data-testid={`route-${value}`}>
      <Group wrap="nowrap" align="flex-start" gap="sm">
        <Radio.Indicator mt={2} />
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
