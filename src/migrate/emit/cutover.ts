// The cut-over plan of report.md: numbered steps with the commands and the check after each,
// covering every site in order (the Primary's first), the data copy (a new file system and a
// file copy where the old one was vxfs, a block copy otherwise), the DR copies seeded from their
// own VVR Secondary volumes where the copy was a block copy, the initial sync with its duration
// (verified by digest for the seeded peers), the hand-over to Pacemaker and booth, and a rollback
// that works after the file system changed.
import { formatSize } from '../../lib/units.js';
import { deviceOf } from '../../cluster/pacemaker-model/replica.js';
import { RESYNC_CHUNK, RESYNC_WINDOW } from '../../engine/resync-source.js';
import { BOOTH_AUTHFILE } from './booth.js';
import { siteDir, type MigrationPlan, type MountMove, type TandemNode, type TandemResource } from '../map/plan.js';

interface Step {
  title: string;
  commands: string[];
  check: string;
}

/** `--node X` when the Tandem node is not the host itself (a site of shared disks). */
const asNode = (n: TandemNode): string => (n.sharedStorage ? ` --node ${n.name}` : '');

/** Where a node's commands run: a host of its site, or the host itself. */
function where(n: TandemNode, host?: string): string {
  if (n.sharedStorage) return `on ${host ?? n.hosts[0]} (site ${n.name}: the host that has ${n.name}'s disks active)`;
  return `on ${n.name}`;
}

