import { Alert, Anchor, Badge, Button, Checkbox, Group, NativeSelect, Stack, Table, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { CONTACT_PAGE_SIZES, type ContactFilter, type ContactRow } from '../../../../shared/domain/contacts.ts';
import { CursorPager } from '../../components/CursorPager/CursorPager.tsx';
import { call } from '../../lib/ipc.ts';
import { useLoad } from '../../lib/use-load.ts';
import { AddContactModal } from './AddContactModal.tsx';
import { BulkActions } from './BulkActions.tsx';
import { ContactDrawer } from './ContactDrawer.tsx';
import { ContactFilters } from './ContactFilters.tsx';
import { REASON_LABELS, STATUS_COLORS } from './contact-words.ts';
import { useContactOptions } from './use-contact-options.ts';

type PageSize = (typeof CONTACT_PAGE_SIZES)[number];

/**
 * Every contact, a page at a time with a keyset cursor from main (as quick with a
 * million contacts as with ten), with search, filters, ticked rows and a drawer.
 */
export function ContactsTab() {
  const [filter, setFilter] = useState<ContactFilter>({});
  const [pageSize, setPageSize] = useState<PageSize>(50);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [pageNo, setPageNo] = useState(1);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  // Every contact the filter matches, beyond this page (for bulk actions over a whole list).
  const [allMatching, setAllMatching] = useState(false);
  const [openId, setOpenId] = useState<number | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [adding, setAdding] = useState(false);
  const options = useContactOptions(refreshKey);

  const page = useLoad(
    () => call('contacts.query', { filter, pageSize, ...(cursor ? { cursor } : {}) }),
    [filter, pageSize, cursor, refreshKey],
  );

  const restart = useCallback(() => {
    setCursor(undefined);
    setPageNo(1);
    setSelected(new Set());
    setAllMatching(false);
  }, []);
  const onFilter = useCallback(
    (f: ContactFilter) => {
      setFilter(f);
      restart();
    },
    [restart],
  );
  const refresh = () => {
    setSelected(new Set());
    setAllMatching(false);
    setRefreshKey((k) => k + 1);
  };

  const rows = page.data?.rows ?? [];
  const allChecked = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const toggleAll = () => {
    setAllMatching(false);
    setSelected(allChecked ? new Set() : new Set(rows.map((r) => r.id)));
  };
  const toggle = (id: number) => {
    setAllMatching(false);
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };
  const total = page.data?.total;
  const first = (pageNo - 1) * pageSize + 1;

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Everyone you can write to. Click a row to see and change a person; tick rows to act on several at once.
        </Text>
        <Button onClick={() => setAdding(true)} data-testid="contacts-add">
          Add a contact
        </Button>
      </Group>
      <ContactFilters options={options.data} onChange={onFilter} />
      {page.error && (
        <Alert color="red" variant="light" title="The contacts could not be read" data-testid="contacts-error">
          {page.error.message}
        </Alert>
      )}
      <Group justify="space-between">
        <Text size="sm" c="dimmed" data-testid="contacts-total">
          {total
            ? total.count === 0
              ? 'No contacts match.'
              : `${first.toLocaleString()}–${(first + rows.length - 1).toLocaleString()} of ${total.capped ? 'more than ' : ''}${total.count.toLocaleString()}`
            : 'Loading…'}
        </Text>
        <BulkActions
          ids={[...selected]}
          matching={allMatching && total ? { filter, count: total.count, capped: total.capped } : null}
          options={options.data}
          onDone={refresh}
        />
      </Group>
      {allChecked && total && total.count > rows.length && (
        <Text size="sm" data-testid="contacts-select-matching">
          {allMatching ? (
            <>
              All {total.capped ? 'more than ' : ''}
              {total.count.toLocaleString()} contacts that match are chosen.{' '}
              <Anchor component="button" onClick={() => setAllMatching(false)}>
                Only this page
              </Anchor>
            </>
          ) : (
            <>
              The {rows.length} on this page are ticked.{' '}
              <Anchor component="button" onClick={() => setAllMatching(true)} data-testid="contacts-choose-matching">
                Choose all {total.capped ? 'more than ' : ''}
                {total.count.toLocaleString()} that match
              </Anchor>
            </>
          )}
        </Text>
      )}
      <Table.ScrollContainer minWidth={800}>
        <Table highlightOnHover striped verticalSpacing={6} data-testid="contacts-table" aria-busy={page.loading}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={36}>
                <Checkbox aria-label="Select every row on this page" checked={allChecked} onChange={toggleAll} />
              </Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Lists</Table.Th>
              <Table.Th>Tags</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <ContactTableRow
                key={r.id}
                r={r}
                checked={selected.has(r.id)}
                onCheck={() => toggle(r.id)}
                onOpen={() => setOpenId(r.id)}
              />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="space-between">
        <NativeSelect
          aria-label="Rows per page"
          data={CONTACT_PAGE_SIZES.map((n) => ({ value: String(n), label: `${n} per page` }))}
          value={String(pageSize)}
          onChange={(e) => {
            setPageSize(Number(e.currentTarget.value) as PageSize);
            restart();
          }}
          w={140}
        />
        <CursorPager
          onFirstPage={cursor === undefined}
          previous={page.data?.previous}
          next={page.data?.next}
          onFirst={restart}
          onGo={(to, step) => {
            setCursor(to);
            setPageNo((n) => Math.max(1, n + step));
          }}
          testId="contacts"
        />
      </Group>
      <ContactDrawer
        id={openId}
        onClose={() => setOpenId(null)}
        onChanged={refresh}
        refreshKey={refreshKey}
        options={options.data}
      />
      <AddContactModal
        opened={adding}
        options={options.data}
        onClose={() => setAdding(false)}
        onAdded={(id) => {
          refresh();
          setOpenId(id);
        }}
      />
    </Stack>
  );
}

function ContactTableRow({
  r,
  checked,
  onCheck,
  onOpen,
}: {
  r: ContactRow;
  checked: boolean;
  onCheck: () => void;
  onOpen: () => void;
}) {
  const name = [r.firstName, r.lastName].filter(Boolean).join(' ');
  return (
    <Table.Tr data-testid={`contact-row-${r.id}`} style={{ cursor: 'pointer' }} onClick={onOpen}>
      <Table.Td onClick={(e) => e.stopPropagation()}>
        <Checkbox aria-label={`Select ${r.address}`} checked={checked} onChange={onCheck} />
      </Table.Td>
      <Table.Td style={{ wordBreak: 'break-all' }}>
        <Group gap={6}>
          <span>{r.address}</span>
          {r.suppressed && (
            <Badge size="xs" color="red" variant="light" title={REASON_LABELS[r.suppressed]}>
              do not send
            </Badge>
          )}
        </Group>
      </Table.Td>
      <Table.Td>
        {name || (
          <Text span c="dimmed" size="sm">
            —
          </Text>
        )}
        {r.company && (
          <Text size="xs" c="dimmed">
            {r.company}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {r.lists.map((l) => (
            <Badge key={l.id} size="sm" variant="light" color={STATUS_COLORS[l.status]} title={l.status}>
              {l.name}
            </Badge>
          ))}
        </Group>
      </Table.Td>
      <Table.Td>
        <Group gap={4} data-testid="contact-tags">
          {r.tags.map((t) => (
            <Badge key={t} size="sm" variant="outline" color="gray">
              {t}
            </Badge>
          ))}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
