import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Progress,
  Select,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  LOG_PAGE_SIZES,
  type LogActionResult,
  type LogFilter,
  type LogRow,
  type LogSort,
} from '../../../../shared/domain/delivery-log.ts';
import { CursorPager } from '../../components/CursorPager/CursorPager.tsx';
import { call, subscribe } from '../../lib/ipc.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { useLoad } from '../../lib/use-load.ts';
import { DeliveryDrawer } from './DeliveryDrawer.tsx';
import { LogFilters } from './LogFilters.tsx';
import { formatTime, STATUS_COLORS, STATUS_LABELS } from './status-style.ts';

type PageSize = (typeof LOG_PAGE_SIZES)[number];

/**
 * Every recipient of every message with its state. Pages come from main one at a
 * time with a keyset cursor, so the table is as quick with a million deliveries as
 * with ten; the window never holds more than one page.
 */
export function DeliveryLogPage() {
  const [filter, setFilter] = useState<LogFilter>({});
  const [sort, setSort] = useState<LogSort>('newest');
  const [pageSize, setPageSize] = useState<PageSize>(50);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [pageNo, setPageNo] = useState(1);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [openId, setOpenId] = useState<number | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [confirmCancel, setConfirmCancel] = useState<number[] | null>(null);

  const page = useLoad(
    () => call('log.search', { filter, sort, pageSize, ...(cursor ? { cursor } : {}) }),
    [filter, sort, pageSize, cursor, refreshKey],
  );

  const restart = useCallback(() => {
    setCursor(undefined);
    setPageNo(1);
    setSelected(new Set());
  }, []);
  const onFilter = useCallback(
    (f: LogFilter) => {
      setFilter(f);
      restart();
    },
    [restart],
  );

  // New mail and outcomes appear by themselves on the first page; deeper pages stay
  // still while the user reads them.
  const onFirstPage = cursor === undefined;
  const firstPageRef = useRef(onFirstPage);
  firstPageRef.current = onFirstPage;
  useEffect(
    () =>
      subscribe('dashboard.changed', () => {
        if (firstPageRef.current) setRefreshKey((k) => k + 1);
      }),
    [],
  );

  const act = async (action: 'retry' | 'cancel', ids: number[]) => {
    try {
      const result: LogActionResult = await call(action === 'retry' ? 'log.retry' : 'log.cancel', { ids });
      const verb = action === 'retry' ? 'will be tried again now' : 'cancelled';
      if (result.changed)
        notifySuccess(`${result.changed} ${result.changed === 1 ? 'delivery' : 'deliveries'} ${verb}.`);
      if (result.skipped.length) {
        const reasons = [...new Set(result.skipped.map((s) => s.reason))].join('; ');
        notifyError(
          new Error(`${result.skipped.length} left as they were: ${reasons}.`),
          action === 'retry' ? 'Some deliveries were not retried' : 'Some deliveries were not cancelled',
        );
      }
      setSelected(new Set());
      setRefreshKey((k) => k + 1);
    } catch (err) {
      notifyError(err);
    }
  };

  const rows = page.data?.rows ?? [];
  const allChecked = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const toggleAll = () => setSelected(allChecked ? new Set() : new Set(rows.map((r) => r.id)));
  const toggle = (id: number) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const total = page.data?.total;
  const first = (pageNo - 1) * pageSize + 1;

  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Title order={2}>Delivery log</Title>
        <ExportButton filter={filter} sort={sort} />
      </Group>
      <LogFilters
        onChange={onFilter}
        sort={sort}
        onSort={(s) => {
          setSort(s);
          restart();
        }}
      />
      {page.error && (
        <Alert color="red" variant="light" title="The log could not be read" data-testid="log-error">
          {page.error.message}
        </Alert>
      )}
      <Group justify="space-between">
        <Text size="sm" c="dimmed" data-testid="log-total">
          {total
            ? total.count === 0
              ? 'No deliveries match.'
              : `${first.toLocaleString()}–${(first + rows.length - 1).toLocaleString()} of ${total.capped ? 'more than ' : ''}${total.count.toLocaleString()}`
            : 'Loading…'}
        </Text>
        <Group gap="xs">
          <Button
            size="xs"
            variant="default"
            disabled={selected.size === 0}
            onClick={() => act('retry', [...selected])}
            data-testid="log-retry"
          >
            Retry now{selected.size ? ` (${selected.size})` : ''}
          </Button>
          <Button
            size="xs"
            variant="default"
            color="red"
            disabled={selected.size === 0}
            onClick={() => setConfirmCancel([...selected])}
            data-testid="log-cancel"
          >
            Cancel{selected.size ? ` (${selected.size})` : ''}
          </Button>
        </Group>
      </Group>
      <Table.ScrollContainer minWidth={900}>
        <Table highlightOnHover striped verticalSpacing={6} data-testid="log-table" aria-busy={page.loading}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={36}>
                <Checkbox aria-label="Select every row on this page" checked={allChecked} onChange={toggleAll} />
              </Table.Th>
              <Table.Th>Recipient</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Subject</Table.Th>
              <Table.Th>From</Table.Th>
              <Table.Th>Queued</Table.Th>
              <Table.Th>Last reply</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <LogTableRow
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
        <Select
          aria-label="Rows per page"
          data={LOG_PAGE_SIZES.map((n) => ({ value: String(n), label: `${n} per page` }))}
          value={String(pageSize)}
          onChange={(v) => {
            if (!v) return;
            setPageSize(Number(v) as PageSize);
            restart();
          }}
          allowDeselect={false}
          w={140}
        />
        <CursorPager
          onFirstPage={onFirstPage}
          previous={page.data?.previous}
          next={page.data?.next}
          onFirst={restart}
          onGo={(to, step) => {
            setCursor(to);
            setPageNo((n) => Math.max(1, n + step));
          }}
          testId="log"
        />
      </Group>
      <DeliveryDrawer
        id={openId}
        onClose={() => setOpenId(null)}
        refreshKey={refreshKey}
        onAction={async (a, ids) => (a === 'cancel' ? setConfirmCancel(ids) : act(a, ids))}
      />
      <Modal
        opened={confirmCancel !== null}
        onClose={() => setConfirmCancel(null)}
        title="Cancel these deliveries?"
        centered
      >
        <Text size="sm">
          {confirmCancel?.length === 1 ? 'This recipient' : `These ${confirmCancel?.length} recipients`} will not get
          the message. Deliveries already delivered, bounced or being sent right now are left as they are.
        </Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setConfirmCancel(null)}>
            Keep them
          </Button>
          <Button
            color="red"
            data-testid="confirm-cancel"
            onClick={() => {
              const ids = confirmCancel ?? [];
              setConfirmCancel(null);
              void act('cancel', ids);
            }}
          >
            Cancel deliveries
          </Button>
        </Group>
      </Modal>
    </Stack>
  );
}

