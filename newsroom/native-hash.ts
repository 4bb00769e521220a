import { createHash } from 'node:crypto';
import type { Hasher } from '../common/envelope/index.ts';

/**
 * SHA-256 of a whole decrypted file in native code, for `sealdrop decrypt` (the envelope's
 * portable hasher cost it a fifth of its time). The server has its own: newsroom/ and server/
 * never import each other.
 */
export function newsroomHasher(): Hasher {
  const native = createHash('sha256');
  const self: Hasher = { update: (data) => (native.update(data), self), digest: () => new Uint8Array(native.digest()) };
  return self;
}
