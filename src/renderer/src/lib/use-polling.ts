import { useCallback, useEffect, useRef, useState } from 'react';
import { type IpcError, toIpcError } from './ipc.ts';

export interface Polled<T> {
  data: T | null;
  /** The last call's failure; cleared by the next success. `data` keeps the last good answer. */
  error: IpcError | null;
  updatedAt: Date | null;
  /** Loads again now (for example after an event), then keeps the interval. */
  refresh: () => void;
}

/**
 * Calls `load` now and again `intervalMs` after each answer. Waiting for the answer
 * before scheduling the next call means a slow main process never piles up requests.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({ data: null, error: null, updatedAt: null });
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` restarts the loop on purpose.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ data, error: null, updatedAt: new Date() });
      } catch (err) {
        if (!stopped) setState((s) => ({ ...s, error: toIpcError(err) }));
      } finally {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      }
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs, round]);

  const refresh = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, refresh };
}
