// A daemon that sees another machine boot: a command prefix (TestCluster.start's wrap) that runs it
// in its own mount namespace with a file bind-mounted over /proc/sys/kernel/random/boot_id. Its
// disks lost nothing, but as after a power loss it must assume unflushed writes may be gone
// (docs/ARCHITECTURE.md §5, "Kill or power loss"). Needs root (tests run as root).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
export const OTHER_BOOT = '11111111-2222-4333-8444-555555555555';

export function anotherBoot(root: string, bootId = OTHER_BOOT): string[] {
  const file = join(root, `boot-id-${bootId}`);
  writeFileSync(file, `${bootId}\n`);
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount --bind ${file} ${BOOT_ID_FILE} && exec "$@"`, 'sh'];
}
