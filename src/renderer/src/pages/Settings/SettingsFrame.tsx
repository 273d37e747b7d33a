import { Alert, Button, Center, Container, Loader, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import type { IpcError } from '../../lib/ipc.ts';

/** Title, one plain sentence about the page, then its sections. */
export function SettingsFrame({ title, intro, children }: { title: string; intro: ReactNode; children: ReactNode }) {
  return (
    <Container size="md" px={0}>
      <Stack gap="lg">
        <div>
          <Title order={2}>{title}</Title>
          <Text c="dimmed" mt={4}>
            {intro}
          </Text>
        </div>
        {children}
      </Stack>
    </Container>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <Center py="xl">
      <Loader aria-label={label} />
    </Center>
  );
}

/** A page whose data could not be read: main's sentence, and a way to try again. */
export function LoadFailed({ what, error, onRetry }: { what: string; error: IpcError; onRetry: () => void }) {
  return (
    <Alert color="red" variant="light" role="alert" title={`Mailroom could not read ${what}`}>
      <Text size="sm">{error.message}</Text>
      <Button mt="sm" size="xs" variant="default" onClick={onRetry}>
        Try again
      </Button>
    </Alert>
  );
}
