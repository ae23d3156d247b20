// Shared test helpers: unique temp paths on tmpfs (pmem:) and on the disk (block:).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';

export function tempDir(t: Test, base: '/dev/shm' | '/var/tmp' = '/dev/shm'): string {
  const dir = mkdtempSync(join(base, 'tandem-meta-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
