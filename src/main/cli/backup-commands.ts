import { type BackupSummary, formatBytes, type SecretToReenter } from '../../shared/domain/backup.ts';
import type { SecretStoreKind } from '../../shared/domain/secrets.ts';
import { secretsPresence } from '../backup/backup.ts';
import { restoreBackup } from '../backup/restore.ts';
import { Engine } from '../engine/engine.ts';
import { type Out, print, usage } from './output.ts';

// CLI adapters for `mailroom backup FILE` and `mailroom restore FILE`.

const n = (v: number) => v.toLocaleString('en-US');

function secretLines(names: readonly SecretToReenter[], presence?: Map<string, boolean | null>): string[] {
  return names.map((s) => {
    const state = presence?.get(s.name);
    const prefix = state === true ? 'found' : state === false ? 'missing' : state === null ? 'not checked' : '';
    return `  ${s.name}${prefix ? ` (${prefix})` : ''}: ${s.what}. To set it: ${s.howToSet}.`;
  });
}

export async function backup(engine: Engine, out: Out, rest: string[]): Promise<number> {
  if (rest.length !== 1)
    usage('Use: mailroom backup FILE (a .tar.gz file to write, or a folder to write a dated one into)');
  const summary: BackupSummary = await engine.backup(rest[0] as string);
  const c = summary.counts;
  const lines = [
    `Backed up to ${summary.file} (${formatBytes(summary.bytes)}): ${n(c.messages)} messages, ${n(c.deliveries)} deliveries, ${n(c.spoolFiles)} large messages from the spool, ${n(c.sendingDomains)} sending domains.`,
    ...(summary.missingSpoolFiles.length
      ? [
          `Warning: ${summary.missingSpoolFiles.length} spool files were already missing from the data folder and are not in the backup: ${summary.missingSpoolFiles.join(', ')}.`,
        ]
      : []),
    ...(summary.secrets.names.length
      ? [summary.secrets.note, ...secretLines(summary.secrets.names)]
      : ['No secrets are set up yet, so none will need entering again.']),
    'Restore it with: mailroom restore FILE --data-dir NEW-FOLDER',
  ];
  print(out, summary, lines.join('\n'));
  return 0;
}

export async function restore(
  dataDir: string,
  secretStore: SecretStoreKind,
  out: Out,
  rest: string[],
): Promise<number> {
  if (rest.length !== 1) usage('Use: mailroom restore FILE [--data-dir DIR] (into an empty or new data folder)');
  const { manifest } = await restoreBackup(rest[0] as string, dataDir);
  // Opening the restored folder runs any migration and proves it opens; then see which
  // secrets this computer's store still has for this installation.
  const engine = new Engine({ dataDir, secretStore });
  let presence: { name: string; present: boolean | null }[];
  let messages: number;
  try {
    presence = await secretsPresence(engine.secrets, manifest.secrets.names);
    messages = engine.db.prepare('SELECT count(*) FROM messages').pluck().get() as number;
  } finally {
    await engine.close();
  }
  const c = manifest.counts;
  const missing = presence.filter((p) => p.present !== true);
  const lines = [
    `Restored the backup of ${manifest.createdAt} (Mailroom ${manifest.mailroomVersion}) into ${dataDir}: ${n(messages)} messages, ${n(c.deliveries)} deliveries, ${n(c.spoolFiles)} large messages from the spool.`,
    ...(manifest.secrets.names.length
      ? [
          missing.length
            ? `Secrets are not in a backup. Enter the ones not found in the ${engine.secrets.label} again:`
            : `Every secret it uses was found in the ${engine.secrets.label}:`,
          ...secretLines(manifest.secrets.names, new Map(presence.map((p) => [p.name, p.present]))),
        ]
      : []),
    'Start Mailroom (or "mailroom serve") on this folder to carry on.',
  ];
  print(out, { dataDir, manifest, secrets: presence }, lines.join('\n'));
  return 0;
}
