import { useCallback, useEffect, useRef, useState } from 'react';
import type { ImportOptions, ImportProgress, ImportReport } from '../../../../shared/domain/contacts.ts';
import { call, subscribe } from '../../lib/ipc.ts';

/**
 * Runs one import job (a dry run or the real thing): starts it, follows its progress
 * events from main and waits for its report. No polling: main pushes the progress and
 * answers `imports.result` once, when the job ends.
 */
export function useImportJob() {
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [running, setRunning] = useState(false);
  const jobId = useRef<string | null>(null);

  useEffect(
    () =>
      subscribe('imports.progress', (p) => {
        // One job at a time per window; events of an older job are ignored once the new id is known.
        if (jobId.current === null || p.jobId === jobId.current) setProgress(p);
      }),
    [],
  );

  const run = useCallback(async (token: string, options: ImportOptions): Promise<ImportReport> => {
    setProgress(null);
    setRunning(true);
    jobId.current = null;
    try {
      const started = await call('imports.start', { token, options });
      jobId.current = started.jobId;
      return await call('imports.result', { jobId: started.jobId });
    } finally {
      setRunning(false);
    }
  }, []);

  const cancel = useCallback(async () => {
    if (jobId.current) await call('imports.cancel', { jobId: jobId.current });
  }, []);

  return { progress, running, run, cancel };
}
