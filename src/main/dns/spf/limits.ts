// The limits RFC 7208 §4.6.4 (and DNS itself) put on SPF evaluation, shared by check_host,
// the lookup count and the wizard's verdict.

/** Terms that cause DNS queries (include, a, mx, ptr, exists, redirect) per check_host(). */
export const SPF_MAX_LOOKUPS = 10;
/** Lookups that return no answer (NXDOMAIN or no records) before the result is permerror. */
export const SPF_MAX_VOID_LOOKUPS = 2;
/** An mx mechanism whose name has more MX records than this is a permerror. */
export const MAX_MX_NAMES = 10;
/** A ptr mechanism looks at no more than this many PTR names; the rest are ignored. */
export const MAX_PTR_NAMES = 10;
/**
 * Include/redirect nesting depth. The lookup limit ends every loop long before this
 * (each level costs a lookup); this is only a second fence in case that logic changes.
 */
export const MAX_DEPTH = 20;
/** Longest DNS name, without the trailing dot (RFC 1035 §3.1, RFC 7208 §4.8). */
export const MAX_NAME_LENGTH = 253;
