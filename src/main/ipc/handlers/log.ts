import type { LogFilter, LogQueryParsed, LogSort } from '../../../shared/domain/delivery-log.ts';
import { cancelDeliveries, retryDeliveries } from '../../queue/log-actions.ts';
import { writeDeliveryCsv } from '../../queue/log-csv.ts';
import { deliveryDetail } from '../../queue/log-detail.ts';
import { searchDeliveries } from '../../queue/log-search.ts';
import type { HandlerContext } from './index.ts';

export function logHandlers({ engine, desktop, emit, live }: HandlerContext) {
  return {
    'log.search': (query: LogQueryParsed) => searchDeliveries(engine.db, query),
    'log.detail': ({ id }: { id: number }) => deliveryDetail(engine.db, engine.paths.dataDir, id),
    'log.retry': ({ ids }: { ids: number[] }) => {
      const result = retryDeliveries(engine.queue, engine.db, ids, Date.now());
      engine.poke();
      live.check();
      return result;
    },
    'log.cancel': ({ ids }: { ids: number[] }) => {
      const result = cancelDeliveries(engine.db, ids, Date.now());
      live.check();
      return result;
    },
    'log.export': async ({ filter, sort }: { filter: LogFilter; sort: LogSort }) => {
      const day = new Date().toISOString().slice(0, 10);
      const target = await desktop.chooseSavePath(`mailroom-deliveries-${day}.csv`, {
        name: 'CSV (spreadsheet)',
        extensions: ['csv'],
      });
      if (!target) return { saved: false, path: null, rows: 0 };
      const { rows } = await writeDeliveryCsv(engine.db, filter, sort, target, (done, total) =>
        emit('export.progress', { done, total }),
      );
      return { saved: true, path: target, rows };
    },
  };
}
