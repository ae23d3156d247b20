// A "live" cluster that is a CIB file, for running generated pcs scripts as an administrator
// would. A stand-in `pcs` on PATH sends reads to a copy of the file and applies every change to
// it, then lets the scheduler run one transition (crm_simulate -S -O) before the next command, as a
// real cluster does between two commands. Every state reached is kept, so a test can check that
// at no point a service ran where it must not.
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import xml2js from 'xml2js';
import { clusterCibText, run, type Scratch } from '../pcmk-tools.js';

export interface FileCluster {
  /** environment that puts the stand-in pcs first on PATH */
  env: Record<string, string>;
  /** the cluster's CIB after each transition, in order */
  states(): string[];
}

const REAL_PCS = '/usr/sbin/pcs';

/**
 * `base` is a generated CIB (its configuration, if any, is already "live"); nodes come online with
 * the given promotion scores for `promotionAttr` (what the agent would publish).
 */
export function fileCluster(s: Scratch, name: string, base: string, scores: Record<string, number>, promotionAttr: string): FileCluster {
  const dir = join(s.dir, name);
  const bin = join(dir, 'bin');
  const states = join(dir, 'states');
  mkdirSync(bin, { recursive: true });
  mkdirSync(states, { recursive: true });
  const live = join(dir, 'live.xml');
  writeFileSync(live, clusterCibText(base, scores, promotionAttr));
  writeFileSync(join(bin, 'pcs'), `#!/bin/sh
set -e
if [ "$1" = "-f" ]; then exec ${REAL_PCS} "$@"; fi
if [ "$1 $2" = "cluster cib" ]; then cp "${live}" "$3"; exit 0; fi
${REAL_PCS} -f "${live}" "$@"
n=$(printf %03d "$(ls "${states}" | grep -c 'xml$' || true)")
crm_simulate -x "${live}" -S -O "${live}.next" > "${states}/$n.txt"
mv "${live}.next" "${live}"
cp "${live}" "${states}/$n.xml"
`);
  chmodSync(join(bin, 'pcs'), 0o755);
  return {
    env: { ...s.env, PATH: `${bin}:${process.env.PATH}` },
    states: () => readdirSync(states).filter((f) => f.endsWith('.xml')).sort().map((f) => join(states, f)),
  };
}

type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Resource id → [{role, node}] as crm_mon shows the state (clone instances under the primitive id). */
export async function placement(cib: string, env: Record<string, string>): Promise<Map<string, { role: string; node: string }[]>> {
  const { stdout } = await execa('crm_mon', ['-1', '--output-as=xml', '-x', cib], { env });
  const doc = await xml2js.parseStringPromise(stdout);
  const out = new Map<string, { role: string; node: string }[]>();
  const visit = (r: X): void => {
    for (const k of ['resource', 'clone', 'group']) for (const x of r[k] ?? []) visit(x);
    if (r.$?.role && r.$.id && r.node) out.set(r.$.id, [...(out.get(r.$.id) ?? []), { role: r.$.role, node: r.node[0].$.name }]);
  };
  visit(doc['pacemaker-result'].resources[0]);
  return out;
}

/**
 * Every state in which one of `members` is active on a node where `replica` (the primitive id of
 * the promotable clone) is not Promoted, as "state: member on node".
 */
export async function runsOffPromoted(states: string[], replica: string, members: string[], env: Record<string, string>): Promise<string[]> {
  const bad: string[] = [];
  for (const [i, state] of states.entries()) {
    const where = await placement(state, env);
    const promoted = new Set((where.get(replica) ?? []).filter((x) => x.role === 'Promoted').map((x) => x.node));
    for (const m of members) {
      for (const x of where.get(m) ?? []) if (!promoted.has(x.node)) bad.push(`state ${i}: ${m} ${x.role} on ${x.node} (${replica} Promoted on ${[...promoted].join(', ') || 'no node'})`);
    }
  }
  return bad;
}

export { run };
