import { z } from 'zod';
import {
  type ContactDetail,
  type ContactInput,
  contactInputSchema,
  fieldValueSchema,
} from '../../shared/domain/contacts.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';
import { checkAddress, suppressionHashKey } from './address.ts';
import { parseRow } from './contact-page.ts';
import { fieldMap, mergeFieldValues } from './fields.ts';
import { getList } from './lists.ts';
import { hashSuppression, type SuppressionRow } from './suppressions.ts';
import { ensureTag } from './tags.ts';
import { sentence } from './text.ts';

// One contact at a time: add by hand, edit, read with everything the drawer shows, and
// erase. The address is kept as typed; the key (contact.address_key) deduplicates.

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The address checked and keyed, or a sentence saying why not. */
function checked(raw: string): { address: string; key: string } {
  const r = checkAddress(raw);
  if (!r.ok)
    throw new MailroomError(
      'ADDRESS_INVALID',
      `"${raw.trim()}" is not an email address Mailroom can send to. ${sentence(r.reason)}`,
    );
  return { address: r.address, key: r.key };
}

/** Refuses an address that was erased: only a person typing it into "lift" brings it back. */
function refuseErased(db: Db, address: string, key: string): void {
  const erased = db.prepare('SELECT reason, at FROM suppressions WHERE key = ?').get(suppressionHashKey(key)) as
    | { reason: string; at: number }
    | undefined;
  if (erased) {
    throw new MailroomError(
      'ADDRESS_ERASED',
      `${address} belonged to a contact who was deleted (erased); Mailroom keeps a hash of it on the do-not-send list (${erased.reason}) so it cannot come back by mistake. If this person asked to be added again, lift it first with the reason (in Suppressions, or: mailroom suppressions remove ${address} --reason "...").`,
    );
  }
}

function refuseDuplicate(db: Db, key: string, exceptId?: number): void {
  const existing = db
    .prepare('SELECT id, address, created_at AS createdAt FROM contacts WHERE address_key = ?')
    .get(key) as { id: number; address: string; createdAt: number } | undefined;
  if (existing && existing.id !== exceptId) {
    throw new MailroomError(
      'CONTACT_EXISTS',
      `${existing.address} is already a contact (#${existing.id}, added ${day(existing.createdAt)}); edit that one instead.`,
    );
  }
}

export function addContact(db: Db, input: ContactInput, now = Date.now()): ContactDetail {
  if (typeof input?.address === 'string' && !input.address.trim()) {
    throw new MailroomError('ADDRESS_INVALID', 'Type the email address of the person to add.');
  }
  const r = contactInputSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new MailroomError('VALIDATION', `${i?.path.join('.') || 'contact'}: ${i?.message}`);
  }
  const c = r.data;
  const a = checked(c.address);
  const id = db.transaction(() => {
    refuseErased(db, a.address, a.key);
    refuseDuplicate(db, a.key);
    const fields = mergeFieldValues(fieldMap(db), {}, c.fields);
    for (const listId of c.listIds) getList(db, listId);
    const id = Number(
      db
        .prepare(
          `INSERT INTO contacts (address, address_key, first_name, last_name, company, fields,
             consent_source, consent_basis, consent_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, jsonb(?), 'manual', ?, ?, ?, ?)`,
        )
        .run(
          a.address,
          a.key,
          c.firstName,
          c.lastName,
          c.company,
          JSON.stringify(fields),
          c.basis || null,
          now,
          now,
          now,
        ).lastInsertRowid,
    );
    const member = db.prepare(
      "INSERT INTO list_members (list_id, contact_id, status, added_at, updated_at) VALUES (?, ?, 'subscribed', ?, ?) ON CONFLICT DO NOTHING",
    );
    for (const listId of c.listIds) member.run(listId, id, now, now);
    const tag = db.prepare('INSERT INTO contact_tags (contact_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING');
    for (const t of c.tags) tag.run(id, ensureTag(db, t));
    return id;
  })();
  return getContact(db, id);
}

export const contactPatchSchema = z.strictObject({
  address: z.string().trim().min(1).max(320).optional(),
  firstName: z.string().trim().max(255).optional(),
  lastName: z.string().trim().max(255).optional(),
  company: z.string().trim().max(255).optional(),
  /** Values to set; null or '' removes one; keys not named stay. */
  fields: z.record(z.string(), z.union([fieldValueSchema, z.null()])).optional(),
});
export type ContactPatch = z.input<typeof contactPatchSchema>;

