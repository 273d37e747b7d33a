import { Card, List, Text, Title } from '@mantine/core';

/**
 * Which mail programs can send through Mailroom, and what to do in those that cannot.
 * Only a program that sends from this computer can reach the relay: the new Outlook for
 * Windows runs other mail accounts through Microsoft's cloud (see the README for sources).
 */
export function RelayMailPrograms() {
  return (
    <Card withBorder padding="lg" data-testid="relay-mail-programs">
      <Title order={3} size="h4" mb={4}>
        Which mail programs work
      </Title>
      <Text size="sm" mb="xs">
        A mail program can send through Mailroom when it sends from this computer:
      </Text>
      <List size="sm" spacing={4} mb="md" data-testid="programs-that-work">
        <List.Item>
          <b>Classic Outlook</b> for Windows: Outlook 2016, 2019, 2021, 2024, and the Outlook that comes with Microsoft
          365 on the desktop
        </List.Item>
        <List.Item>
          <b>Thunderbird</b> (Windows, Mac, Linux)
        </List.Item>
        <List.Item>
          <b>Apple Mail</b> on a Mac
        </List.Item>
        <List.Item>
          <b>eM Client</b>, and any other program on this computer that lets you type in the outgoing (SMTP) server: use
          the values above
        </List.Item>
      </List>
      <Text size="sm" mb="xs">
        These cannot:
      </Text>
      <List size="sm" spacing={4} data-testid="programs-that-do-not">
        <List.Item>
          <b>The new Outlook for Windows</b> (it shows a “New Outlook” switch at the top right). It runs other mail
          accounts through Microsoft’s cloud, so it sends from Microsoft’s servers, which cannot reach this computer. If
          you have classic Outlook, turn that switch off to go back to it; if not, use Thunderbird (free) or eM Client.
        </List.Item>
        <List.Item>
          <b>Windows Mail</b> (“Mail and Calendar”): Microsoft switched it off at the end of 2024. Use one of the
          programs above.
        </List.Item>
        <List.Item>
          <b>Outlook on the web, Gmail in a browser, and mail apps on phones</b>: they send from your provider’s
          servers, not from this computer.
        </List.Item>
        <List.Item>
          <b>Outlook for Mac</b> may also run an account through Microsoft’s cloud; if sending through Mailroom fails
          there, use Apple Mail.
        </List.Item>
      </List>
    </Card>
  );
}