export function duration(bytes: number, bytesPerSec: number): string {
  const s = Math.ceil(bytes / bytesPerSec);
  const h = Math.floor(s / 3600);
  const m = Math.ceil((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${Math.max(1, m)} min`;
}

export function cutover(plan: MigrationPlan): string[] {
  const steps: Step[] = [];
  const add = (title: string, commands: string[], check: string): void => { steps.push({ title, commands, check }); };
  const primarySite = plan.tandem[0]?.nodes.find((n) => n.name === plan.tandem[0].primary)?.site ?? plan.sites[0]?.cluster;
  const sites = [...plan.sites].sort((a, b) => Number(b.cluster === primarySite) - Number(a.cluster === primarySite));
  const apps = sites.flatMap((s) => Object.entries(s.groupTargets).filter(([, t]) => s.promotedWith[t]).map(([g, t]) => ({ site: s, group: g, target: t, clone: s.promotedWith[t] })));
  const primaryApps = apps.filter((a) => a.site.cluster === primarySite);
  const onlineHost = (t: TandemResource, n: TandemNode): string | undefined => {
    const site = plan.sites.find((s) => s.cluster === n.site);
    return Object.entries(site?.onlineOn ?? {}).map(([, h]) => h).find((h) => n.hosts.includes(h));
  };

  add(`Record the current state on every site (${sites.map((s) => s.cluster).join(', ')})`, [
    ...sites.map((s) => `hastatus -sum    # on a node of ${s.cluster}`),
    ...plan.tandem.flatMap((t) => [`vradmin -g ${t.diskGroup} -l repstatus ${t.rvg}`, `vradmin -g ${t.diskGroup} printvol ${t.rvg}`]),
  ], 'every system RUNNING, no group FAULTED; on every Secondary Data status "consistent, up-to-date" and Timestamp Information "behind by 0h 0m 0s".');

  add('Prepare the target data layer on every node of every site (VxVM stays untouched, so rollback stays possible)', plan.tandem.flatMap(prepare), '`tandem config check` exits 0 for every node; `lvs` shows the data volumes with identical sizes at every site; `tandem md show <resource>` shows fresh metadata.');

  add(`Stop the applications under VCS on ${primarySite}`, primaryApps.map((a) => `hagrp -offline ${a.group} -any    # on ${a.site.cluster}`),
    `\`hastatus -sum\` shows ${primaryApps.map((a) => a.group).join(', ') || 'the application groups'} OFFLINE everywhere; nothing writes to the replicated volumes.`);

  add('Let the Secondaries catch up, then stop replication', plan.tandem.flatMap((t) => [`vradmin -g ${t.diskGroup} -l repstatus ${t.rvg}    # wait for "behind by 0h 0m 0s" on every Secondary`, `vradmin -g ${t.diskGroup} stoprep ${t.rvg}`]),
    'repstatus shows replication stopped with data status "consistent, up-to-date"; these VxVM copies are now the rollback copies.');

  add('Verify every site holds the same data', plan.tandem.flatMap((t) => t.volumes.map((v) => `sha256sum /dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume}    # at every site (its active host)`)),
    'the checksums are identical at every site; if not, do not continue: restart replication (`vradmin -g <dg> startrep <rvg>`) and start again.');

  const dr = sites.filter((s) => s.cluster !== primarySite);
  add('Stop VCS everywhere, the other sites first (so no site takes over while the Primary site stops)', [
    ...[...dr, ...sites.filter((s) => s.cluster === primarySite)].map((s) => `hastop -all    # on a node of ${s.cluster}`),
    'systemctl disable vcs vxfen gab llt    # on every node; unit names vary by release',
  ], '`hastatus` reports the engine is not running on any node of any site.');

  add(`Copy the data into the Tandem volumes at ${primarySite} (the Primary)`, plan.tandem.flatMap((t) => load(t, plan.mounts.filter((m) => m.resource === t.name), onlineHost)),
    'for file copies the checking rsync lists nothing; for block copies the two checksums are equal. The old VxVM volumes are only read.');

  const seeded = plan.tandem.filter((t) => t.seed);
  if (seeded.length > 0) {
    add('Seed the copies at the other sites from their own VxVM volumes (a local copy: nothing crosses the link)', seeded.flatMap((t) => seed(t, onlineHost)),
      'at every seeded node the checksum of each backing LV equals the one step 5 printed for the VxVM volume. The VxVM volumes are only read. A volume not seeded (or seeded wrong) still ends correct after the next step: every block is compared, and what differs is sent.');
  }

  add('Initial sync of the other nodes from the Primary', plan.tandem.flatMap((t) => initialSync(t, plan)), `every peer UpToDate in \`tandem status\`; \`sha256sum\` of each backing LV equal at every node.${seeded.length > 0
    ? ' For a seeded peer, `tandem status` shows `csums:sha256 same:<verified> sent:<data>` while it runs: `sent` stays near zero; if it grows, the copy was not the same, and the resync is sending it (correct, only slower).'
    : ''}`);

  add('Hand over to Pacemaker (and booth) at every site', handover(plan, sites, primarySite),
    `\`crm_mon -1\` at ${primarySite} shows one Promoted instance of ${plan.tandem.map((t) => t.cloneId).join(', ') || 'each replica clone'} and ${primaryApps.map((a) => a.target).join(', ') || 'the applications'} started on that node${dr.length > 0 ? `; at ${dr.map((s) => s.cluster).join(', ')} the replica runs Unpromoted and the applications are stopped` : ''}${plan.booth ? '; `booth list` shows every ticket granted to the Primary site' : ''}.`);

  add('Rehearse a switch-over once, then switch back', rehearsal(plan, primaryApps, dr.map((s) => s.cluster)),
    'the applications run at the new place with their data; `tandem status` shows the old Primary Secondary and UpToDate; after switching back, the same at the Primary.');

  add('Roll back (if a check after step 7 fails, or later)', rollback(plan, sites, primarySite), 'hastatus shows the groups ONLINE at the Primary site; repstatus shows replication resumed. Writes made under Tandem are kept only if copied back with the lines above (the VxVM volumes were not written since step 4).');

  const out = ['## Cut-over plan', ''];
  steps.forEach((s, i) => {
    out.push(`${i + 1}. **${s.title}**`, '', '   ```sh', ...s.commands.map((c) => `   ${c}`), '   ```', '', `   Check: ${s.check}`, '');
  });
  return out;
}

function prepare(t: TandemResource): string[] {
  const out: string[] = [];
  for (const n of t.nodes) {
    const lvs = t.volumes.flatMap((v) => [
      `lvcreate -n ${v.vxvmVolume} -L ${v.sizeBytes ?? 'SIZE'}b ${t.diskGroup}`,
      ...(v.meta.startsWith('block:') ? [`lvcreate -n ${v.vxvmVolume}_tmeta -L ${v.metaBytes ?? '$(tandem md size --volume SIZE --peers N --json | jq .bytes)'}b ${t.diskGroup}`] : []),
    ]);
    if (n.sharedStorage) {
      out.push(
        `# site ${n.name} (${n.hosts.join(', ')}): new shared LUNs, not VxVM's`,
        `vgcreate --setautoactivation n ${t.diskGroup} /dev/mapper/CHANGE-ME    # on ${n.hosts[0]}; LVM system IDs on (lvm.conf system_id_source = uname) so only one host activates it`,
        ...lvs.map((l) => `${l}    # on ${n.hosts[0]}${l.includes('_tmeta') ? ': Tandem metadata, on the shared disks too' : ''}`),
        `install -m 600 tandem/${t.name}.ini /etc/tandem/; echo TANDEM_NODE=${n.name} >> /etc/default/tandemd    # on ${n.hosts.join(' and ')}; then systemctl restart tandemd`,
        `tandem config check --node ${n.name}    # on ${n.hosts.join(' and ')}`,
        `tandem md create ${t.name} --node ${n.name}    # on ${n.hosts[0]}, with ${t.diskGroup} active there`,
      );
    } else {
      out.push(
        `# ${n.name}${n.bunker ? ' (former bunker)' : ''}${n.site ? '' : ' (its cluster was not migrated: adapt)'}`,
        `vgcreate ${t.diskGroup} /dev/CHANGE-ME    # on ${n.name}: spare disks, not those of VxVM disk group ${t.diskGroup}`,
        ...lvs.map((l) => `${l}    # on ${n.name}`),
        `install -m 600 tandem/${t.name}.ini /etc/tandem/; tandem config check --node ${n.name}    # on ${n.name}; fill in the CHECK placeholders first`,
        `tandem md create ${t.name}    # on ${n.name}`,
      );
    }
  }
  return out;
}

