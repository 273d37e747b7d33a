import { sql as initial } from './001_initial.ts';
import { sql as delivery } from './002_delivery.ts';
import { sql as logIndexes } from './003_log_indexes.ts';
import { sql as domainSetup } from './004_domain_setup.ts';
import { sql as recordsShown } from './005_records_shown.ts';
import { sql as relayGuard } from './006_relay_guard.ts';
import { sql as retention } from './007_retention.ts';
import { sql as contacts } from './008_contacts.ts';
import { sql as contactIndexes } from './009_contact_indexes.ts';
import { sql as campaigns } from './010_campaigns.ts';

export interface Migration {
  name: string;
  sql: string;
  /** Rebuilds a table other tables reference: run with foreign keys off, then check them. */
  foreignKeysOff?: boolean;
}

/** Ordered list; the position + 1 is the schema version stored in user_version. */
export const MIGRATIONS: readonly Migration[] = [
  { name: '001_initial', sql: initial },
  { name: '002_delivery', sql: delivery, foreignKeysOff: true },
  { name: '003_log_indexes', sql: logIndexes },
  { name: '004_domain_setup', sql: domainSetup },
  { name: '005_records_shown', sql: recordsShown },
  { name: '006_relay_guard', sql: relayGuard },
  { name: '007_retention', sql: retention },
  { name: '008_contacts', sql: contacts },
  { name: '009_contact_indexes', sql: contactIndexes },
  { name: '010_campaigns', sql: campaigns },
];
