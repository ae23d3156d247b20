// Running Pacemaker's offline tools on CIB files in a private temp dir (CIB_shadow_dir keeps even
// aborted crm_simulate runs out of /var/lib/pacemaker).
import { execa, type Result } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Scratch { dir: string; file(name: string): string; env: Record<string, string>; remove(): void }

export function scratch(prefix: string): Scratch {
  const dir = mkdtempSync(join(tmpdir(), `tandem-${prefix}-`));
  return {
    dir,
    file: (name) => join(dir, name),
    env: { CIB_shadow_dir: dir },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function run(cmd: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<Result> {
  return execa(cmd, args, { reject: false, env, input, timeout: 30_000, stdin: input === undefined ? 'ignore' : undefined });
}

/**
 * A CIB file of a running cluster as crm_simulate needs it: the given configuration (resources and
 * constraints from a generated CIB), STONITH off, every node online with a promotion score.
 */
export function clusterCibText(
  generatedCib: string, scores: Record<string, number>, promotionAttr: string,
  opts: { quorum?: boolean; nodeState?: Record<string, string> } = {},
): string {
  const nodes = Object.keys(scores);
  return generatedCib
    .replace(/<!--[\s\S]*?-->\n/, '')
    .replace('validate-with', `crm_feature_set="3.16.1" have-quorum="${opts.quorum === false ? 0 : 1}" dc-uuid="1" validate-with`)
    .replace('<crm_config/>', '<crm_config><cluster_property_set id="opts"><nvpair id="opts-se" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>')
    .replace('<nodes/>', `<nodes>${nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes>`)
    .replace('<status/>', '<status>' + nodes.map((n, i) =>
      `<node_state id="${i + 1}" uname="${n}" ${opts.nodeState?.[n] ?? 'in_ccm="true" crmd="online" join="member" expected="member"'}>`
      + `<transient_attributes id="${i + 1}"><instance_attributes id="ta-${i + 1}"><nvpair id="ta-${i + 1}-p" name="${promotionAttr}" value="${scores[n]}"/></instance_attributes></transient_attributes>`
      + `<lrm id="${i + 1}"><lrm_resources/></lrm></node_state>`).join('') + '</status>');
}

/** Node names crm_simulate -S leaves Promoted. */
export async function promotedAfterSimulation(file: string, env: Record<string, string>): Promise<string[]> {
  const sim = await run('crm_simulate', ['-x', file, '-S'], env);
  if (sim.exitCode !== 0) throw new Error(`crm_simulate: ${sim.stderr}`);
  const m = /Promoted: \[ ([^\]]*) \]/.exec(String(sim.stdout).split('Revised Cluster Status')[1] ?? '');
  return m ? m[1].trim().split(/\s+/).sort() : [];
}
