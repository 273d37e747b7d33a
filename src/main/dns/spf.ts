/**
 * SPF (RFC 7208) for the domain wizard: read a domain's SPF record, say in plain words
 * whether it lets the person's sending route send for the domain, and work out the one
 * record they should publish instead.
 *
 * Four layers, each usable on its own:
 * - parseSpf: the record's syntax (RFC 7208 §4.6.1, §12 ABNF), with a sentence naming
 *   the bad term, because receivers reject the whole record over a single bad term.
 * - checkHost: the receiver's algorithm (RFC 7208 §4), so "your record authorises this
 *   computer's IP" means what a receiving mail server would conclude. Compared against
 *   pyspf in test/integration/spf-pyspf.test.ts.
 * - countSpfLookups: a static count of the DNS lookups and void lookups the whole record
 *   can need (RFC 7208 §4.6.4), the limit people most often break without noticing.
 * - mergeSpf / mergeSpfRecords: add what the route needs without ever creating a second
 *   record (two records are a permanent error: receivers then ignore both, §4.5).
 * checkSpf puts them together into one DnsCheck.
 *
 * Macro support (RFC 7208 §7): every letter a domain-spec may use (s l o d i p v h) with
 * transformers (digits, r), delimiters, URL-escaping for upper-case letters and the %%
 * %_ %- escapes. Not supported: c, r and t, which only exist in explanation text, and
 * explanation text itself (exp= is syntax-checked but never fetched: it only changes
 * the wording of a rejection, never the result).
 *
 * Known limit: DnsClient.ptr (node's reverse lookup) reports a SERVFAIL or timeout of a
 * PTR query as "not found", so for the ptr mechanism and %{p} such a failure is treated
 * as a name without PTR records (a void lookup) rather than a failed lookup. Either way
 * the mechanism does not match, as RFC 7208 §5.5 asks.
 */
// The public SPF API; the code lives in ./spf/, one module per layer: record.ts (finding
// and parsing), macros.ts, check-host.ts, lookup-count.ts, merge.ts and check-spf.ts, with
// ip.ts and limits.ts shared by them.

export { type CheckHostOptions, checkHost, type SpfHostResult, type SpfResult } from './spf/check-host.ts';
export { type CheckSpfOptions, checkSpf, type SpfCheckOutcome } from './spf/check-spf.ts';
export { SPF_MAX_LOOKUPS, SPF_MAX_VOID_LOOKUPS } from './spf/limits.ts';
export {
  countSpfLookups,
  type SpfIncludeUsage,
  type SpfLookupCount,
  type SpfLookupProblem,
  type SpfLookupProblemKind,
} from './spf/lookup-count.ts';
export { expandSpfMacros, type SpfMacroContext } from './spf/macros.ts';
export { mergeSpf, mergeSpfRecords, type SpfMerge, type SpfRecordsMerge } from './spf/merge.ts';
export {
  findSpfRecords,
  parseSpf,
  type SpfMechanism,
  type SpfModifier,
  type SpfParseResult,
  type SpfQualifier,
  type SpfTerm,
} from './spf/record.ts';
