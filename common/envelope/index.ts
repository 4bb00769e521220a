// The envelope: the one module that imports openpgp. Browser, server and CLI all go through it.
export * from './errors.ts';
export * from './keys.ts';
export * from './manifest.ts';
export * from './seal.ts';
export * from './headers.ts';
export * from './open.ts';
export * from './padded-text.ts';
export * from './rewrap.ts';
// Writing padded replies and labels, and the server's check of them (pad-text.ts), are imported by
// name: the source page's script, which only reads replies, never carries them.
export { createHasher, sha256Hex, toHex, type Hasher } from './hash.ts';
export * from './generate.ts';
export * from './source-key.ts';
export { MIN_PADDED_SIZE, manifestLength, paddedSize } from './padding.ts';
