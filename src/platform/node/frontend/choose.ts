// Which frontend a volume gets: the resource's `frontend` setting, where `auto` is the first kind
// this node can run (the kernel NBD driver, else nbdfuse + loop) and `none` is no block device.
import type { ResourceConfig, Warning } from '../../../config/model.js';
import { TandemError } from '../../../lib/errors.js';
import type { FrontendDriver } from './driver.js';
import { fuseFrontend } from './fuse.js';
import { nbdFrontend } from './nbd.js';

export type FrontendSetting = 'auto' | 'nbd' | 'fuse' | 'none';

/** In the order `auto` tries them. */
export const FRONTENDS: readonly FrontendDriver[] = [nbdFrontend, fuseFrontend];

/** The driver for a setting, or null for `none`; TANDEM_E_FRONTEND (with every reason) when none fits. */
export async function chooseFrontend(setting: FrontendSetting, resource: string): Promise<FrontendDriver | null> {
  if (setting === 'none') return null;
  const candidates = setting === 'auto' ? FRONTENDS : FRONTENDS.filter((f) => f.kind === setting);
  const reasons: string[] = [];
  for (const driver of candidates) {
    const why = await driver.unavailable();
    if (why === null) return driver;
    reasons.push(`${driver.kind}: ${why}`);
  }
  throw new TandemError('TANDEM_E_FRONTEND', `no block device for ${resource}: frontend = ${setting} cannot run on this node (${reasons.join('; ')})`, {
    hint: setting === 'auto'
      ? 'install libnbd-bin and fuse3 (fuse), or load the nbd module and install nbd-client (nbd); or set frontend = none to export over NBD only'
      : `fix what is named above, or set frontend = auto (or none) in the [resource] section`,
    details: { frontend: setting, reasons },
  });
}

/** For `config check` on a node: resources whose frontend this node cannot run (promotion would fail). */
export async function frontendWarnings(resources: ResourceConfig[], node: string): Promise<Warning[]> {
  const out: Warning[] = [];
  for (const r of resources.filter((x) => x.frontend !== 'none' && x.nodes.some((n) => n.name === node))) {
    const err = await chooseFrontend(r.frontend, r.name).then(() => null, (e: unknown) => e as TandemError);
    if (!err) continue;
    const origin = r.origins['resource.frontend'];
    out.push({
      code: 'TANDEM_W_FRONTEND_UNAVAILABLE', file: r.file, ...(origin?.source === 'file' && origin.line !== undefined ? { line: origin.line } : {}),
      key: 'frontend', resource: r.name, node,
      message: `resource '${r.name}': frontend = ${r.frontend} cannot run on node ${node} (${(err.details.reasons as string[]).join('; ')}): promoting it here will fail; ${err.hint}`,
    });
  }
  return out;
}
