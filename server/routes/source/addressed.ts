// What the source routes check of the objects a page sends, per part and folded alike (the server never
// decrypts): each is addressed to exactly the current keys of its conversation's desk.
import { assertAddressedTo, WrongRecipientsError } from '../../../common/envelope/index.ts';
import { HttpError } from '../../http/errors.ts';
import type { RecipientSet } from '../../recipients.ts';
import { NOT_OPEN } from '../../sources/desks.ts';

/** A request's objects; `ownKey`: the source's own key ID (null for a source made before codenames, or a new one not yet keyed). */
export type Objects = { part?: Uint8Array | null; manifest?: Uint8Array | null; ownKey?: string | null };

/**
 * Refuses unless the desk has keys and the part is addressed to exactly them; a manifest to exactly them and the
 * source's own key (what the page seals since issue 25, so that the conversation shows each name), or to exactly
 * them (a page loaded before that, still open: its sends must not fail; those items show no name). No other key.
 */
export async function checkObjects(keys: RecipientSet, { part, manifest, ownKey = null }: Objects): Promise<void> {
  if (keys.keyIds.length === 0) throw new HttpError(503, NOT_OPEN, 'not_open');
  if (part) await assertAddressedTo(part, keys.keyIds);
  if (!manifest) return;
  try {
    await assertAddressedTo(manifest, ownKey === null ? keys.keyIds : [...keys.keyIds, ownKey]);
  } catch (error) {
    if (!(error instanceof WrongRecipientsError) || ownKey === null) throw error;
    await assertAddressedTo(manifest, keys.keyIds);
  }
}
