import type {
  ExistingMode,
  FieldType,
  ImportMapping,
  ImportProgress,
  ImportReport,
  SuppressionReason,
} from '../../../shared/domain/contacts.ts';

// What the main thread hands the import worker, and what comes back. Plain data only:
// it crosses a thread boundary by structured clone.

export interface ImportJob {
  /** contacts: people onto a list; suppressions: `suppressions import`, nothing else changes. */
  kind: 'contacts' | 'suppressions';
  database: string;
  path: string;
  fileName: string;
  encoding?: string;
  delimiter?: string;
  /** Field -> 0-based column; auto-mapped from the header when absent. */
  mapping?: ImportMapping;
  fieldTypes: Record<string, FieldType>;
  /** Labels for the custom fields the import creates; the column's header when absent. */
  fieldLabels: Record<string, string>;
  /** A list id, or a name (created when new). */
  list?: number | string;
  tags: string[];
  basis?: string;
  existing: ExistingMode;
  /** suppressions: the reason to record; from the file's kind when absent. */
  reason?: Exclude<SuppressionReason, 'erased'>;
  dryRun: boolean;
  /** Int32Array over it: [0] = 1 asks the worker to stop before it commits. */
  cancel: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'progress'; progress: Omit<ImportProgress, 'jobId'> }
  | { type: 'done'; report: ImportReport }
  | { type: 'cancelled' }
  | { type: 'failed'; error: { code: string; message: string } };
