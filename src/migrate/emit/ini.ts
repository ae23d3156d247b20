// One Tandem INI file per migrated RVG, in the format of DESIGN §2 (the `ini` package reads it).
import { volumeSizeNote } from '../map/replication.js';
import type { TandemResource } from '../map/plan.js';

export function emitIni(res: TandemResource): string {
  const lines: string[] = [
    `; ${res.name}.ini — written by tandem migrate vcs; lines marked CHECK hold placeholders`,
    ...res.notes.map((n) => `; ${n}`),
    '',
    '[resource]',
    `name = ${res.name}`,
    `protocol = ${res.protocol}`,
    `secret = ${res.secret}`,
    `fencing = ${res.fencing}`,
    `quorum = ${res.quorum}`,
    'on-no-quorum = io-error',
    'after-sb-0pri = disconnect',
    'after-sb-1pri = disconnect',
    'after-sb-2pri = disconnect',
  ];
  if (res.resyncRate) lines.push(`resync-rate = ${res.resyncRate}`);
  for (const v of res.volumes) {
    lines.push(
      '',
      `; volume ${v.index} replaces VxVM volume ${res.diskGroup}/${v.vxvmVolume}, ${volumeSizeNote(v)}`,
      `[volume.${v.index}]`,
      `disk = ${v.disk}    ; CHECK: the LVM volume you create`,
      `meta = ${v.meta}    ; CHECK: this host's PMEM`,
      `export = ${v.export}`,
    );
  }
  for (const n of res.nodes) {
    lines.push('', `[node.${n.name}]`, `id = ${n.id}`, `address = ${n.address}${n.placeholder ? '    ; CHECK: placeholder, no replication address was known' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
