import { sql as initial } from './001_initial.ts';

/** Ordered list; the position + 1 is the schema version stored in user_version. */
export const MIGRATIONS: readonly { name: string; sql: string }[] = [{ name: '001_initial', sql: initial }];
