/** A reason as a sentence of its own: capital first letter, one full stop. */
export function sentence(text: string): string {
  const t = text.trim().replace(/[.\s]+$/, '');
  return t ? `${t[0]?.toUpperCase()}${t.slice(1)}.` : '';
}
