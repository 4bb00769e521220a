import { constants } from 'node:fs';
import { lstat, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

// Files a sandboxed tool left in its writable /out are as hostile as the bytes it read: a renderer
// that was taken over can leave a symbolic link there (to the journalist's key, say) where a page
// or a PDF is expected, or a FIFO that blocks the reader, or a file far larger than any page. So
// every file taken out of the sandbox is checked with lstat (a regular file, not a link, within a
// size), opened with O_NOFOLLOW (a link swapped in after the check is refused by the kernel) and
// O_NONBLOCK (a FIFO cannot hang the open), checked again on the open handle, and copied, never
// renamed, into a file of ours created anew (O_EXCL).

/** A file left by a sandboxed tool that is not a plain file within its size: nothing of it is read. */
export class UnsafeOutputError extends Error {
  override name = 'UnsafeOutputError';
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function refuse(file: string, what: string): never {
  throw new UnsafeOutputError(`a tool in the sandbox left ${path.basename(file)} as ${what}: refused, nothing of it was read`);
}

function kindOf(info: { isSymbolicLink(): boolean; isDirectory(): boolean }): string {
  return info.isSymbolicLink() ? 'a symbolic link' : info.isDirectory() ? 'a folder' : 'something other than a plain file';
}

/** Opens a file a sandboxed tool wrote, for reading, if it is a regular file of at most maxBytes. */
export async function openOutput(file: string, maxBytes: number): Promise<FileHandle> {
  const info = await lstat(file);
  if (!info.isFile()) refuse(file, kindOf(info));
  if (info.size > maxBytes) refuse(file, `a file of ${info.size.toLocaleString('en')} bytes, above the limit of ${maxBytes.toLocaleString('en')}`);
  const handle = await open(file, READ_FLAGS).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') refuse(file, 'a symbolic link');
    throw error;
  });
  const opened = await handle.stat();
  if (!opened.isFile() || opened.size > maxBytes) {
    await handle.close();
    refuse(file, opened.isFile() ? 'a file that grew past the limit' : kindOf(opened));
  }
  return handle;
}

/** Copies a file a sandboxed tool wrote to target (created anew, 0600), after the checks of openOutput. */
export async function copyOutput(file: string, target: string, maxBytes: number): Promise<void> {
  const source = await openOutput(file, maxBytes);
  try {
    const out = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const chunk = Buffer.alloc(1 << 20);
      let total = 0;
      for (;;) {
        const { bytesRead } = await source.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxBytes) refuse(file, 'a file that grew past the limit');
        await out.write(chunk, 0, bytesRead);
      }
      await out.close();
    } catch (error) {
      await out.close().catch(() => undefined);
      await rm(target, { force: true });
      throw error;
    }
  } finally {
    await source.close();
  }
}
