import {
  ActionIcon,
  AppShell,
  Badge,
  Burger,
  Group,
  NavLink,
  Text,
  Title,
  Tooltip,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import type { AppRoute } from '../../shared/domain/dashboard.ts';
import { hrefOf, useRoute } from './lib/router.ts';
import { useDashboard } from './lib/use-dashboard.ts';
import { ContactsPage } from './pages/Contacts/ContactsPage.tsx';
import { DashboardPage } from './pages/Dashboard/DashboardPage.tsx';
import { DeliveryLogPage } from './pages/DeliveryLog/DeliveryLogPage.tsx';
import { AppSettingsPage } from './pages/Settings/AppSettingsPage.tsx';
import { DomainsSettingsPage } from './pages/Settings/DomainsSettingsPage.tsx';
import { RelaySettingsPage } from './pages/Settings/RelaySettingsPage.tsx';
import { RouteSettingsPage } from './pages/Settings/RouteSettingsPage.tsx';
import { SetupWizardPage } from './pages/Setup/SetupWizardPage.tsx';

const PAGES: { route: AppRoute; label: string; group: 'main' | 'settings'; render: () => ReactNode }[] = [
  { route: '/', label: 'Dashboard', group: 'main', render: () => <DashboardPage /> },
  { route: '/contacts', label: 'Contacts', group: 'main', render: () => <ContactsPage /> },
  { route: '/log', label: 'Delivery log', group: 'main', render: () => <DeliveryLogPage /> },
  { route: '/setup', label: 'Domain setup', group: 'main', render: () => <SetupWizardPage /> },
  { route: '/settings/relay', label: 'Local relay', group: 'settings', render: () => <RelaySettingsPage /> },
  { route: '/settings/route', label: 'Sending route', group: 'settings', render: () => <RouteSettingsPage /> },
  { route: '/settings/domains', label: 'Sending domains', group: 'settings', render: () => <DomainsSettingsPage /> },
  { route: '/settings/app', label: 'App', group: 'settings', render: () => <AppSettingsPage /> },
];

export function App() {
  const route = useRoute();
  const [opened, { toggle, close }] = useDisclosure();
  const page = PAGES.find((p) => p.route === route) ?? (PAGES[0] as (typeof PAGES)[number]);
  const { data } = useDashboard();
  const problems = data?.warnings.filter((w) => w.severity !== 'info').length ?? 0;

  const link = (p: (typeof PAGES)[number]) => (
    <NavLink
      key={p.route}
      href={hrefOf(p.route)}
      label={p.label}
      active={p.route === route}
      onClick={close}
      data-testid={`nav-${p.route}`}
      rightSection={
        p.route === '/' && problems > 0 ? (
          <Badge size="sm" color="orange" circle aria-label={`${problems} warnings`}>
            {problems}
          </Badge>
        ) : undefined
      }
    />
  );

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h3">
              Mailroom
            </Title>
          </Group>
          <Group gap="sm">
            {data && (
              <Badge
                variant="light"
                color={data.status.relay.running ? 'green' : 'red'}
                data-testid="header-relay-state"
              >
                {data.status.relay.running ? `Relay on ${data.status.relay.address}` : 'Relay not running'}
              </Badge>
            )}
            <ColorSchemeToggle />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Pages">
        {PAGES.filter((p) => p.group === 'main').map(link)}
        <Text size="xs" fw={700} c="dimmed" tt="uppercase" mt="md" mb={4} px="sm">
          Settings
        </Text>
        {PAGES.filter((p) => p.group === 'settings').map(link)}
      </AppShell.Navbar>
      <AppShell.Main>{page.render()}</AppShell.Main>
    </AppShell>
  );
}

function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light');
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} mode`}>
      <ActionIcon
        variant="default"
        size="lg"
        aria-label={`Switch to ${next} mode`}
        onClick={() => setColorScheme(next)}
        data-testid="color-scheme-toggle"
      >
        <Text size="lg" aria-hidden>
          {computed === 'dark' ? '☀' : '☾'}
        </Text>
      </ActionIcon>
    </Tooltip>
  );
}
