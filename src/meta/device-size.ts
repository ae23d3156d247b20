// Size in bytes of a regular file, a block device or a devdax character device.
import { fstatSync, readFileSync } from 'node:fs';
import { TandemError } from '../lib/errors.js';

export function sizeOf(fd: number, path: string): number {
  const st = fstatSync(fd);
  if (st.isFile()) return st.size;
  const majorMinor = `${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
  // sysfs: block devices report 512-byte sectors, devdax devices report bytes.
  if (st.isBlockDevice()) return Number(readFileSync(`/sys/dev/block/${majorMinor}/size`, 'utf8').trim()) * 512;
  if (st.isCharacterDevice()) return Number(readFileSync(`/sys/dev/char/${majorMinor}/size`, 'utf8').trim());
  throw new TandemError('TANDEM_E_IO', `${path} is not a file, a block device or a devdax device`, {
    hint: 'metadata goes on a file, a block device (block:) or a file on DAX / a devdax device (pmem:)',
  });
}
