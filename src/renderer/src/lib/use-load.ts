import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { type IpcError, toIpcError } from './ipc.ts';

export interface Loaded<T> {
  data: T | null;
  error: IpcError | null;
  loading: boolean;
  /** Loads again (after a change made on this page). */
  reload: () => Promise<void>;
  /** Replaces the data with an answer already in hand (a save returns the new state). */
  set: (data: T) => void;
}

/** Loads once per change of `deps`; an answer that arrives after a newer request is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: IpcError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await loadRef.current();
      if (mine === seq.current) setState({ data, error: null, loading: false });
    } catch (err) {
      if (mine === seq.current) setState((s) => ({ ...s, error: toIpcError(err), loading: false }));
    }
  }, []);

  useEffect(
    () => {
      void reload();
    },
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload.
    deps,
  );

  const set = useCallback((data: T) => setState({ data, error: null, loading: false }), []);
  return { ...state, reload, set };
}