export function updateContact(db: Db, id: number, patch: ContactPatch, now = Date.now()): ContactDetail {
  const r = contactPatchSchema.safeParse(patch);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new MailroomError('VALIDATION', `${i?.path.join('.') || 'contact'}: ${i?.message}`);
  }
  const p = r.data;
  db.transaction(() => {
    const cur = db
      .prepare(
        'SELECT id, address, address_key AS key, first_name, last_name, company, json(fields) AS fields FROM contacts WHERE id = ?',
      )
      .get(id) as
      | {
          id: number;
          address: string;
          key: string;
          first_name: string;
          last_name: string;
          company: string;
          fields: string | null;
        }
      | undefined;
    if (!cur) throw new MailroomError('NOT_FOUND', `There is no contact #${id}; it may have been deleted.`);
    let address = cur.address;
    let key = cur.key;
    if (p.address !== undefined && p.address !== cur.address) {
      const a = checked(p.address);
      if (a.key !== cur.key) {
        refuseErased(db, a.address, a.key);
        refuseDuplicate(db, a.key, id);
      }
      address = a.address;
      key = a.key;
    }
    const fields = p.fields
      ? mergeFieldValues(fieldMap(db), cur.fields ? JSON.parse(cur.fields) : {}, p.fields)
      : cur.fields
        ? JSON.parse(cur.fields)
        : {};
    db.prepare(
      `UPDATE contacts SET address = ?, address_key = ?, first_name = ?, last_name = ?, company = ?, fields = jsonb(?),
         updated_at = ? WHERE id = ?`,
    ).run(
      address,
      key,
      p.firstName ?? cur.first_name,
      p.lastName ?? cur.last_name,
      p.company ?? cur.company,
      JSON.stringify(fields),
      now,
      id,
    );
  })();
  return getContact(db, id);
}

/** The contact's id from its id or its address (any case or form of it). */
export function contactIdOf(db: Db, idOrAddress: number | string): number {
  if (typeof idOrAddress === 'number') {
    if (db.prepare('SELECT 1 FROM contacts WHERE id = ?').get(idOrAddress)) return idOrAddress;
    throw new MailroomError('NOT_FOUND', `There is no contact #${idOrAddress}; it may have been deleted.`);
  }
  const r = checkAddress(idOrAddress);
  const id = r.ok
    ? (db.prepare('SELECT id FROM contacts WHERE address_key = ?').pluck().get(r.key) as number | undefined)
    : undefined;
  if (id === undefined) throw new MailroomError('NOT_FOUND', `No contact has the address ${idOrAddress.trim()}.`);
  return id;
}

