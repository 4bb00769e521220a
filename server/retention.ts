import type { Config } from './config.ts';
import { log } from './log/index.ts';
import type { Store } from './store/index.ts';

/** Days after which submissions and replies go: the administrator's setting if made, else SEALDROP_RETENTION_DAYS; null keeps them. */
export function retentionDays(config: Config, store: Store): number | null {
  const set = store.settings.retentionDays();
  if (set === null) return config.retentionDays;
  return set === 0 ? null : set;
}

/** Purges abandoned uploads and whatever is past retention, now; returns how many objects went. */
export async function purgeNow(config: Config, store: Store): Promise<number> {
  const removed = await store.submissions.purge(retentionDays(config, store));
  if (removed) log('info', 'purged', { objects: removed });
  return removed;
}
