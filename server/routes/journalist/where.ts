import { isId } from '../../../common/ids.ts';
import { HttpError } from '../../http/errors.ts';
import { said } from '../../i18n/said.ts';
import { LIST_FILTERS, type ListFilter } from '../../store/index.ts';
import { listUrl } from '../../views/journalist/inbox.ts';

export type ListPlace = { filter: ListFilter; page: number };

const PAGE = /^[1-9]\d{0,5}$/;

/** `filter` and `page` from a query: absent means all and 1; anything else is a 400 that says what is allowed. */
export function listPlace(query: Record<string, unknown>): ListPlace {
  // `lang` is the language switch's, read before any route (an unknown code falls through here).
  const extra = Object.keys(query).find((k) => k !== 'filter' && k !== 'page' && k !== 'lang');
  if (extra !== undefined) throw new HttpError(400, said('error.unexpectedField', { field: extra }));
  const filter = query.filter ?? 'all';
  if (typeof filter !== 'string' || !(LIST_FILTERS as readonly string[]).includes(filter)) throw new HttpError(400, said('staff.error.listFilter'));
  const page = query.page ?? '1';
  if (typeof page !== 'string' || !PAGE.test(page)) throw new HttpError(400, said('staff.error.listPage'));
  return { filter: filter as ListFilter, page: Number(page) };
}

/**
 * Where to go back to after a form: only a page of the list (`/` with its filter and page) or one
 * conversation (`/conversations/<id>`), rebuilt from what was checked, so a form can never send
 * the journalist anywhere else. Empty means `fallback`.
 */
export function returnPath(value: string | undefined, fallback = '/'): string {
  if (value === undefined || value === '') return fallback;
  const conversation = /^\/conversations\/([^/?#]+)$/.exec(value);
  if (conversation && isId(conversation[1])) return `/conversations/${conversation[1]}`;
  const list = /^\/(?:\?([^#]*))?$/.exec(value);
  if (list) {
    const params = new URLSearchParams(list[1] ?? '');
    const query: Record<string, string> = {};
    for (const [k, v] of params) {
      if (k in query) throw new HttpError(400, said('staff.error.returnPath'));
      query[k] = v;
    }
    try {
      const place = listPlace(query);
      return listUrl(place.filter, place.page);
    } catch {
      // fall through to the refusal below, which names the field
    }
  }
  throw new HttpError(400, said('staff.error.returnPath'));
}