export function getContact(db: Db, idOrAddress: number | string): ContactDetail {
  const id = contactIdOf(db, idOrAddress);
  const raw = db
    .prepare(
      `SELECT c.id, c.address, c.first_name AS firstName, c.last_name AS lastName, c.company, c.created_at AS createdAt,
        (SELECT json_group_array(t.name ORDER BY t.name COLLATE NOCASE) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
          WHERE ct.contact_id = c.id) AS tags,
        (SELECT json_group_array(json_object('id', l.id, 'name', l.name, 'status', m.status) ORDER BY l.name COLLATE NOCASE)
          FROM list_members m JOIN lists l ON l.id = m.list_id AND l.deleted_at IS NULL WHERE m.contact_id = c.id) AS lists,
        (SELECT s.reason FROM suppressions s WHERE s.key = c.address_key) AS suppressed,
        c.address_key AS addressKey, json(c.fields) AS fields, c.updated_at AS updatedAt,
        c.consent_source AS consentSource, c.consent_basis AS consentBasis, c.consent_at AS consentAt,
        c.consent_detail AS consentDetail, i.id AS importId, i.file_name AS importFile, i.file_sha256 AS importSha
      FROM contacts c LEFT JOIN imports i ON i.id = c.import_id WHERE c.id = ?`,
    )
    .get(id) as Parameters<typeof parseRow>[0] & {
    addressKey: string;
    fields: string | null;
    updatedAt: number;
    consentSource: 'manual' | 'import';
    consentBasis: string | null;
    consentAt: number;
    consentDetail: string | null;
    importId: number | null;
    importFile: string | null;
    importSha: string | null;
  };
  const row = parseRow(raw);
  const suppression = db
    .prepare(
      'SELECT address, reason, source, detail, at FROM suppressions WHERE key IN (?, ?) ORDER BY address IS NULL LIMIT 1',
    )
    .get(raw.addressKey, suppressionHashKey(raw.addressKey)) as Omit<SuppressionRow, 'key'> | undefined;
  // The delivery log keeps recipients as the sender wrote them: match both the typed form
  // and the key (A-label domain), without case (the deliveries_recipient index).
  const deliveries = db
    .prepare(
      `SELECT d.id, d.status, m.subject, d.created_at AS createdAt, d.updated_at AS updatedAt, d.last_response AS lastResponse
       FROM deliveries d JOIN messages m ON m.id = d.message_id
       WHERE d.recipient COLLATE NOCASE IN (?, ?) ORDER BY d.id DESC LIMIT 200`,
    )
    .all(raw.address, raw.addressKey) as ContactDetail['deliveries'];
  let detail: Record<string, string> | null = null;
  if (raw.consentDetail) {
    try {
      const d = JSON.parse(raw.consentDetail) as Record<string, unknown>;
      detail = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, String(v)]));
    } catch {
      detail = { note: raw.consentDetail };
    }
  }
  return {
    contact: {
      id: row.id,
      address: row.address,
      firstName: row.firstName,
      lastName: row.lastName,
      company: row.company,
      tags: row.tags,
      lists: row.lists,
      suppressed: row.suppressed,
      createdAt: row.createdAt,
      addressKey: raw.addressKey,
      fields: raw.fields ? (JSON.parse(raw.fields) as Record<string, string | number>) : {},
      updatedAt: raw.updatedAt,
    },
    consent: {
      source: raw.consentSource,
      basis: raw.consentBasis,
      at: raw.consentAt,
      import:
        raw.importId !== null
          ? { id: raw.importId, fileName: raw.importFile as string, sha256: raw.importSha as string }
          : null,
      detail,
    },
    suppression: suppression ?? null,
    deliveries,
  };
}

/**
 * Erasure: deletes each contact (its memberships and tags go with it) and keeps a
 * suppression under the hash of its key with no address, so neither an import nor a
 * hand-typed add brings the address back. An existing suppression keeps its reason
 * (now hashed); one is created with reason 'erased' otherwise.
 */
export function eraseContacts(db: Db, ids: readonly number[], now = Date.now()): number {
  const get = db.prepare('SELECT address_key FROM contacts WHERE id = ?').pluck();
  const del = db.prepare('DELETE FROM contacts WHERE id = ?');
  let n = 0;
  const keys = new Set<string>();
  for (const id of ids) {
    const key = get.get(id) as string | undefined;
    if (key === undefined) continue;
    hashSuppression(db, key, now);
    del.run(id);
    keys.add(key);
    n++;
  }
  if (keys.size > 0) redactImportProblems(db, keys);
  return n;
}

/**
 * The import reports name addresses too (a duplicate, a normalised or a warned row): a row
 * whose value is the erased address in any form (same key), or whose value or reason holds
 * the key, loses its value and reason, so the report keeps its counts but not the person.
 */
function redactImportProblems(db: Db, keys: ReadonlySet<string>): void {
  const rows = db
    .prepare("SELECT rowid, value, reason FROM import_problems WHERE value IS NOT NULL OR reason LIKE '%@%'")
    .all() as { rowid: number; value: string | null; reason: string }[];
  const redact = db.prepare(
    "UPDATE import_problems SET value = NULL, reason = 'This row named an address that was erased since.' WHERE rowid = ?",
  );
  const holds = (text: string) => {
    const lower = text.toLowerCase();
    for (const k of keys) if (lower.includes(k)) return true;
    return false;
  };
  for (const r of rows) {
    let hit = false;
    if (r.value !== null) {
      const c = checkAddress(r.value);
      hit = (c.ok && keys.has(c.key)) || holds(r.value);
    }
    if (hit || holds(r.reason)) redact.run(r.rowid);
  }
}
