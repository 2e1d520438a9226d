import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/**
 * A tiny tmpfs of `sizeKb` in a new temporary folder, where this process may mount one (root with
 * the capability, as in CI here); undefined, and no folder left, where it may not. `mode` is the
 * mount's permissions (tmpfs's default 1777 otherwise). Unmounting is the caller's.
 */
export function mountTmpfs(prefix: string, sizeKb: number, mode?: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k${mode ? `,mode=${mode}` : ''}`, 'tmpfs', dir]).status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return dir;
}

/** Writes `file` (on such a tmpfs) until the disk is full: the write that fails must fail with ENOSPC. */
export function fillUntilFull(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096, 1));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
}
