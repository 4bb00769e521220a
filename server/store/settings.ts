import type { Db } from './db.ts';

/** The newsroom's own face on the source pages; empty strings leave the neutral defaults. */
export type Branding = { name: string; welcome: string; guidelines: string };
export type Logo = { type: 'image/png' | 'image/jpeg'; bytes: Buffer };

/** Settings an administrator changes on the web; each overrides the server's configured default. */
export function settingsRepo(db: Db) {
  const get = (name: string): string | null => (db.prepare('SELECT value FROM settings WHERE name = ?').get(name) as { value: string } | undefined)?.value ?? null;
  const put = (name: string, value: string | null) => {
    if (value === null || value === '') db.prepare('DELETE FROM settings WHERE name = ?').run(name);
    else db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
  };
  return {
    branding(): Branding {
      return { name: get('newsroom_name') ?? '', welcome: get('welcome') ?? '', guidelines: get('guidelines') ?? '' };
    },
    setBranding(b: Branding): void {
      db.transaction(() => {
        put('newsroom_name', b.name);
        put('welcome', b.welcome);
        put('guidelines', b.guidelines);
      })();
    },
    /** The logo, already stripped to the pixels (server/branding/image.ts), or null. */
    logo(): Logo | null {
      const type = get('logo_type');
      const data = get('logo');
      return type && data ? { type: type as Logo['type'], bytes: Buffer.from(data, 'base64') } : null;
    },
    setLogo(logo: Logo | null): void {
      db.transaction(() => {
        put('logo_type', logo?.type ?? null);
        put('logo', logo ? logo.bytes.toString('base64') : null);
      })();
    },
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
