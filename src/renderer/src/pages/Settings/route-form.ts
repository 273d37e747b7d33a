import { presetById, presetSettings } from '../../../../shared/domain/presets.ts';
import type { Settings } from '../../../../shared/domain/settings.ts';

// The Sending route form as the person edits it: numbers may be half-typed (a string),
// nothing is checked until Save or Test, and what was typed survives every refusal.

export type Security = Settings['smarthost.security'];
export type RouteKind = Settings['delivery.route'];
export type NumberField = number | string;

export interface RouteForm {
  route: RouteKind;
  /** A preset id, or '' for a server typed by hand. */
  preset: string;
  host: string;
  port: NumberField;
  security: Security;
  username: string;
  /** Typed but not saved; blank keeps the one in the keychain. */
  password: string;
  smarthostDailyCap: NumberField;
  smarthostRate: NumberField;
  directDailyCap: NumberField;
  directRate: NumberField;
}

export type RouteField = keyof RouteForm;
export type FieldErrors = Partial<Record<RouteField, string>>;

export const OTHER_PROVIDER = 'other';

export function formFromSettings(s: Settings): RouteForm {
  return {
    route: s['delivery.route'],
    preset: presetById(s['smarthost.preset']) ? s['smarthost.preset'] : '',
    host: s['smarthost.host'],
    port: s['smarthost.port'],
    security: s['smarthost.security'],
    username: s['smarthost.username'],
    password: '',
    smarthostDailyCap: s['smarthost.dailyCap'],
    smarthostRate: s['smarthost.ratePerMinute'],
    directDailyCap: s['direct.dailyCap'],
    directRate: s['direct.ratePerMinute'],
  };
}

/** Picking a provider fills in its server, port, security, fixed user name and limits. */
export function withPreset(form: RouteForm, id: string): RouteForm {
  if (id === OTHER_PROVIDER) return { ...form, preset: '' };
  const preset = presetById(id);
  if (!preset) return form;
  const values = presetSettings(id);
  const before = presetById(form.preset);
  // A fixed user name from the provider picked before (SendGrid's "apikey") is not the person's own.
  const keepUser = !(before && 'fixed' in before.username && before.username.fixed === form.username);
  return {
    ...form,
    preset: id,
    host: values['smarthost.host'],
    port: values['smarthost.port'],
    security: values['smarthost.security'],
    username: values['smarthost.username'] ?? (keepUser ? form.username : ''),
    smarthostDailyCap: values['smarthost.dailyCap'],
    smarthostRate: values['smarthost.ratePerMinute'],
  };
}

/** The preset's region whose server is in the form, or null when the server was typed by hand. */
export function regionOf(form: RouteForm): string | null {
  return presetById(form.preset)?.hosts.find((h) => h.host === form.host.trim())?.region ?? null;
}

export function withRegion(form: RouteForm, region: string): RouteForm {
  return { ...form, host: presetSettings(form.preset, region)['smarthost.host'] };
}

/** Switching security moves the port along when it was the other one's usual port. */
export function withSecurity(form: RouteForm, security: Security): RouteForm {
  let port = form.port;
  if (security === 'tls' && Number(port) === 587) port = 465;
  if (security === 'starttls' && Number(port) === 465) port = 587;
  return { ...form, security, port };
}

function whole(v: NumberField, min: number, max: number): number | null {
  const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

const LIMIT_MAX = { cap: 10_000_000, rate: 1_000_000 };

/**
 * What Save sends: delivery.route plus the chosen route's own keys, so a half-edited
 * form for the route not chosen cannot block the save. Errors name the field.
 */
export function settingsFromForm(form: RouteForm): { values: Record<string, unknown> } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const limit = (field: RouteField, v: NumberField, max: number) => {
    const n = whole(v, 0, max);
    if (n === null) errors[field] = 'Type a whole number; 0 means no limit.';
    return n;
  };
  if (form.route === 'direct') {
    const cap = limit('directDailyCap', form.directDailyCap, LIMIT_MAX.cap);
    const rate = limit('directRate', form.directRate, LIMIT_MAX.rate);
    if (Object.keys(errors).length) return { errors };
    return { values: { 'delivery.route': 'direct', 'direct.dailyCap': cap, 'direct.ratePerMinute': rate } };
  }
  const server = serverFromForm(form);
  if ('errors' in server) Object.assign(errors, server.errors);
  const cap = limit('smarthostDailyCap', form.smarthostDailyCap, LIMIT_MAX.cap);
  const rate = limit('smarthostRate', form.smarthostRate, LIMIT_MAX.rate);
  if ('errors' in server || Object.keys(errors).length) return { errors };
  return {
    values: {
      'delivery.route': 'smarthost',
      'smarthost.preset': form.preset,
      'smarthost.host': server.host,
      'smarthost.port': server.port,
      'smarthost.security': form.security,
      'smarthost.username': form.username.trim(),
      'smarthost.dailyCap': cap,
      'smarthost.ratePerMinute': rate,
    },
  };
}

/** The provider's server as typed, for Save and for Test connection. */
export function serverFromForm(form: RouteForm): { host: string; port: number } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const host = form.host.trim();
  const port = whole(form.port, 1, 65535);
  if (!host) errors.host = 'Type the server name your provider gives, for example smtp.example.com.';
  if (port === null) errors.port = 'Type the port number, usually 587 (STARTTLS) or 465 (TLS).';
  return host && port !== null ? { host, port } : { errors };
}
