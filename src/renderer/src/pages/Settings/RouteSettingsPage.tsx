import { Alert, Code, Text } from '@mantine/core';
import type { IpcOutput } from '../../../../shared/ipc/contract.ts';
import { call } from '../../lib/ipc.ts';
import { useLoad } from '../../lib/use-load.ts';
import { RouteEditor } from './RouteEditor.tsx';
import { LoadFailed, Loading, SettingsFrame } from './SettingsFrame.tsx';

async function loadRoute() {
  const [settings, routeState] = await Promise.all([call('settings.get'), call('route.get')]);
  return { settings, routeState };
}

/** Settings → Sending route: directly, or through the person's email provider. */
export function RouteSettingsPage() {
  const loaded = useLoad(loadRoute, []);
  const data = loaded.data;

  return (
    <SettingsFrame
      title="Sending route"
      intro="How Mailroom hands your mail on once your mail program has given it over: through your email provider, or directly to each recipient."
    >
      {!data && loaded.error && <LoadFailed what="the sending route" error={loaded.error} onRetry={loaded.reload} />}
      {!data && !loaded.error && <Loading label="Loading the sending route" />}
      {data?.routeState.pause && <PausedAlert pause={data.routeState.pause} />}
      {data && (
        <RouteEditor
          settings={data.settings}
          routeState={data.routeState}
          onSaved={(settings, routeState) => loaded.set({ settings, routeState: routeState ?? data.routeState })}
        />
      )}
    </SettingsFrame>
  );
}

type Pause = NonNullable<IpcOutput<'route.get'>['pause']>;

function PausedAlert({ pause }: { pause: Pause }) {
  const response = pause.response ?? '';
  const words =
    pause.code !== null && !response.startsWith(String(pause.code)) ? `${pause.code} ${response}`.trim() : response;
  return (
    <Alert
      color="red"
      variant="light"
      role="alert"
      title="Sending through your provider is paused"
      data-testid="route-paused"
    >
      <Text size="sm">{pause.reason}</Text>
      {words && (
        <>
          <Text size="sm" mt="xs">
            The server said:
          </Text>
          <Code block mt={4}>
            {words}
          </Code>
        </>
      )}
      <Text size="sm" mt="xs">
        Mail is kept safe in the queue meanwhile. Type the correct password (or API key) below and press Save: sending
        resumes by itself. Paused since {new Date(pause.pausedAt).toLocaleString()}.
      </Text>
    </Alert>
  );
}
