import { Alert, Anchor, Button, Card, Group, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import type { IpcOutput } from '../../../../shared/ipc/contract.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { hrefOf } from '../../lib/router.ts';
import { useDashboard } from '../../lib/use-dashboard.ts';

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;
const POLL_MS = 1000;
const GIVE_UP_MS = 120_000;

type Outcome =
  | IpcOutput<'dns.testStatus'>
  | { state: 'not-sent'; message: string }
  | { state: 'gave-up'; message: string };

const LOOK: Record<Outcome['state'], { color: string; title: string }> = {
  waiting: { color: 'blue', title: 'On its way' },
  delivered: { color: 'green', title: 'Your test message arrived' },
  failed: { color: 'red', title: 'The test message was not delivered' },
  'not-sent': { color: 'red', title: 'The test message was not sent' },
  'gave-up': { color: 'yellow', title: 'Still not delivered after 2 minutes' },
};

/** The From address is at the domain being set up, written either way for an IDN. */
function atDomain(address: string, domain: string, unicode: string | null): boolean {
  const at = address.trim().toLowerCase().split('@').pop() ?? '';
  return at === domain || (unicode !== null && at === unicode.toLowerCase());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Step 7: a real message through the relay, followed until delivered, with what it was signed as. */
export function TestSendStep({ domain, unicode }: { domain: string; unicode: string | null }) {
  const [from, setFrom] = useState(`postmaster@${domain}`);
  const [to, setTo] = useState('');
  const [errors, setErrors] = useState<{ from?: string; to?: string }>({});
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const send = async () => {
    const wrong = {
      from: !ADDRESS.test(from.trim())
        ? `Write an address like postmaster@${domain}.`
        : !atDomain(from, domain, unicode)
          ? `Use an address at ${domain}: that is the domain being checked.`
          : undefined,
      to: ADDRESS.test(to.trim()) ? undefined : 'Write your own address, like you@example.com.',
    };
    setErrors(wrong);
    if (wrong.from || wrong.to) return;
    setSending(true);
    setOutcome(null);
    try {
      let queueId: string;
      try {
        queueId = (await call('dns.sendTest', { from: from.trim(), to: to.trim() })).queueId;
      } catch (err) {
        setOutcome({ state: 'not-sent', message: toIpcError(err).message });
        return;
      }
      setOutcome({
        state: 'waiting',
        message: 'The relay took the message; waiting for it to be delivered…',
        signed: null,
      });
      const giveUpAt = Date.now() + GIVE_UP_MS;
      while (mounted.current) {
        await sleep(POLL_MS);
        if (!mounted.current) return;
        let status: IpcOutput<'dns.testStatus'>;
        try {
          status = await call('dns.testStatus', { queueId });
        } catch (err) {
          setOutcome({ state: 'failed', message: toIpcError(err).message, signed: null });
          return;
        }
        if (!mounted.current) return;
        setOutcome(status);
        if (status.state !== 'waiting') return;
        if (Date.now() >= giveUpAt) {
          setOutcome({
            state: 'gave-up',
            message: `Mailroom stopped waiting. The message (queue id ${queueId}) is still in the queue and keeps being tried; the Delivery log shows what happens to it. The last word was: ${status.message}`,
          });
          return;
        }
      }
    } finally {
      if (mounted.current) setSending(false);
    }
  };

  return (
    <Stack gap="lg">
      <Card withBorder padding="lg">
        <Title order={3} size="h4" mb={4}>
          Send a test to yourself
        </Title>
        <Text size="sm" c="dimmed" mb="md">
          Mailroom sends a short message through its relay, exactly like your mail program would, and follows it until
          it is delivered. Then look for it in your inbox: it should not land in junk.
        </Text>
        <SendingPausedNote />
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
                description={`An address at ${domain}`}
                value={from}
                onChange={(e) => {
                  setFrom(e.currentTarget.value);
                  setErrors((x) => ({ ...x, from: undefined }));
                }}
                error={errors.from}
                autoComplete="off"
                spellCheck={false}
                data-testid="setup-test-from"
              />
              <TextInput
                label="To"
                description="Your own mailbox, so you can see it arrive"
                placeholder="you@example.com"
                value={to}
                onChange={(e) => {
                  setTo(e.currentTarget.value);
                  setErrors((x) => ({ ...x, to: undefined }));
                }}
                error={errors.to}
                autoComplete="email"
                spellCheck={false}
                data-testid="setup-test-to"
              />
            </Group>
            <Group>
              <Button type="submit" loading={sending} data-testid="setup-test-send">
                Send the test
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
      {outcome && <TestOutcome outcome={outcome} />}
    </Stack>
  );
}

function TestOutcome({ outcome }: { outcome: Outcome }) {
  const unsigned = outcome.state === 'delivered' && !('signed' in outcome && outcome.signed);
  const look = unsigned ? { color: 'orange', title: 'Delivered, but not signed' } : LOOK[outcome.state];
  return (
    <Alert
      color={look.color}
      variant="light"
      title={look.title}
      role={look.color === 'red' ? 'alert' : 'status'}
      data-testid="setup-test-result"
      data-state={outcome.state}
    >
      <Group gap="sm" wrap="nowrap" align="flex-start">
        {outcome.state === 'waiting' && <Loader size="xs" mt={3} aria-label="Waiting for the delivery" />}
        <Text size="sm">{outcome.message}</Text>
      </Group>
      {outcome.state !== 'waiting' && (
        <Text size="sm" mt="xs">
          Every attempt is in the{' '}
          <Anchor inherit href={hrefOf('/log')}>
            Delivery log
          </Anchor>
          .
        </Text>
      )}
    </Alert>
  );
}

/** A paused queue holds the test too; say so, with the way to resume right here. */
function SendingPausedNote() {
  const { data } = useDashboard();
  const [resuming, setResuming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!data?.warnings.some((w) => w.kind === 'sending-paused')) return null;

  const resume = async () => {
    setResuming(true);
    setError(null);
    try {
      await call('sending.setPaused', { paused: false });
    } catch (err) {
      setError(toIpcError(err).message);
    } finally {
      setResuming(false);
    }
  };

  return (
    <Alert color="yellow" variant="light" mb="md" title="Sending is paused" data-testid="setup-sending-paused">
      <Text size="sm">The test message would wait in the queue until you resume sending.</Text>
      <Button
        size="xs"
        mt="xs"
        variant="light"
        color="yellow"
        loading={resuming}
        onClick={resume}
        data-testid="setup-resume-sending"
      >
        Resume sending
      </Button>
      {error && (
        <Text size="sm" c="red" mt={4} role="alert">
          {error}
        </Text>
      )}
    </Alert>
  );
}