function LogTableRow({
  r,
  checked,
  onCheck,
  onOpen,
}: {
  r: LogRow;
  checked: boolean;
  onCheck: () => void;
  onOpen: () => void;
}) {
  const reply = r.lastResponse ? `${r.lastResponse}` : r.status === 'queued' ? 'not tried yet' : '';
  return (
    <Table.Tr data-testid={`log-row-${r.id}`} data-status={r.status} style={{ cursor: 'pointer' }} onClick={onOpen}>
      <Table.Td onClick={(e) => e.stopPropagation()}>
        <Checkbox aria-label={`Select ${r.recipient}`} checked={checked} onChange={onCheck} />
      </Table.Td>
      <Table.Td style={{ wordBreak: 'break-all' }}>{r.recipient}</Table.Td>
      <Table.Td miw={120}>
        <Badge color={STATUS_COLORS[r.status]} variant="light" style={{ overflow: 'visible' }}>
          {STATUS_LABELS[r.status]}
        </Badge>
      </Table.Td>
      <Table.Td maw={220} style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
        {r.subject ?? (
          <Text span c="dimmed">
            (no subject)
          </Text>
        )}
      </Table.Td>
      <Table.Td style={{ wordBreak: 'break-all' }}>{r.mailFrom || '<>'}</Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(r.createdAt)}</Table.Td>
      <Table.Td maw={260}>
        <Tooltip label={reply} disabled={!reply} multiline maw={400}>
          <Text size="xs" c="dimmed" lineClamp={2}>
            {reply}
          </Text>
        </Tooltip>
      </Table.Td>
    </Table.Tr>
  );
}

/** CSV of everything the filter matches (not just this page), with progress for big logs. */
function ExportButton({ filter, sort }: { filter: LogFilter; sort: LogSort }) {
  const [progress, setProgress] = useState<{ done: number; total: number | null } | null>(null);
  const run = async () => {
    setProgress({ done: 0, total: null });
    const off = subscribe('export.progress', setProgress);
    try {
      const result = await call('log.export', { filter, sort });
      if (result.saved) notifySuccess(`${result.rows.toLocaleString()} rows saved to ${result.path}.`, 'Exported');
    } catch (err) {
      notifyError(err, 'The export failed; no file was left behind');
    } finally {
      off();
      setProgress(null);
    }
  };
  return (
    <Group gap="sm">
      {progress && (
        <Stack gap={2} w={200} data-testid="export-progress">
          <Text size="xs" c="dimmed">
            {progress.done.toLocaleString()}
            {progress.total ? ` of ${progress.total.toLocaleString()}` : ''} rows
          </Text>
          <Progress
            value={progress.total ? (progress.done / progress.total) * 100 : 100}
            animated={!progress.total}
            aria-label="Export progress"
          />
        </Stack>
      )}
      <Button variant="default" onClick={run} loading={progress !== null} data-testid="log-export">
        Export CSV
      </Button>
    </Group>
  );
}
