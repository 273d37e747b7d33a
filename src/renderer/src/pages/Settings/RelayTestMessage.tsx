import { Alert, Anchor, Button, Card, Code, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { SendingDomain } from '../../../../shared/ipc/contract.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { hrefOf } from '../../lib/router.ts';

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

type Result = { ok: true; reply: string } | { ok: false; message: string };

/** Sends a message through the relay exactly as a mail program would, and shows the relay's answer. */
export function RelayTestMessage({ domains, running }: { domains: SendingDomain[]; running: boolean }) {
  const first = domains[0]?.domain;
  const [from, setFrom] = useState(first ? `test@${first}` : '');
  const [to, setTo] = useState('');
  const [errors, setErrors] = useState<{ from?: string; to?: string }>({});
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<Result | null>(null);

  // The domains may arrive (or be added) after the field was shown empty.
  useEffect(() => {
    if (first) setFrom((f) => f || `test@${first}`);
  }, [first]);

  const send = async () => {
    const wrong = {
      from: ADDRESS.test(from.trim()) ? undefined : 'Write an address like test@yourdomain.com.',
      to: ADDRESS.test(to.trim()) ? undefined : 'Write your own address, like you@example.com.',
    };
    setErrors(wrong);
    if (wrong.from || wrong.to) return;
    setSending(true);
    setResult(null);
    try {
      const answer = await call('relay.sendTest', { from: from.trim(), to: to.trim() });
      setResult({ ok: true, reply: answer.reply });
    } catch (err) {
      setResult({ ok: false, message: toIpcError(err).message });
    } finally {
      setSending(false);
    }
  };

  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb={4}>
        Send a test message
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Mailroom logs in to its own relay the way your mail program would and sends a short message. If it is accepted,
        your mail programs can send with the values above.
      </Text>
      {domains.length === 0 && (
        <Alert color="yellow" variant="light" mb="sm" title="Add a sending domain first">
          The relay only sends mail from your own domains, and none is set up yet. Add the domain of your email address
          (the part after the @) on the{' '}
          <Anchor inherit href={hrefOf('/settings/domains')}>
            Sending domains
          </Anchor>{' '}
          page, then come back here.
        </Alert>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <Stack gap="sm">
          <Group grow align="flex-start">
            <TextInput
              label="From"
              description={
                domains.length > 0
                  ? `An address at one of your sending domains: ${domains.map((d) => d.domain).join(', ')}`
                  : 'An address at one of your sending domains'
              }
              value={from}
              onChange={(e) => {
                setFrom(e.currentTarget.value);
                setErrors((x) => ({ ...x, from: undefined }));
              }}
              error={errors.from}
              autoComplete="off"
              data-testid="test-from"
            />
            <TextInput
              label="To"
              description="Your own address, so you can see the message arrive"
              placeholder="you@example.com"
              value={to}
              onChange={(e) => {
                setTo(e.currentTarget.value);
                setErrors((x) => ({ ...x, to: undefined }));
              }}
              error={errors.to}
              autoComplete="email"
              data-testid="test-to"
            />
          </Group>
          <Group>
            <Button type="submit" loading={sending} disabled={!running || domains.length === 0} data-testid="send-test">
              Send test message
            </Button>
            {!running && (
              <Text size="sm" c="dimmed">
                The relay is not running, so nothing can be sent through it now.
              </Text>
            )}
          </Group>
        </Stack>
      </form>
      {result?.ok && (
        <Alert
          color="green"
          variant="light"
          mt="md"
          title="The relay accepted the test message"
          data-testid="test-result"
          data-ok="true"
        >
          <Text size="sm">The relay replied:</Text>
          <Code block my={6}>
            {result.reply}
          </Code>
          <Text size="sm">
            It now goes out like any other message. Follow it in the{' '}
            <Anchor inherit href={hrefOf('/log')}>
              Delivery log
            </Anchor>
            .
          </Text>
        </Alert>
      )}
      {result && !result.ok && (
        <Alert
          color="red"
          variant="light"
          mt="md"
          role="alert"
          title="The test message was not sent"
          data-testid="test-result"
          data-ok="false"
        >
          {result.message}
        </Alert>
      )}
    </Card>
  );
}
