// Backing files on the VM disk for the real-disk rows: laid out with data actually written (a
// sparse or fallocated file reads holes without touching the disk), and the page cache dropped
// before each row so every row starts cold.
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';

/**
 * Writes all `size` bytes of `path` with O_DIRECT, in a fixed non-zero pattern: files laid out
 * alike are identical (two nodes may skip their initial sync), and no layer can skip the writes
 * as zeros.
 */
export async function layOutFile(path: string, size: number): Promise<void> {
  await execa('fio', ['--name=layout', `--filename=${path}`, `--size=${size}`, '--rw=write', '--bs=1M', '--direct=1',
    '--ioengine=io_uring', '--iodepth=8', '--buffer_pattern=0x5a17a5e1', '--output-format=terse'], { stdin: 'ignore' });
}

/** Written-back dirty pages, then the page cache, dentries and inodes dropped (needs root). */
export async function dropCaches(): Promise<void> {
  await execa('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}
