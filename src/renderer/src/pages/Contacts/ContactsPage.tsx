import { Stack, Tabs, Title } from '@mantine/core';
import { useState } from 'react';
import { ImportWizard } from '../Import/ImportWizard.tsx';
import { ContactsTab } from './ContactsTab.tsx';
import { ExportTab } from './ExportTab.tsx';
import { ListsTab } from './ListsTab.tsx';
import { SegmentsTab } from './SegmentsTab.tsx';
import { SuppressionsTab } from './SuppressionsTab.tsx';

const TABS = [
  { value: 'contacts', label: 'Contacts' },
  { value: 'lists', label: 'Lists' },
  { value: 'segments', label: 'Segments' },
  { value: 'suppressions', label: 'Do not send' },
  { value: 'import', label: 'Import' },
  { value: 'export', label: 'Export' },
] as const;
type TabValue = (typeof TABS)[number]['value'];

/** The people a newsletter goes to: contacts, lists, segments, the do-not-send list, import and export. */
export function ContactsPage() {
  const [tab, setTab] = useState<TabValue>('contacts');
  // Each tab loads fresh when it is shown, so a change made in one is seen in the next.
  return (
    <Stack gap="md">
      <Title order={2}>Contacts</Title>
      <Tabs value={tab} onChange={(v) => v && setTab(v as TabValue)} keepMounted={false}>
        <Tabs.List>
          {TABS.map((t) => (
            <Tabs.Tab key={t.value} value={t.value} data-testid={`contacts-tab-${t.value}`}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="contacts" pt="md">
          <ContactsTab />
        </Tabs.Panel>
        <Tabs.Panel value="lists" pt="md">
          <ListsTab />
        </Tabs.Panel>
        <Tabs.Panel value="segments" pt="md">
          <SegmentsTab />
        </Tabs.Panel>
        <Tabs.Panel value="suppressions" pt="md">
          <SuppressionsTab />
        </Tabs.Panel>
        {/* Kept while other tabs are looked at: a running import and the wizard's choices stay. */}
        <Tabs.Panel value="import" pt="md" keepMounted>
          <ImportWizard />
        </Tabs.Panel>
        <Tabs.Panel value="export" pt="md">
          <ExportTab />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
