import {
  crossCheckSettings,
  isSettingKey,
  SETTING_KEYS,
  SETTINGS,
  type SettingKey,
  type Settings,
  type SettingValue,
  settingFromText,
  settingsDefaults,
} from '../../shared/domain/settings.ts';
import { MailroomError } from '../../shared/errors.ts';
import type { Db } from '../db/connection.ts';

export interface SettingRow {
  key: SettingKey;
  value: unknown;
  default: unknown;
  isDefault: boolean;
  description: string;
}

/** Validated settings over the `settings` table (JSON values). */
export class SettingsService {
  private readonly db: Db;
  private readonly selectAll;
  private readonly upsert;

  constructor(db: Db) {
    this.db = db;
    this.selectAll = db.prepare('SELECT key, value FROM settings');
    this.upsert = db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
  }

  private stored(): Map<string, unknown> {
    const rows = this.selectAll.all() as { key: string; value: string }[];
    return new Map(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  }

  all(): Settings {
    const out = settingsDefaults() as Record<string, unknown>;
    for (const [key, value] of this.stored()) {
      // A value that no longer validates (an older version wrote it) falls back to the default.
      if (isSettingKey(key) && SETTINGS[key].schema.safeParse(value).success) out[key] = value;
    }
    return out as Settings;
  }

  get<K extends SettingKey>(key: K): SettingValue<K> {
    return this.all()[key];
  }

  list(): SettingRow[] {
    const values = this.all();
    return SETTING_KEYS.map((key) => ({
      key,
      value: values[key],
      default: SETTINGS[key].default,
      isDefault: Object.is(values[key], SETTINGS[key].default),
      description: SETTINGS[key].description,
    }));
  }

  requireKey(key: string): SettingKey {
    if (!isSettingKey(key)) {
      throw new MailroomError(
        'UNKNOWN_SETTING',
        `There is no setting "${key}". Known settings: ${SETTING_KEYS.join(', ')}.`,
      );
    }
    return key;
  }

  /** Validates and stores one value; nothing is written when it is refused. */
  set(key: string, value: unknown): SettingValue<SettingKey> {
    const k = this.requireKey(key);
    return this.setMany({ [k]: value })[k] as SettingValue<SettingKey>;
  }

  /**
   * Checks several values as setMany would (each value, then the cross-setting rules
   * on the combined result) without writing anything. Returns the values as they
   * would be stored.
   */
  validate(values: Record<string, unknown>): Partial<Settings> {
    const parsed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      const k = this.requireKey(key);
      const r = SETTINGS[k].schema.safeParse(value);
      if (!r.success) {
        const why = r.error.issues.map((i) => i.message).join('; ');
        throw new MailroomError(
          'INVALID_SETTING',
          `${k} cannot be ${JSON.stringify(value)}: ${why}. ${SETTINGS[k].description} Nothing was changed.`,
        );
      }
      parsed[k] = r.data;
    }
    const conflict = crossCheckSettings({ ...this.all(), ...parsed });
    if (conflict) throw new MailroomError('INVALID_SETTING', `${conflict} Nothing was changed.`);
    return parsed as Partial<Settings>;
  }

  /**
   * Several values at once (a provider preset): each is validated, the cross-setting
   * rules are checked on the combined result, and all are written in one transaction,
   * or none. Returns the values as stored.
   */
  setMany(values: Record<string, unknown>): Partial<Settings> {
    const parsed = this.validate(values);
    const now = Date.now();
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(parsed)) this.upsert.run(k, JSON.stringify(v), now);
    })();
    return parsed;
  }

  setFromText(key: string, text: string): SettingValue<SettingKey> {
    const k = this.requireKey(key);
    return this.set(k, settingFromText(k, text));
  }
}
