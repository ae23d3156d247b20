// Makes the repository's ocf/replica visible to Pacemaker's tools as ocf:tandem:replica (pcs,
// crmsh and crm_resource look agents up under /usr/lib/ocf/resource.d) and removes it afterwards
// unless it was already there.
import { existsSync, mkdirSync, rmdirSync, symlinkSync, unlinkSync, readdirSync } from 'node:fs';
import { REPO_ROOT } from './cli.js';

export const OCF_AGENT_DIR = '/usr/lib/ocf/resource.d/tandem';
export const OCF_AGENT_PATH = `${OCF_AGENT_DIR}/replica`;
export const REPO_AGENT = `${REPO_ROOT}ocf/replica`;

/** Returns the undo function. */
export function installAgent(): () => void {
  if (existsSync(OCF_AGENT_PATH)) return () => undefined;
  const createdDir = !existsSync(OCF_AGENT_DIR);
  mkdirSync(OCF_AGENT_DIR, { recursive: true });
  symlinkSync(REPO_AGENT, OCF_AGENT_PATH);
  return () => {
    unlinkSync(OCF_AGENT_PATH);
    if (createdDir && readdirSync(OCF_AGENT_DIR).length === 0) rmdirSync(OCF_AGENT_DIR);
  };
}
