import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HeedError } from '../util/errors.js';

let counter = 0;

/**
 * Writes a file so that readers see either the old contents or the new, never a torn write:
 * the data goes to a temporary file in the same directory (same file system, so the rename is
 * atomic), is flushed to disk with fsync, and is renamed over `path`; then the directory is
 * fsynced so the rename itself survives a crash. On failure the temporary file is removed.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${counter++}`);
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new HeedError(`cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  fsyncDir(dir);
}

/** Writes a file and fsyncs it before closing. */
export function writeAndSync(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory's entries (renames, creations) to disk; a no-op where unsupported. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory.
  } finally {
    closeSync(fd);
  }
}
