import { Alert, Button, Card, Group, List, NumberInput, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { type BackupSummary, formatBytes } from '../../../../shared/domain/backup.ts';
import { parseDuration } from '../../../../shared/domain/durations.ts';
import { call, toIpcError } from '../../lib/ipc.ts';
import { notifySuccess } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';

const DAY = 86_400_000;

/** A stored duration ("30d", or "36h" set from the command line) in whole days for the form. */
function days(text: string): number {
  const ms = parseDuration(text);
  return typeof ms === 'number' ? Math.max(1, Math.round(ms / DAY)) : 1;
}

/**
 * Settings → App, "Your data": how much room the data folder takes, how long finished
 * mail is kept (retention), and a backup of everything in one file.
 */
export function AppDataCard() {
  const size = useLoad(() => call('app.dataSize'), []);
  const settings = useLoad(() => call('settings.get'), []);
  const [bodies, setBodies] = useState<number | string | null>(null);
  const [logRows, setLogRows] = useState<number | string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [backingUp, setBackingUp] = useState(false);
  const [backup, setBackup] = useState<BackupSummary | null>(null);
  const [backupError, setBackupError] = useState<string | null>(null);

  const s = settings.data;
  const storedBodies = s ? days(s['retention.messageBodies']) : null;
  const storedLog = s ? days(s['retention.logRows']) : null;
  const shownBodies = bodies ?? storedBodies ?? '';
  const shownLog = logRows ?? storedLog ?? '';
  const changed = s !== null && (shownBodies !== storedBodies || shownLog !== storedLog);

  const save = async () => {
    setSaveError(null);
    const b = Number(shownBodies);
    const l = Number(shownLog);
    if (!Number.isInteger(b) || b < 1 || !Number.isInteger(l) || l < 1) {
      setSaveError('Write a whole number of days, at least 1, in both fields. Nothing was saved.');
      return;
    }
    setSaving(true);
    try {
      const saved = await call('settings.update', {
        values: { 'retention.messageBodies': `${b}d`, 'retention.logRows': `${l}d` },
      });
      settings.set(saved);
      setBodies(null);
      setLogRows(null);
      notifySuccess('Mailroom keeps finished mail for the new times from its next clean-up.', 'Saved');
    } catch (err) {
      setSaveError(toIpcError(err).message);
    } finally {
      setSaving(false);
    }
  };

  const runBackup = async () => {
    setBackupError(null);
    setBackingUp(true);
    try {
      const result = await call('app.backup');
      if (result.summary) {
        setBackup(result.summary);
        void size.reload();
      }
    } catch (err) {
      setBackup(null);
      setBackupError(toIpcError(err).message);
    } finally {
      setBackingUp(false);
    }
  };

  const d = size.data;
  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb="sm">
        Your data
      </Title>
      <Stack gap="md">
        <Text size="sm" data-testid="data-size">
          {d
            ? `Mailroom’s data takes ${formatBytes(d.total)} on this computer: the database ${formatBytes(d.database)}${
                d.databaseFree > 0 ? ` (${formatBytes(d.databaseFree)} of it free for new mail)` : ''
              } and ${d.spoolFiles === 1 ? '1 large message' : `${d.spoolFiles} large messages`} ${formatBytes(d.spool)}.`
            : size.error
              ? `The size of the data folder could not be read: ${size.error.message}`
              : 'Measuring the data folder…'}
        </Text>

        <div>
          <Text fw={600} size="sm">
            How long finished mail is kept
          </Text>
          <Text size="sm" c="dimmed" mb="xs">
            Counted from when the last recipient’s delivery finished (delivered, bounced or cancelled). Mail still
            waiting to go out is never removed.
          </Text>
          <Group grow align="flex-start">
            <NumberInput
              label="Keep the text of messages for (days)"
              description="Then the text goes; the headers and the delivery log stay."
              value={shownBodies}
              onChange={setBodies}
              min={1}
              allowDecimal={false}
              allowNegative={false}
              clampBehavior="none"
              thousandSeparator={false}
              disabled={!s}
              data-testid="retention-bodies"
            />
            <NumberInput
              label="Keep the delivery log for (days)"
              description="Then the message and its attempts go (730 = two years)."
              value={shownLog}
              onChange={setLogRows}
              min={1}
              allowDecimal={false}
              allowNegative={false}
              clampBehavior="none"
              thousandSeparator={false}
              disabled={!s}
              data-testid="retention-log"
            />
          </Group>
          {saveError && (
            <Alert color="red" variant="light" mt="sm" title="Nothing was saved" data-testid="retention-error">
              {saveError}
            </Alert>
          )}
          <Group mt="sm">
            <Button
              size="sm"
              onClick={() => void save()}
              loading={saving}
              disabled={!changed}
              data-testid="retention-save"
            >
              Save
            </Button>
          </Group>
        </div>

        <div>
          <Text fw={600} size="sm">
            Backup
          </Text>
          <Text size="sm" c="dimmed" mb="xs">
            One file with your settings, domains, queue, delivery log and stored messages, made while Mailroom keeps
            running. Keep it somewhere else than this computer. Passwords and DKIM keys stay in the system keychain and
            are not in it.
          </Text>
          <Button
            size="sm"
            variant="default"
            onClick={() => void runBackup()}
            loading={backingUp}
            data-testid="backup-button"
          >
            Back up…
          </Button>
          {backupError && (
            <Alert color="red" variant="light" mt="sm" title="The backup was not made" data-testid="backup-error">
              {backupError}
            </Alert>
          )}
          {backup && (
            <Alert color="green" variant="light" mt="sm" title="Backup saved" data-testid="backup-result">
              <Text size="sm">
                {backup.file} ({formatBytes(backup.bytes)}): {backup.counts.messages.toLocaleString()} messages,{' '}
                {backup.counts.deliveries.toLocaleString()} deliveries. To restore it:{' '}
                <code>mailroom restore FILE --data-dir NEW-FOLDER</code>.
              </Text>
              {backup.secrets.names.length > 0 && (
                <>
                  <Text size="sm" mt="xs">
                    {backup.secrets.note}
                  </Text>
                  <List size="sm" mt={4} data-testid="backup-secrets">
                    {backup.secrets.names.map((n) => (
                      <List.Item key={n.name}>
                        <b>{n.name}</b>: {n.what}. To set it: {n.howToSet}.
                      </List.Item>
                    ))}
                  </List>
                </>
              )}
            </Alert>
          )}
        </div>
      </Stack>
    </Card>
  );
}
