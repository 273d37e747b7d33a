import type { z } from 'zod';
import type { ContactInput, ContactQuery, MemberStatus, SegmentDefinition } from '../../../shared/domain/contacts.ts';
import type { BulkAction, ContactTarget, suppressionQuerySchema } from '../../../shared/ipc/contacts-contract.ts';
import type { HandlerContext } from './index.ts';

// Lists, contacts, segments and suppressions for the window: each handler calls one
// method of engine.contacts and shapes nothing more. Files are written where the user
// chose in the save dialog; the window never names a path.

const CSV = { name: 'CSV (spreadsheet)', extensions: ['csv'] };
const today = () => new Date().toISOString().slice(0, 10);

export function contactHandlers({ engine, desktop, live }: HandlerContext) {
  const contacts = () => engine.contacts;
  const changed = <T>(result: T): T => {
    live.check();
    return result;
  };
  return {
    'lists.list': () => contacts().listLists(),
    'lists.create': ({ name }: { name: string }) => changed(contacts().createList(name)),
    'lists.rename': ({ id, name }: { id: number; name: string }) => changed(contacts().renameList(id, name)),
    'lists.remove': ({ id }: { id: number }) => {
      contacts().removeList(id);
      return changed(null);
    },
    'contacts.query': (query: ContactQuery) => contacts().queryContacts(query),
    'contacts.get': ({ id }: { id: number }) => contacts().getContact(id),
    'contacts.add': (input: ContactInput) => changed(contacts().addContact(input)),
    'contacts.update': ({ id, contact }: { id: number; contact: ContactInput }) =>
      changed(contacts().updateContact(id, contact)),
    'contacts.remove': (target: ContactTarget) => changed({ removed: contacts().removeContacts(target) }),
    'contacts.bulk': (a: BulkAction) => {
      const c = contacts();
      const n =
        a.action === 'add-to-list'
          ? c.addToList(a.target, a.listId)
          : a.action === 'remove-from-list'
            ? c.removeFromList(a.target, a.listId)
            : a.action === 'tag'
              ? c.tag(a.target, a.tag)
              : a.action === 'untag'
                ? c.untag(a.target, a.tag)
                : c.unsubscribe(a.target, a.listId);
      return changed({ changed: n });
    },
    'contacts.tags': () => contacts().listTags(),
    'contacts.fields': () => contacts().listFields(),
    'contacts.export': async (which: { listId: number; status?: MemberStatus } | { segmentId: number }) => {
      const name = 'listId' in which ? exportName(contacts().listLists(), which.listId) : `segment-${which.segmentId}`;
      const target = await desktop.chooseSavePath(`mailroom-${name}-${today()}.csv`, CSV);
      if (!target) return { saved: false, path: null, rows: 0 };
      const { rows } = await contacts().exportContacts(which, target);
      return { saved: true, path: target, rows };
    },
    'segments.list': () => contacts().listSegments(),
    'segments.create': ({ name, definition }: { name: string; definition: SegmentDefinition }) =>
      contacts().createSegment(name, definition),
    'segments.update': ({ id, ...change }: { id: number; name?: string; definition?: SegmentDefinition }) =>
      contacts().updateSegment(id, change),
    'segments.remove': ({ id }: { id: number }) => {
      contacts().removeSegment(id);
      return null;
    },
    'segments.count': (which: { id: number } | { definition: SegmentDefinition }) => ({
      count: contacts().countSegment('id' in which ? which.id : which.definition),
    }),
    'suppressions.list': (query: z.output<typeof suppressionQuerySchema>) => contacts().listSuppressions(query),
    'suppressions.add': (s: {
      address: string;
      reason: Parameters<typeof engine.contacts.suppress>[1];
      note?: string;
    }) => changed(contacts().suppress(s.address, s.reason, s.note)),
    'suppressions.remove': ({ address, reason }: { address: string; reason: string }) => {
      contacts().unsuppress(address, reason);
      return changed(null);
    },
    'suppressions.export': async () => {
      const target = await desktop.chooseSavePath(`mailroom-suppressions-${today()}.csv`, CSV);
      if (!target) return { saved: false, path: null, rows: 0 };
      const { rows } = await contacts().exportSuppressions(target);
      return { saved: true, path: target, rows };
    },
  };
}

/** A file-name-safe form of the list's name, for the save dialog's suggestion. */
function exportName(lists: { id: number; name: string }[], id: number): string {
  const name = lists.find((l) => l.id === id)?.name ?? `list-${id}`;
  return (
    name
      .normalize('NFKD')
      .replace(/[^\w-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase() || `list-${id}`
  );
}
