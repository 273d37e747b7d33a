import { Anchor, Group, NumberInput, PasswordInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { presetById, SMARTHOST_PRESETS } from '../../../../shared/domain/presets.ts';
import {
  type FieldErrors,
  OTHER_PROVIDER,
  type RouteForm,
  regionOf,
  type Security,
  withPreset,
  withRegion,
  withSecurity,
} from './route-form.ts';

const PROVIDERS = [
  ...SMARTHOST_PRESETS.map((p) => ({ value: p.id, label: p.name })),
  { value: OTHER_PROVIDER, label: 'Other (type the server yourself)' },
];

const SECURITY = [
  { value: 'starttls', label: 'STARTTLS (port 587)' },
  { value: 'tls', label: 'TLS (port 465)' },
  { value: 'none', label: 'None (this computer only)' },
];

interface Props {
  form: RouteForm;
  errors: FieldErrors;
  passwordConfigured: boolean;
  onChange: (update: (f: RouteForm) => RouteForm) => void;
}

/** Which provider, and how to log in to it: a preset fills in all but the user name and password. */
export function RouteProviderFields({ form, errors, passwordConfigured, onChange }: Props) {
  const preset = presetById(form.preset);
  const fixedUser = preset && 'fixed' in preset.username ? preset.username.fixed : null;
  const regions = preset && preset.hosts.length > 1 ? preset.hosts : null;
  const set = <K extends keyof RouteForm>(key: K, value: RouteForm[K]) => onChange((f) => ({ ...f, [key]: value }));

  return (
    <Stack gap="md">
      <Group grow align="flex-start">
        <Select
          label="Email provider"
          description="Pick yours to fill in the server settings."
          placeholder="Choose your provider"
          data={PROVIDERS}
          value={form.preset || OTHER_PROVIDER}
          onChange={(v) => v && onChange((f) => withPreset(f, v))}
          searchable
          allowDeselect={false}
          nothingFoundMessage="No provider by that name: choose Other and type the server yourself."
          data-testid="provider-select"
        />
        {regions && (
          <Select
            label={preset?.id === 'postmark' ? 'Message stream' : 'Region'}
            description="Where your account is, as shown in the provider's console."
            placeholder="Choose one"
            data={regions.map((h) => ({ value: h.region ?? h.host, label: h.label }))}
            value={regionOf(form)}
            onChange={(v) => v && onChange((f) => withRegion(f, v))}
            searchable
            allowDeselect={false}
            data-testid="region-select"
          />
        )}
      </Group>
      <Group align="flex-start" wrap="wrap">
        <TextInput
          label="Server"
          placeholder="smtp.example.com"
          value={form.host}
          onChange={(e) => set('host', e.currentTarget.value)}
          error={errors.host}
          autoComplete="off"
          spellCheck={false}
          data-testid="smarthost-host"
          style={{ flex: '2 1 260px' }}
        />
        <NumberInput
          label="Port"
          value={form.port}
          onChange={(v) => set('port', v)}
          min={1}
          max={65535}
          allowDecimal={false}
          allowNegative={false}
          clampBehavior="none"
          thousandSeparator={false}
          error={errors.port}
          data-testid="smarthost-port"
          w={130}
        />
        <Select
          label="Security"
          data={SECURITY}
          value={form.security}
          onChange={(v) => v && onChange((f) => withSecurity(f, v as Security))}
          allowDeselect={false}
          error={errors.security}
          data-testid="smarthost-security"
          style={{ flex: '1 1 200px' }}
        />
      </Group>
      <Group grow align="flex-start">
        <TextInput
          label="User name"
          description={
            fixedUser
              ? `${preset?.name} always uses the user name “${fixedUser}”.`
              : preset && 'hint' in preset.username
                ? preset.username.hint
                : 'The SMTP user name your provider gave you.'
          }
          value={form.username}
          onChange={(e) => set('username', e.currentTarget.value)}
          readOnly={fixedUser !== null && form.username === fixedUser}
          error={errors.username}
          autoComplete="off"
          spellCheck={false}
          data-testid="smarthost-username"
        />
        <PasswordInput
          label="Password or API key"
          description={
            <span data-testid="password-status">
              {passwordConfigured
                ? 'A password is saved in your system keychain. Leave this blank to keep it.'
                : 'No password is saved yet.'}
            </span>
          }
          placeholder={passwordConfigured ? 'Leave blank to keep the saved password' : 'Paste it here'}
          value={form.password}
          onChange={(e) => set('password', e.currentTarget.value)}
          error={errors.password}
          autoComplete="new-password"
          data-testid="smarthost-password"
        />
      </Group>
      {preset ? (
        <Text size="sm" data-testid="password-hint">
          <b>Where to find the password:</b> {preset.passwordHint}{' '}
          <Anchor inherit href={preset.docsUrl} target="_blank" rel="noreferrer">
            {preset.name}'s instructions
          </Anchor>{' '}
          <Text span size="xs" c="dimmed">
            (opens in your web browser)
          </Text>
        </Text>
      ) : (
        <Text size="sm" c="dimmed">
          Your provider's help pages list the SMTP server, port, user name and password to use for “sending from an
          email program”.
        </Text>
      )}
    </Stack>
  );
}
