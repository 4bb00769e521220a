import type { Db } from './db.ts';
import { DEFAULT_LANGUAGE } from '../../common/i18n/languages.ts';
import { prepared } from './statements.ts';

/** The newsroom's own face on the source pages; empty strings leave the neutral defaults. */
/** `tabTitle`: what a source's browser tab says instead of the name (a neutral word, if the name in a tab is a risk). */
export type Branding = { name: string; welcome: string; guidelines: string; tabTitle?: string };
export type Logo = { type: 'image/png' | 'image/jpeg'; bytes: Buffer };

/** Settings an administrator changes on the web; each overrides the server's configured default. */
export function settingsRepo(db: Db) {
  const get = (name: string): string | null => (prepared(db, 'SELECT value FROM settings WHERE name = ?').get(name) as { value: string } | undefined)?.value ?? null;
  const put = (name: string, value: string | null) => {
    if (value === null || value === '') prepared(db, 'DELETE FROM settings WHERE name = ?').run(name);
    else prepared(db, 'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
  };
  return {
    /**
     * The texts a language's pages show: its own where set, else the default ones (set without a
     * language), so a language the newsroom wrote nothing for still shows the newsroom's face.
     */
    branding(lang: string = DEFAULT_LANGUAGE): Branding {
      const base = this.ownBranding(DEFAULT_LANGUAGE);
      if (lang === DEFAULT_LANGUAGE) return base;
      const own = this.ownBranding(lang);
      return { name: own.name || base.name, welcome: own.welcome || base.welcome, guidelines: own.guidelines || base.guidelines, tabTitle: own.tabTitle || base.tabTitle };
    },
    /** Exactly what was set for one language (empty where nothing was). */
    ownBranding(lang: string = DEFAULT_LANGUAGE): Branding {
      const at = (name: string) => get(lang === DEFAULT_LANGUAGE ? name : `${name}.${lang}`) ?? '';
      return { name: at('newsroom_name'), welcome: at('welcome'), guidelines: at('guidelines'), tabTitle: at('tab_title') };
    },
    /** `lang` must be a shipped language (the route checks it). */
    setBranding(b: Branding, lang: string = DEFAULT_LANGUAGE): void {
      const at = (name: string) => (lang === DEFAULT_LANGUAGE ? name : `${name}.${lang}`);
      db.transaction(() => {
        put(at('newsroom_name'), b.name);
        put(at('welcome'), b.welcome);
        put(at('guidelines'), b.guidelines);
        put(at('tab_title'), b.tabTitle ?? '');
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
    /**
     * "A notice of new material is owed" (server/notify/): a flag only, never a time or a count, so
     * that a restart does not lose a notice and the database does not date an arrival.
     */
    newsPending: (): boolean => get('notify_pending') === '1',
    setNewsPending: (pending: boolean): void => put('notify_pending', pending ? '1' : null),
    setRetentionDays(days: number | null): void {
      if (days === null) db.prepare("DELETE FROM settings WHERE name = 'retention_days'").run();
      else db.prepare("INSERT INTO settings (name, value) VALUES ('retention_days', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(String(days));
    },
  };
}
export type SettingsRepo = ReturnType<typeof settingsRepo>;
