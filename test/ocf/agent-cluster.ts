// Two real tandemd processes (alpha, bravo) with resource r0 up to the point where Pacemaker would
// start the agent, and a CIB file where the agent's promotion scores land, as crm_attribute would
// write them into the live CIB. Shared by the agent tests that need a real daemon.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, render } from '../../src/cluster/pacemaker-config.js';
import { resourceConfig } from '../cluster/fixture-config.js';
import { clusterCibText, run } from '../cluster/pcmk-tools.js';
import { TestCluster } from '../helpers/daemons.js';
import { writeResource, type ResourceFiles } from '../helpers/resource-config.js';

export interface AgentCluster {
  cluster: TestCluster;
  files: ResourceFiles;
  /** this node's promotion score in the CIB file (null: none) */
  score(node: string): Promise<string | null>;
  /** the environment pacemaker-execd gives the agent on `node`, plus `over` */
  params(node: string, over?: Record<string, string>): Record<string, string>;
}

export async function agentCluster(prefix: string, opts: { frontend?: 'fuse' | 'none' } = {}): Promise<AgentCluster> {
  const nodes = ['alpha', 'bravo'];
  const cluster = new TestCluster(prefix);
  const files = await writeResource(cluster, { name: 'r0', nodes, frontend: opts.frontend });
  for (const n of nodes) {
    const md = await cluster.cli(n, ['md', 'create', 'r0']);
    if (md.exitCode !== 0) throw new Error(`md create on ${n}: ${md.stderr}`);
    await cluster.start(n);
  }
  const cib = join(cluster.root, 'cib.xml');
  writeFileSync(cib, clusterCibText(render(buildModel(resourceConfig('r0', nodes)), 'cib'), { alpha: 1, bravo: 1 }, 'other'));
  const cibEnv = { CIB_file: cib, CIB_shadow_dir: cluster.root };
  return {
    cluster,
    files,
    score: async (node) => {
      const r = await run('crm_attribute', ['--promotion=tandem-r0', '-l', 'reboot', '-N', node, '-G', '-q'], cibEnv);
      return r.exitCode === 0 ? String(r.stdout).trim() : null;
    },
    params: (node, over = {}) => ({
      ...cibEnv, OCF_RESKEY_CRM_meta_on_node: node, OCF_RESKEY_resource: 'r0', OCF_RESKEY_config_dir: cluster.configDir,
      OCF_RESKEY_run_dir: cluster.envFor(node).TANDEM_RUN_DIR, OCF_RESKEY_node: node, OCF_RESKEY_CRM_meta_interval: '10000', ...over,
    }),
  };
}
