// The id of a folded send's submission (POST /api/sends), derived from the secret the page makes
// (256 random bits) so that the page can seal it into the manifest before the server has answered,
// and the server can find the item a repeated request names without a lookup by hash. An id (seen
// by journalists, in exports and backups) tells nothing of the secret, and no secret can aim at an id.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export const sendIdOf = (secret: string): string => bytesToHex(sha256(new TextEncoder().encode(`sealdrop-send:${secret}`))).slice(0, 32);