function load(t: TandemResource, mounts: MountMove[], onlineHost: (t: TandemResource, n: TandemNode) => string | undefined): string[] {
  const p = t.nodes.find((n) => n.name === t.primary)!;
  const on = where(p, onlineHost(t, p));
  const out = [
    `# ${t.name}: ${on}`,
    ...(p.sharedStorage ? [`vgchange -ay ${t.diskGroup}`] : []),
    `vxdg import ${t.diskGroup} && vxvol -g ${t.diskGroup} startall    # the old volumes, read only from here on`,
    `tandem up ${t.name}${asNode(p)}`,
    `tandem primary ${t.name} --force${asNode(p)}    # first promotion of a new resource: its data is what is copied now`,
  ];
  for (const v of t.volumes) {
    const dev = deviceOf(t.name, v.index);
    const m = mounts.find((x) => x.volume === v.index);
    if (m?.copy === 'files') {
      const oldDir = `/mnt/vcs-${m.mount}`;
      const newDir = `/mnt/tandem-${m.mount}`;
      out.push(
        `# ${m.mount}: ${m.oldFsType} on ${m.vxvmDevice} → ${m.newFsType} on ${dev}: a new file system and a file copy (a vxfs image would not mount as ${m.newFsType})`,
        `mkfs.${m.newFsType} ${dev}`,
        `mkdir -p ${oldDir} ${newDir} && mount -t ${m.oldFsType} -o ro ${m.vxvmDevice} ${oldDir} && mount ${dev} ${newDir}`,
        `rsync -aHAXS --numeric-ids --info=progress2 ${oldDir}/ ${newDir}/`,
        `rsync -aHAXSn --numeric-ids --checksum --delete --itemize-changes ${oldDir}/ ${newDir}/    # check: prints nothing`,
        `umount ${newDir} ${oldDir}`,
      );
    } else {
      const size = v.sizeBytes === undefined ? '' : ` (${formatSize(v.sizeBytes)})`;
      out.push(
        `# volume ${v.index} (${t.diskGroup}/${v.vxvmVolume}${size}): ${m ? `${m.oldFsType} kept, ` : 'no file system mounted by VCS, '}a block copy`,
        `dd if=/dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume} of=${dev} bs=4M oflag=direct status=progress`,
        `sha256sum /dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume}; head -c $(blockdev --getsize64 /dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume}) ${dev} | sha256sum    # check: equal`,
      );
    }
  }
  return out;
}

/** The DR copies: each seeded node block-copies its own VxVM volumes into its Tandem LVs. */
function seed(t: TandemResource, onlineHost: (t: TandemResource, n: TandemNode) => string | undefined): string[] {
  const out: string[] = [];
  for (const n of t.nodes.filter((x) => t.seed!.peers.includes(x.name))) {
    out.push(
      `# ${t.name}: ${where(n, onlineHost(t, n))}; the resource is not up here yet, so nothing else writes these LVs`,
      ...(n.sharedStorage ? [`vgchange -ay ${t.diskGroup}`] : []),
      `vxdg import ${t.diskGroup} && vxvol -g ${t.diskGroup} startall    # its VVR Secondary volumes, stopped clean in step 4: only read`,
    );
    for (const v of t.volumes.filter((x) => t.seed!.volumes.includes(x.index))) {
      const vx = `/dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume}`;
      out.push(
        `dd if=${vx} of=${v.disk} bs=4M oflag=direct status=progress    # volume ${v.index}${v.sizeBytes === undefined ? '' : ` (${formatSize(v.sizeBytes)})`}: at this site's disk speed`,
        `head -c $(blockdev --getsize64 ${vx}) ${v.disk} | sha256sum    # check: the checksum step 5 printed for ${t.diskGroup}/${v.vxvmVolume}`,
      );
    }
    out.push(`vxvol -g ${t.diskGroup} stopall && vxdg deport ${t.diskGroup}    # the VxVM copy stays as it was, for a rollback`);
  }
  return out;
}

