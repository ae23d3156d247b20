// Which frontend a volume gets: the resource's `frontend` setting, where `auto` is the first kind
// this node can run (the kernel NBD driver, else nbdfuse + loop) and `none` is no block device.
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
