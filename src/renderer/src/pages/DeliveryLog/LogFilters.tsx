import { Button, Group, MultiSelect, Select, TextInput } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../../../shared/domain/delivery.ts';
import { LOG_SORTS, type LogFilter, type LogSort } from '../../../../shared/domain/delivery-log.ts';
import { STATUS_LABELS } from './status-style.ts';

const SORT_LABELS: Record<LogSort, string> = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  'recently-updated': 'Recently updated',
  recipient: 'Recipient A–Z',
};

/** yyyy-mm-dd from a date input → local midnight; `endOfDay` gives the next midnight. */
function dayToMs(day: string, endOfDay: boolean): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (endOfDay ? 1 : 0));
  return Number.isNaN(d.getTime()) ? undefined : d.getTime();
}

export function LogFilters({
  onChange,
  sort,
  onSort,
}: {
  onChange: (filter: LogFilter) => void;
  sort: LogSort;
  onSort: (sort: LogSort) => void;
}) {
  const [statuses, setStatuses] = useState<string[]>([]);
  const [domain, setDomain] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [text, setText] = useState('');
  const dateError =
    since && until && (dayToMs(since, false) ?? 0) >= (dayToMs(until, true) ?? 0)
      ? 'The end date is before the start date.'
      : null;

  // Typing is debounced: one query when the user pauses, not one per key. The first
  // run is skipped: the page already asked for the unfiltered log.
  const mounted = useRef(false);
  useEffect(() => {
    if (!mounted.current) {
      mounted.current = true;
      return;
    }
    if (dateError) return;
    const timer = setTimeout(() => {
      const filter: LogFilter = {};
      if (statuses.length) filter.statuses = statuses as DeliveryStatus[];
      if (domain.trim()) filter.domain = domain.trim();
      const s = dayToMs(since, false);
      const u = dayToMs(until, true);
      if (s !== undefined) filter.since = s;
      if (u !== undefined) filter.until = u;
      if (text.trim()) filter.text = text.trim();
      onChange(filter);
    }, 300);
    return () => clearTimeout(timer);
  }, [statuses, domain, since, until, text, dateError, onChange]);

  const clear = () => {
    setStatuses([]);
    setDomain('');
    setSince('');
    setUntil('');
    setText('');
  };

  return (
    <Group align="flex-end" gap="sm" wrap="wrap">
      <TextInput
        label="Search"
        placeholder="Recipient, sender, subject or id"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        maxLength={200}
        w={240}
        data-testid="log-text"
      />
      <MultiSelect
        label="Status"
        placeholder={statuses.length ? undefined : 'Any'}
        data={DELIVERY_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))}
        value={statuses}
        onChange={setStatuses}
        clearable
        w={220}
        data-testid="log-status"
      />
      <TextInput
        label="Recipient domain"
        placeholder="gmail.com"
        value={domain}
        onChange={(e) => setDomain(e.currentTarget.value)}
        w={160}
        data-testid="log-domain"
      />
      <TextInput
        type="date"
        label="From"
        value={since}
        onChange={(e) => setSince(e.currentTarget.value)}
        w={150}
        data-testid="log-since"
      />
      <TextInput
        type="date"
        label="To"
        value={until}
        onChange={(e) => setUntil(e.currentTarget.value)}
        error={dateError}
        w={150}
        data-testid="log-until"
      />
      <Select
        label="Order"
        data={LOG_SORTS.map((s) => ({ value: s, label: SORT_LABELS[s] }))}
        value={sort}
        onChange={(v) => v && onSort(v as LogSort)}
        allowDeselect={false}
        w={170}
        data-testid="log-sort"
      />
      <Button variant="subtle" onClick={clear}>
        Clear filters
      </Button>
    </Group>
  );
}