/** Bytes on the link per run found equal: a ResyncChecksum frame (74 with a SHA-256) and its ResyncInSync (38). */
const DIGEST_WIRE_BYTES = 112;

function initialSync(t: TandemResource, plan: MigrationPlan): string[] {
  const out = [`# ${t.name}: ${syncEstimate(t, plan)}`];
  for (const n of t.nodes.filter((x) => x.name !== t.primary)) {
    const seeded = t.seed?.peers.includes(n.name) ?? false;
    if (n.sharedStorage && !seeded) out.push(`vgchange -ay ${t.diskGroup}    # ${where(n)}`);
    out.push(seeded
      ? `tandem up ${t.name}${asNode(n)}    # ${where(n)}: sync from ${t.primary} starts, verifying the seeded copy (csums-alg = sha256)`
      : `tandem up ${t.name}${asNode(n)}    # ${where(n)}: full sync from ${t.primary} starts`);
  }
  out.push(`tandem status ${t.name} --watch    # on the Primary: resync progress, rate and ETA${t.seed ? '; for seeded peers also same (verified) and sent' : ''}`);
  return out;
}

/**
 * How long the initial sync takes. A full sync moves every byte at the link rate. A seeded peer
 * moves digests only for the blocks that are equal (about 112 bytes per 256 KiB run), but both
 * disks are read in full: that part runs at the slower disk's read rate, which the inputs do not
 * give, and at most a resync window of runs (32 × 256 KiB) is compared per round trip. Blocks that differ still cross at the
 * link rate; after step 5's equal checksums, none should.
 */
function syncEstimate(t: TandemResource, plan: MigrationPlan): string {
  const total = t.volumes.reduce((n, v) => n + (v.sizeBytes ?? 0), 0);
  if (total === 0 || t.volumes.some((v) => v.sizeBytes === undefined)) return 'duration unknown: volume sizes unknown (give --printvol)';
  const rate = plan.linkRate;
  const full = rate
    ? `${formatSize(total)} at ${formatSize(rate.bytesPerSec)}/s (${rate.source}): about ${duration(total, rate.bytesPerSec)} per peer`
    : `${formatSize(total)}; duration unknown: give --link-rate (e.g. --link-rate 1Gbit) for an estimate`;
  if (!t.seed) return full;
  const seededBytes = t.volumes.filter((v) => t.seed!.volumes.includes(v.index)).reduce((n, v) => n + v.sizeBytes!, 0);
  const digests = Math.ceil(seededBytes / RESYNC_CHUNK) * DIGEST_WIRE_BYTES;
  const perRoundTrip = formatSize(RESYNC_WINDOW * RESYNC_CHUNK);
  const rest = total - seededBytes;
  const atLink = (bytes: number): string => (rate ? ` (${shortDuration(bytes, rate.bytesPerSec)} at ${formatSize(rate.bytesPerSec)}/s)` : '');
  return `seeded peers (${t.seed.peers.join(', ')}): ${formatSize(seededBytes)} of seeded volumes read and compared on both sides, at the slower disk's read rate `
    + `(e.g. about ${duration(seededBytes, 200 * 1024 * 1024)} at 200 MiB/s) and at most ${perRoundTrip} per network round trip, not at the link rate; `
    + `the link carries about ${formatSize(digests)} of digests${atLink(digests)}, plus any block that differs, at the link rate`
    + `${rest > 0 ? `; the ${formatSize(rest)} of file-copied volumes cross the link in full${atLink(rest)}` : ''}. `
    + `Without the seed, or to peers not seeded: ${full}`;
}

function shortDuration(bytes: number, bytesPerSec: number): string {
  return bytes / bytesPerSec < 60 ? 'under a minute' : `about ${duration(bytes, bytesPerSec)}`;
}

function handover(plan: MigrationPlan, sites: MigrationPlan['sites'], primarySite: string | undefined): string[] {
  const out = plan.tandem.flatMap((t) => t.nodes.map((n) => `tandem secondary ${t.name}${asNode(n)}; tandem down ${t.name}${asNode(n)}    # ${where(n)}`));
  if (plan.booth) {
    out.push(
      `booth-keygen ${BOOTH_AUTHFILE}    # once; then copy booth.conf and ${BOOTH_AUTHFILE} to /etc/booth/ on every node of every site and on the arbitrator`,
      `systemctl enable --now booth@booth    # on the arbitrator ${plan.booth.arbitrator ?? '(CHANGE-ME)'}`,
    );
  }
  for (const s of sites) out.push(`sh ${siteDir(plan, s)}pcs.sh    # on one node of ${s.cluster} (or: crm configure load update ${siteDir(plan, s)}crm.txt)`);
  if (plan.booth) {
    const primary = plan.booth.sites.find((s) => s.cluster === primarySite);
    for (const t of plan.booth.tickets) out.push(`booth grant -s ${primary?.address ?? 'PRIMARY-SITE-ADDRESS'} ${t.name}    # the ticket of ${t.group} to ${primarySite}`);
  }
  return out;
}

