// A small tmpfs of its own, to make a node's backing file run out of space (ENOSPC) on demand:
// fill it up with a filler file leaving a few blocks free, free the space again later. Unmounted
// at teardown (lazily, after the daemons that held files on it are gone).
import { execa } from 'execa';
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

export interface Teardown { teardown(fn: () => unknown): void }

export interface SmallTmpfs {
  dir: string;
  freeBytes(): number;
  /** allocate a filler file so that only about `leaveBytes` stay free */
  fillLeaving(leaveBytes: number): Promise<void>;
  /** delete the filler file */
  free(): void;
}

export async function mountSmallTmpfs(t: Teardown, dir: string, sizeBytes: number): Promise<SmallTmpfs> {
  mkdirSync(dir, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tandem-test-small', dir]);
  t.teardown(async () => { await execa('umount', ['-l', dir], { reject: false }); });
  const filler = join(dir, 'filler');
  const freeBytes = (): number => { const s = statfsSync(dir); return s.bavail * s.bsize; };
  return {
    dir,
    freeBytes,
    fillLeaving: async (leaveBytes) => {
      const size = freeBytes() - leaveBytes;
      if (size > 0) await execa('fallocate', ['-l', String(size), filler]);
    },
    free: () => rmSync(filler, { force: true }),
  };
}
