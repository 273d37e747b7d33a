import { Card, Code, List, Tabs, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import type { RelayDetails } from '../../../../shared/ipc/contract.ts';

/** Where each value from the table goes, in the words each mail program uses. */
export function RelayMailProgramSteps({ details }: { details: RelayDetails }) {
  const host = <Code>{details.host}</Code>;
  const port = <Code>{details.port}</Code>;
  const user = details.username ? <Code>{details.username}</Code> : 'the user name above';
  const password = 'the relay password (use Copy password above)';

  return (
    <Card withBorder padding="lg">
      <Title order={3} size="h4" mb={4}>
        Where to type them
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Only the outgoing (sending) server changes. Your incoming mail stays as it is.
      </Text>
      <Tabs defaultValue="outlook" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="outlook">Classic Outlook</Tabs.Tab>
          <Tabs.Tab value="thunderbird">Thunderbird</Tabs.Tab>
          <Tabs.Tab value="apple">Apple Mail</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="outlook" pt="md">
          <Steps>
            <List.Item>
              In classic Outlook, choose <b>File → Account Settings → Account Settings…</b>, select your email account
              and choose <b>Change…</b> (in newer versions: <b>File → Account Settings → Server Settings</b>).
            </List.Item>
            <List.Item>
              Under the <b>Outgoing (SMTP) server</b>, type {host} as the server. Choose <b>More Settings…</b> if you do
              not see the port: on the <b>Advanced</b> tab, set the outgoing server port to {port} and the type of
              encrypted connection to <b>None</b>.
            </List.Item>
            <List.Item>
              Tick <b>My outgoing server (SMTP) requires authentication</b> and choose to log on with a user name and
              password. User name: {user}. Password: {password}. Leave Secure Password Authentication (SPA) unticked.
            </List.Item>
            <List.Item>
              Choose <b>OK</b>, then <b>Next</b> or <b>Done</b>. Outlook may send a test message; it goes through
              Mailroom.
            </List.Item>
          </Steps>
        </Tabs.Panel>
        <Tabs.Panel value="thunderbird" pt="md">
          <Steps>
            <List.Item>
              In Thunderbird, open the menu <b>≡ → Account Settings</b>.
            </List.Item>
            <List.Item>
              At the bottom of the list on the left, choose <b>Outgoing Server (SMTP)</b>, then <b>Add…</b>.
            </List.Item>
            <List.Item>
              Server Name: {host}. Port: {port}. Connection security: <b>None</b>. Authentication method:{' '}
              <b>Normal password</b>. User Name: {user}. Choose <b>OK</b>.
            </List.Item>
            <List.Item>
              Select your email account in the list and, at <b>Outgoing Server (SMTP)</b>, pick the server you just
              added.
            </List.Item>
            <List.Item>
              The first time you send, Thunderbird asks for the password: paste {password} and let it remember it.
            </List.Item>
          </Steps>
        </Tabs.Panel>
        <Tabs.Panel value="apple" pt="md">
          <Steps>
            <List.Item>
              In Mail, choose <b>Mail → Settings</b> (Preferences on older Macs), then <b>Accounts</b>, and select your
              account.
            </List.Item>
            <List.Item>
              Open <b>Server Settings</b>. Under <b>Outgoing Mail Server (SMTP)</b>, choose{' '}
              <b>Edit SMTP Server List…</b> and add a server.
            </List.Item>
            <List.Item>
              Host name: {host}. Untick <b>Automatically manage connection settings</b>, then Port: {port}, untick{' '}
              <b>Use TLS/SSL</b>, Authentication: <b>Password</b>.
            </List.Item>
            <List.Item>
              User name: {user}. Password: {password}. Choose <b>OK</b> and <b>Save</b>.
            </List.Item>
          </Steps>
        </Tabs.Panel>
      </Tabs>
    </Card>
  );
}

function Steps({ children }: { children: ReactNode }) {
  return (
    <List type="ordered" spacing="xs" size="sm">
      {children}
    </List>
  );
}