function rehearsal(plan: MigrationPlan, apps: { site: MigrationPlan['sites'][number]; group: string; target: string; clone: string }[], otherSites: string[]): string[] {
  const out: string[] = [];
  for (const a of apps) {
    const t = plan.tandem.find((x) => x.cloneId === a.clone);
    const p = t?.nodes.find((n) => n.name === t.primary);
    if (p?.sharedStorage && p.hosts.length > 1) {
      const storage = Object.entries(a.site.groupTargets).find(([, target]) => target === a.clone)?.[0];
      out.push(`pcs resource move ${storage ?? '<site storage group>'} ${p.hosts[1]}    # within ${a.site.cluster}: disks, replication address, replica and ${a.target} move together; then: pcs resource clear ${storage ?? '<group>'}`);
    } else {
      const other = a.site.nodes.find((n) => n !== (a.site.onlineOn[a.group] ?? a.site.nodes[0])) ?? 'OTHER-NODE';
      out.push(`pcs resource move ${a.clone} ${other} --promoted    # ${a.target} follows; then: pcs resource clear ${a.clone}`);
    }
  }
  if (plan.booth && otherSites.length > 0) {
    const target = plan.booth.sites.find((s) => s.cluster === otherSites[0]);
    for (const t of plan.booth.tickets) {
      out.push(`booth revoke ${t.name}; booth grant -s ${target?.address ?? 'DR-SITE-ADDRESS'} ${t.name}    # site switch to ${otherSites[0]} (a DR test); switch back the same way`);
    }
  }
  return out;
}

function rollback(plan: MigrationPlan, sites: MigrationPlan['sites'], primarySite: string | undefined): string[] {
  const stopOrder = [...sites.filter((s) => s.cluster !== primarySite), ...sites.filter((s) => s.cluster === primarySite)];
  const out = stopOrder.map((s) => `pcs cluster stop --all    # on a node of ${s.cluster}${stopOrder.length > 1 && s.cluster === primarySite ? ' (the Primary site last)' : ''}`);
  for (const t of plan.tandem) {
    const p = t.nodes.find((n) => n.name === t.primary)!;
    out.push(`# ${t.name}, only if applications wrote after the cut-over: copy their data back from the last Tandem Primary, ${where(p)}`);
    out.push(`vxdg import ${t.diskGroup} && vxvol -g ${t.diskGroup} startall`);
    for (const v of t.volumes) {
      const m = plan.mounts.find((x) => x.resource === t.name && x.volume === v.index);
      if (m?.copy === 'files') {
        out.push(
          `mount ${v.disk} /mnt/tandem-${m.mount} -o ro && mount -t ${m.oldFsType} ${m.vxvmDevice} /mnt/vcs-${m.mount}    # the LV holds the same ${m.newFsType} as ${deviceOf(t.name, v.index)}`,
          `rsync -aHAXS --numeric-ids --delete /mnt/tandem-${m.mount}/ /mnt/vcs-${m.mount}/ && umount /mnt/tandem-${m.mount} /mnt/vcs-${m.mount}`,
        );
      } else {
        out.push(`dd if=${v.disk} of=/dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume} bs=4M iflag=count_bytes count=$(blockdev --getsize64 /dev/vx/rdsk/${t.diskGroup}/${v.vxvmVolume})    # same bytes as ${deviceOf(t.name, v.index)}`);
      }
    }
  }
  out.push(...sites.map((s) => `systemctl enable vcs; hastart    # on every node of ${s.cluster}`));
  out.push(...plan.tandem.map((t) => `vradmin -g ${t.diskGroup} -a startrep ${t.rvg}    # autosync the Secondaries from the Primary`));
  for (const s of sites.filter((x) => x.cluster === primarySite)) {
    for (const [g, target] of Object.entries(s.groupTargets)) {
      if (s.promotedWith[target]) out.push(`hagrp -online ${g} -sys ${s.onlineOn[g] ?? s.nodes[0]}    # on ${s.cluster}`);
    }
  }
  return out;
}
