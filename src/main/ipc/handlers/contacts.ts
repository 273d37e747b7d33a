import type { z } from 'zod';
import type {
  ContactInput,
  ContactQuery,
  SegmentDefinition,
  SuppressionReason,
} from '../../../shared/domain/contacts.ts';
import type {
  BulkAction,
  ContactTarget,
  contactPatchSchema,
  suppressionQuerySchema,
} from '../../../shared/ipc/contacts-contract.ts';
import type { HandlerContext } from './index.ts';

// Lists, contacts, segments and suppressions for the window: each handler calls one
// method of engine.contacts and shapes nothing more. Files are written where the user
// chose in the save dialog; the window never names a path.

const CSV = { name: 'CSV (spreadsheet)', extensions: ['csv'] };
type ContactPatch = z.output<typeof contactPatchSchema>;
type SuppressionQuery = z.output<typeof suppressionQuerySchema>;
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
    'contacts.update': ({ id, patch }: { id: number; patch: ContactPatch }) =>
      changed(contacts().updateContact(id, patch)),
    'contacts.remove': (target: ContactTarget) => changed(contacts().removeContacts(target)),
    'contacts.bulk': (a: BulkAction) => {
      const c = contacts();
      switch (a.action) {
        case 'add-to-list':
          return changed(c.addToList(a.target, a.listId));
        case 'remove-from-list':
          return changed(c.removeFromList(a.target, a.listId));
        case 'tag':
          return changed(c.tag(a.target, a.tag));
        case 'untag':
          return changed(c.untag(a.target, a.tag));
        case 'unsubscribe':
          return changed(c.unsubscribe(a.target, a.listId));
      }
    },
    'contacts.tags': () => contacts().listTags(),
    'contacts.fields': () => contacts().listFields(),
    'contacts.export': async (which: { listId: number } | { segmentId: number }) => {
      const name =
        'listId' in which
          ? fileSafe(
              contacts()
                .listLists()
                .find((l) => l.id === which.listId)?.name,
              `list-${which.listId}`,
            )
          : fileSafe(contacts().getSegment(which.segmentId).name, `segment-${which.segmentId}`);
      const target = await desktop.chooseSavePath(`mailroom-${name}-${today()}.csv`, CSV);
      if (!target) return { saved: false, path: null, rows: 0 };
      const { rows } = await contacts().exportContacts(which, target);
      return { saved: true, path: target, rows };
    },
    'segments.list': () => contacts().listSegments(),
    'segments.create': ({ name, definition }: { name: string; definition: SegmentDefinition }) =>
      contacts().createSegment(name, definition),
    'segments.update': ({ id, ...patch }: { id: number; name?: string; definition?: SegmentDefinition }) =>
      contacts().updateSegment(id, patch),
    'segments.remove': ({ id }: { id: number }) => {
      contacts().removeSegment(id);
      return null;
    },
    'segments.count': (which: { id: number } | { definition: SegmentDefinition }) => ({
      count: contacts().countSegment('id' in which ? contacts().getSegment(which.id).definition : which.definition),
    }),
    'suppressions.list': (query: SuppressionQuery) => contacts().listSuppressions(query),
    'suppressions.add': (s: { address: string; reason: SuppressionReason; note?: string }) =>
      changed(contacts().suppress(s.address, s.reason, 'Added by hand in the Mailroom window', s.note)),
    'suppressions.remove': ({ address, reason }: { address: string; reason: string }) => {
      contacts().unsuppress(address, reason);
      return changed(null);
    },
    'suppressions.export': async () => {
      const target = await desktop.chooseSavePath(`mailroom-do-not-send-${today()}.csv`, CSV);
      if (!target) return { saved: false, path: null, rows: 0 };
      const { rows } = await contacts().exportSuppressions(target);
      return { saved: true, path: target, rows };
    },
  };
}

/** A file-name-safe form of a list's or segment's name, for the save dialog's suggestion. */
function fileSafe(name: string | undefined, fallback: string): string {
  const safe = (name ?? '')
    .normalize('NFKD')
    .replace(/[^\w-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  return safe || fallback;
}
