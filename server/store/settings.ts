import type { Db } from './db.ts';

/** Settings an administrator changes on the web; each overrides the server's configured default. */
export function settingsRepo(db: Db) {
  const get = (name: string): string | null => (db.prepare('SELECT value FROM settings WHERE name = ?').get(name) as { value: string } | undefined)?.value ?? null;
  return {
    /** Days after which submissions and replies are purged: a number, 0 for never, or null when unset (the configured default applies). */
    retentionDays(): number | null {
      const value = get('retention_days');
      return value === null ? null : Number(value);
    },
    setRetentionDays(days: number | null): void {
      if (days === null) db.prepare("DELETE FROM settings WHERE name = 'retention_days'").run();
      else db.prepare("INSERT INTO settings (name, value) VALUES ('retention_days', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(String(days));
    },
  };
}
export type SettingsRepo = ReturnType<typeof settingsRepo>;
