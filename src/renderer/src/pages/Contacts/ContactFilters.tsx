import { Button, Group, NativeSelect, TextInput } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { type ContactFilter, MEMBER_STATUSES, type MemberStatus } from '../../../../shared/domain/contacts.ts';
import { STATUS_LABELS } from './contact-words.ts';
import type { ContactOptions } from './use-contact-options.ts';

/** Search and filters of the contacts table; typing waits for a pause before asking main. */
export function ContactFilters({
  options,
  onChange,
}: {
  options: ContactOptions | null;
  onChange: (filter: ContactFilter) => void;
}) {
  const [text, setText] = useState('');
  const [listId, setListId] = useState('');
  const [status, setStatus] = useState('');
  const [tagId, setTagId] = useState('');
  const [suppressed, setSuppressed] = useState('');
  const [segmentId, setSegmentId] = useState('');

  const mounted = useRef(false);
  useEffect(() => {
    if (!mounted.current) {
      mounted.current = true;
      return;
    }
    const timer = setTimeout(() => {
      const f: ContactFilter = {};
      if (text.trim()) f.text = text.trim();
      if (listId) f.listId = Number(listId);
      if (listId && status) f.status = status as MemberStatus;
      if (tagId) f.tagId = Number(tagId);
      if (suppressed) f.suppressed = suppressed === 'yes';
      if (segmentId) f.segmentId = Number(segmentId);
      onChange(f);
    }, 250);
    return () => clearTimeout(timer);
  }, [text, listId, status, tagId, suppressed, segmentId, onChange]);

  const any = (label: string) => [{ value: '', label }];
  return (
    <Group align="flex-end" gap="sm" wrap="wrap">
      <TextInput
        label="Search"
        placeholder="Address or name"
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        maxLength={200}
        w={220}
        data-testid="contacts-search"
      />
      <NativeSelect
        label="List"
        value={listId}
        onChange={(e) => setListId(e.currentTarget.value)}
        data={[...any('All lists'), ...(options?.lists ?? []).map((l) => ({ value: String(l.id), label: l.name }))]}
        data-testid="contacts-filter-list"
      />
      <NativeSelect
        label="Status on that list"
        value={status}
        disabled={!listId}
        onChange={(e) => setStatus(e.currentTarget.value)}
        data={[...any('Any status'), ...MEMBER_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))]}
        data-testid="contacts-filter-status"
      />
      <NativeSelect
        label="Tag"
        value={tagId}
        onChange={(e) => setTagId(e.currentTarget.value)}
        data={[...any('Any tag'), ...(options?.tags ?? []).map((t) => ({ value: String(t.id), label: t.name }))]}
        data-testid="contacts-filter-tag"
      />
      <NativeSelect
        label="Do not send"
        value={suppressed}
        onChange={(e) => setSuppressed(e.currentTarget.value)}
        data={[
          { value: '', label: 'Everyone' },
          { value: 'no', label: 'Can receive mail' },
          { value: 'yes', label: 'On the do-not-send list' },
        ]}
        data-testid="contacts-filter-suppressed"
      />
      <NativeSelect
        label="Segment"
        value={segmentId}
        onChange={(e) => setSegmentId(e.currentTarget.value)}
        data={[...any('No segment'), ...(options?.segments ?? []).map((s) => ({ value: String(s.id), label: s.name }))]}
        data-testid="contacts-filter-segment"
      />
      <Button
        variant="subtle"
        onClick={() => {
          setText('');
          setListId('');
          setStatus('');
          setTagId('');
          setSuppressed('');
          setSegmentId('');
        }}
      >
        Clear
      </Button>
    </Group>
  );
}
