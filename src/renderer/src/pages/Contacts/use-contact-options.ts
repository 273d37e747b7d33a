import { call } from '../../lib/ipc.ts';
import { useLoad } from '../../lib/use-load.ts';

/** Lists, tags, segments and custom fields: what the filters, bulk actions and forms choose from. */
export function useContactOptions(refreshKey = 0) {
  return useLoad(async () => {
    const [lists, tags, segments, fields] = await Promise.all([
      call('lists.list'),
      call('contacts.tags'),
      call('segments.list'),
      call('contacts.fields'),
    ]);
    return { lists, tags, segments, fields };
  }, [refreshKey]);
}

export type ContactOptions = NonNullable<ReturnType<typeof useContactOptions>['data']>;
