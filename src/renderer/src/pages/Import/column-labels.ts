import type { ImportPreview } from '../../../../shared/domain/contacts.ts';

/**
 * What each column is called in the wizard. Two columns with the same header, or
 * without one, are different columns and say which one they are: "Email (column 3)".
 */
export function columnLabels(columns: ImportPreview['columns']): string[] {
  const seen = new Map<string, number>();
  for (const c of columns) seen.set(c.name.trim().toLowerCase(), (seen.get(c.name.trim().toLowerCase()) ?? 0) + 1);
  return columns.map((c) => {
    const name = c.name.trim();
    if (!name) return `(no name, column ${c.index + 1})`;
    return (seen.get(name.toLowerCase()) ?? 0) > 1 ? `${name} (column ${c.index + 1})` : name;
  });
}

/** A field key from a label: "Customer since" → customer_since. */
export function keyFromLabel(label: string): string {
  const key = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return /^[a-z]/.test(key) ? key : `field_${key}`.slice(0, 40);
}
