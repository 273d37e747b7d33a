import type {
  ContactDetail,
  ContactField,
  ContactInput,
  ContactPage,
  ContactQuery,
  FieldType,
  ListSummary,
  MemberStatus,
  SegmentSummary,
  SuppressionReason,
} from '../../shared/domain/contacts.ts';
import type { Db } from '../db/connection.ts';
import { type AudienceCount, type AudienceSelection, audienceCount, audienceQuery } from './audience.ts';
import type { BulkResult, ContactSelection } from './bulk.ts';
import * as bulk from './bulk.ts';
import { queryContacts } from './contact-page.ts';
import { addContact, type ContactPatch, contactIdOf, getContact, updateContact } from './contact-store.ts';
import { type ContactExportSource, exportContacts, exportSuppressions } from './contacts-csv.ts';
import * as fields from './fields.ts';
import * as lists from './lists.ts';
import { parseSegmentText } from './segment-syntax.ts';
import * as segments from './segments.ts';
import * as suppressions from './suppressions.ts';
import { listTags, type TagSummary } from './tags.ts';

export type { SuppressionPage, SuppressionQuery, SuppressionRow, SuppressResult } from './suppressions.ts';
export type {
  AudienceCount,
  AudienceSelection,
  BulkResult,
  ContactExportSource,
  ContactPatch,
  ContactSelection,
  TagSummary,
};

/**
 * Contacts, lists, tags, custom fields, segments, suppressions and export: the one
 * service the window (IPC handlers) and the `mailroom` command both call. Each method
 * is a thin door onto a small module beside this file; every one validates its input
 * and changes nothing when it refuses.
 */
export class ContactsService {
  readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  // ---------------------------------------------------------------- lists
  listLists(): ListSummary[] {
    return lists.listLists(this.db);
  }
  createList(name: string): { id: number; name: string } {
    return lists.createList(this.db, name);
  }
  renameList(id: number, name: string): { id: number; name: string } {
    return lists.renameList(this.db, id, name);
  }
  /** Deletes the list and its memberships; people and suppressions stay. */
  removeList(id: number): { id: number; name: string; members: number } {
    return lists.removeList(this.db, id);
  }
  listByName(name: string): { id: number; name: string } {
    return lists.listByName(this.db, name);
  }

  // ---------------------------------------------------------------- contacts
  addContact(input: ContactInput): ContactDetail {
    return addContact(this.db, input);
  }
  updateContact(id: number, patch: ContactPatch): ContactDetail {
    return updateContact(this.db, id, patch);
  }
  /** By id, or by address in any case or form (IDN or A-label). */
  getContact(idOrAddress: number | string): ContactDetail {
    return getContact(this.db, idOrAddress);
  }
  contactId(idOrAddress: number | string): number {
    return contactIdOf(this.db, idOrAddress);
  }
  /** Erasure: see bulk.removeContacts. */
  removeContacts(sel: ContactSelection): BulkResult {
    return bulk.removeContacts(this.db, sel);
  }
  queryContacts(query: ContactQuery): ContactPage {
    return queryContacts(this.db, query);
  }

  // ---------------------------------------------------------------- bulk
  addToList(sel: ContactSelection, listId: number): BulkResult {
    return bulk.addToList(this.db, sel, listId);
  }
  removeFromList(sel: ContactSelection, listId: number): BulkResult {
    return bulk.removeFromList(this.db, sel, listId);
  }
  tag(sel: ContactSelection, name: string): BulkResult {
    return bulk.tag(this.db, sel, name);
  }
  untag(sel: ContactSelection, name: string): BulkResult {
    return bulk.untag(this.db, sel, name);
  }
  /** From one list, or (no list) everywhere: a global suppression "marked by hand". */
  unsubscribe(sel: ContactSelection, listId?: number): BulkResult {
    return bulk.unsubscribe(this.db, sel, listId);
  }
  setListStatus(sel: ContactSelection, listId: number, status: MemberStatus): BulkResult {
    return bulk.setListStatus(this.db, sel, listId, status);
  }

  // ---------------------------------------------------------------- tags and fields
  listTags(): TagSummary[] {
    return listTags(this.db);
  }
  listFields(): ContactField[] {
    return fields.listFields(this.db);
  }
  createField(key: string, label: string, type: FieldType): ContactField {
    return fields.createField(this.db, key, label, type);
  }
  renameField(keyOrId: string | number, label: string): ContactField {
    return fields.renameField(this.db, keyOrId, label);
  }

  // ---------------------------------------------------------------- segments
  listSegments(): SegmentSummary[] {
    return segments.listSegments(this.db);
  }
  getSegment(idOrName: number | string): SegmentSummary {
    return segments.getSegment(this.db, idOrName);
  }
  createSegment(name: string, definition: unknown): SegmentSummary {
    return segments.createSegment(this.db, name, definition);
  }
  updateSegment(id: number, patch: { name?: string; definition?: unknown }): SegmentSummary {
    return segments.updateSegment(this.db, id, patch);
  }
  removeSegment(id: number): SegmentSummary {
    return segments.removeSegment(this.db, id);
  }
  /** A definition from JSON or the short syntax ("city is Lyon and tag vip"); checked by createSegment/countSegment. */
  segmentFromText(text: string): unknown {
    return parseSegmentText(this.db, text);
  }
  /** The live count of a definition, saved or not. */
  countSegment(definition: unknown): number {
    return segments.countSegment(this.db, definition);
  }
  segmentContactIds(definition: unknown, pageSize?: number): Generator<number[]> {
    return segments.segmentContactIds(this.db, definition, pageSize);
  }
  segmentQuery(definition: unknown): { sql: string; params: Record<string, unknown> } {
    return segments.segmentQuery(this.db, definition);
  }
  audienceCount(sel: AudienceSelection): AudienceCount {
    return audienceCount(this.db, sel);
  }
  audienceQuery(sel: AudienceSelection): { sql: string; params: Record<string, unknown> } {
    return audienceQuery(this.db, sel);
  }

  // ---------------------------------------------------------------- suppressions
  listSuppressions(query: suppressions.SuppressionQuery = {}): suppressions.SuppressionPage {
    return suppressions.listSuppressions(this.db, query);
  }
  isSuppressed(address: string): suppressions.SuppressionRow | null {
    return suppressions.isSuppressed(this.db, address);
  }
  suppress(address: string, reason: SuppressionReason, source: string, detail?: string): suppressions.SuppressResult {
    return suppressions.suppress(this.db, address, reason, source, detail ?? null);
  }
  unsuppress(address: string, reason: string): suppressions.SuppressionRow {
    return suppressions.unsuppress(this.db, address, reason);
  }

  // ---------------------------------------------------------------- export
  exportContacts(source: ContactExportSource, filePath: string): Promise<{ rows: number }> {
    return exportContacts(this.db, source, filePath);
  }
  exportSuppressions(filePath: string): Promise<{ rows: number }> {
    return exportSuppressions(this.db, filePath);
  }
}
