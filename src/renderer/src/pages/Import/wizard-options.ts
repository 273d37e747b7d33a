import type { ImportMapping, ImportOptions, ImportPreview } from '../../../../shared/domain/contacts.ts';
import { isSuppressionFile } from './import-words.ts';
import type { NewField } from './MappingStep.tsx';
import type { WizardOptions } from './OptionsStep.tsx';

/** What the wizard's choices ask engine.imports to do. */
export function toImportOptions(
  opts: WizardOptions,
  preview: ImportPreview | null,
  mapping: ImportMapping,
  newFields: NewField[],
  dryRun: boolean,
): ImportOptions {
  const basis = opts.basis === 'other' ? opts.otherBasis.trim() : opts.basis;
  const list = opts.listId ? Number(opts.listId) : opts.newList.trim() || undefined;
  return {
    ...(list !== undefined ? { list } : {}),
    tags: opts.tags,
    ...(basis ? { basis } : {}),
    existing: opts.existing,
    encoding: preview?.layout.encoding,
    ...(preview?.layout.delimiter ? { delimiter: preview.layout.delimiter } : {}),
    mapping,
    fieldTypes: Object.fromEntries(newFields.map((f) => [f.key, f.type])),
    fieldLabels: Object.fromEntries(newFields.map((f) => [f.key, f.label])),
    dryRun,
  };
}

/** The sentence that keeps the trial run back, or null when the options are complete. */
export function problemWithOptions(opts: WizardOptions, preview: ImportPreview | null): string | null {
  if (opts.listId === '' && !opts.newList.trim() && !isSuppressionFile(preview?.layout.recognised ?? null)) {
    return 'Choose a list, or name a new one.';
  }
  if (!opts.basis || (opts.basis === 'other' && !opts.otherBasis.trim())) {
    return 'Say how these people agreed to hear from you.';
  }
  return null;
}
