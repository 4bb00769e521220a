// Times are kept at day granularity at most (UTC): an exact time helps correlate a source's visit.
export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function daysBefore(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - days);
  return today(date);
}

/** Midnight UTC of today, used as the mtime of stored files so the filesystem keeps no exact time either. */
export function startOfToday(now: Date = new Date()): Date {
  return new Date(`${today(now)}T00:00:00Z`);
}
