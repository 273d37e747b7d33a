import {
  Alert,
  Card,
  Code,
  Group,
  Loader,
  type MantineColorScheme,
  SegmentedControl,
  Stack,
  Switch,
  Table,
  Text,
  Title,
  useMantineColorScheme,
} from '@mantine/core';
import { useState } from 'react';
import { CopyValueButton } from '../../components/CopyValueButton/CopyValueButton.tsx';
import { call } from '../../lib/ipc.ts';
import { notifyError } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';
import { AppDataCard } from './AppDataCard.tsx';
import { LoadFailed, Loading, SettingsFrame } from './SettingsFrame.tsx';

const SCHEMES: { value: MantineColorScheme; label: string }[] = [
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
  { value: 'auto', label: 'Same as my computer' },
];

/** Settings → App: starting at login, your data (size, how long it is kept, backup), light or dark, and where it is kept. */
export function AppSettingsPage() {
  const loaded = useLoad(() => call('app.info'), []);
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const [pending, setPending] = useState<boolean | null>(null);
  const info = loaded.data;

  const setStartAtLogin = async (enabled: boolean) => {
    setPending(enabled);
    try {
      loaded.set(await call('app.setStartAtLogin', { enabled }));
    } catch (err) {
      notifyError(err, enabled ? 'Mailroom could not be set to start at login' : 'The login item could not be removed');
    } finally {
      setPending(null);
    }
  };

  return (
    <SettingsFrame title="App" intro="How the Mailroom app itself behaves on this computer, and the data it keeps.">
      {!info && loaded.error && <LoadFailed what="the app settings" error={loaded.error} onRetry={loaded.reload} />}
      {!info && !loaded.error && <Loading label="Loading the app settings" />}
      {info && (
        <>
          <Card withBorder padding="lg">
            <Stack gap="md">
              <Group gap="sm" align="flex-start" wrap="nowrap">
                <Switch
                  label="Start Mailroom when I log in"
                  description="So your mail programs can always send, without you opening Mailroom first."
                  checked={pending ?? info.startAtLogin}
                  disabled={pending !== null}
                  onChange={(e) => void setStartAtLogin(e.currentTarget.checked)}
                  data-testid="start-at-login"
                />
                {pending !== null && <Loader size="xs" mt={4} aria-label="Saving" />}
              </Group>
              <Text size="sm">
                Closing this window does not stop Mailroom: it keeps running in the tray (the small icons next to the
                clock, or the menu bar on a Mac) so your mail programs can still send. To stop it, choose Quit Mailroom
                from the tray icon.
              </Text>
            </Stack>
          </Card>

          <AppDataCard />

          <Card withBorder padding="lg">
            <Title order={3} size="h4" mb="sm">
              Appearance
            </Title>
            <SegmentedControl
              value={colorScheme}
              onChange={(v) => setColorScheme(v as MantineColorScheme)}
              data={SCHEMES}
              aria-label="Colour scheme"
            />
          </Card>

          <Card withBorder padding="lg">
            <Title order={3} size="h4" mb="sm">
              About
            </Title>
            {info.engine.state === 'failed' && info.engine.error && (
              <Alert color="red" variant="light" mb="sm" title="The relay did not start">
                {info.engine.error.message}
              </Alert>
            )}
            <Table variant="vertical" layout="fixed" verticalSpacing="sm">
              <Table.Tbody>
                <Table.Tr>
                  <Table.Th w={150}>Version</Table.Th>
                  <Table.Td>
                    <Text span data-testid="app-version">
                      {info.version}
                    </Text>
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Data folder</Table.Th>
                  <Table.Td>
                    <Group gap="sm" wrap="nowrap">
                      <Code style={{ wordBreak: 'break-all' }} data-testid="data-dir">
                        {info.dataDir}
                      </Code>
                      <CopyValueButton value={info.dataDir} label="data folder" />
                    </Group>
                    <Text size="xs" c="dimmed" mt={4}>
                      Your queue of mail, the delivery log and the settings are kept here.
                    </Text>
                  </Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </Card>
        </>
      )}
    </SettingsFrame>
  );
}
