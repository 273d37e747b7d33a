import { useEffect, useState } from 'react';
import type { Dashboard } from '../../../shared/domain/dashboard.ts';
import { call, type IpcError, subscribe, toIpcError } from './ipc.ts';

/**
 * The dashboard, kept current by main: one request when the page opens, then the
 * `dashboard.changed` events main sends when the database or the engine changed.
 * The window itself never polls.
 */
export function useDashboard(): { data: Dashboard | null; error: IpcError | null } {
  const [data, setData] = useState<Dashboard | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  useEffect(() => {
    let live = true;
    let latest = 0;
    const accept = (d: Dashboard) => {
      // Events and the first answer may cross; keep the newest.
      if (!live || d.at < latest) return;
      latest = d.at;
      setData(d);
      setError(null);
    };
    const off = subscribe('dashboard.changed', accept);
    call('dashboard.get').then(accept, (err) => live && setError(toIpcError(err)));
    return () => {
      live = false;
      off();
    };
  }, []);
  return { data, error };
}
