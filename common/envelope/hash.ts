import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

// WebCrypto cannot hash incrementally, and the whole-file digest must be computed part by part
// with bounded memory, so a small audited pure-JS SHA-256 is used everywhere (no WebAssembly).
export type Hasher = { update(data: Uint8Array): Hasher; digest(): Uint8Array };

export function createHasher(): Hasher {
  return sha256.create();
}

/**
 * One-shot SHA-256 through WebCrypto: native, so fast even where the JIT is off (Tor Browser
 * "Safer"), where the pure-JS hasher manages about 1.5 MiB/s.
 */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)));
}

export function toHex(data: Uint8Array): string {
  return bytesToHex(data);
}
