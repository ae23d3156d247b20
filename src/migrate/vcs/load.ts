// Read main.cf, the types files it includes (relative to its directory) and any given with
// --types, then check every resource against its type definition. Missing type knowledge is a
// warning, not an error: operators often send main.cf alone, or only a fragment of it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TandemError } from '../../lib/errors.js';
import { Warnings } from '../warnings.js';
import { parseVcs } from './parser.js';
import type { TypeDef, VcsConfig } from './model.js';

export interface LoadedVcs {
  config: VcsConfig;
  types: Map<string, TypeDef>;
  /** every file read, in order */
  files: string[];
}

/** Attributes every resource has, whatever its type (VCS's resource-level built-ins). */
const BUILTIN_RESOURCE_ATTRS = new Set([
  'Critical', 'Enabled', 'ArgListValues', 'MonitorOnly', 'ResourceOwner', 'ResourceInfo', 'ComputeStats', 'TriggerPath',
  'TriggersEnabled', 'ResourceRecipients', 'ContainerInfo', 'Path', 'Probed', 'State', 'Signaled', 'Start', 'Flags',
  // static type attributes that may appear overridden in a resource block
  'MonitorInterval', 'OfflineMonitorInterval', 'RestartLimit', 'ToleranceLimit', 'ConfInterval', 'OnlineRetryLimit',
  'OnlineWaitLimit', 'OfflineWaitLimit', 'CleanRetryLimit', 'FaultOnMonitorTimeouts', 'LevelTwoMonitorFreq',
  'MonitorTimeout', 'OnlineTimeout', 'OfflineTimeout', 'CleanTimeout', 'ActionTimeout', 'AgentPriority',
]);

export function loadVcs(mainCf: string, extraTypes: string[], warnings: Warnings): LoadedVcs {
  const files: string[] = [];
  const config = parseFile(mainCf, files);
  if (!config.cluster && config.systems.length === 0 && config.groups.length === 0) {
    throw new TandemError('TANDEM_E_USAGE', `${mainCf} has no cluster, system or group${config.types.length > 0 ? ` (it defines resource types: ${config.types.slice(0, 3).map((t) => t.name).join(', ')}${config.types.length > 3 ? ', …' : ''})` : ''}: it is not a main.cf`, {
      hint: config.types.length > 0 ? `give it with --types, and the cluster's main.cf with --main-cf` : 'give the main.cf of the VCS cluster (/etc/VRTSvcs/conf/config/main.cf)',
      details: { file: mainCf },
    });
  }
  const types = new Map<string, TypeDef>();
  const addTypes = (defs: TypeDef[]): void => {
    for (const t of defs) types.set(t.name, t);
  };
  addTypes(config.types);
  for (const inc of config.includes) {
    const path = resolve(dirname(mainCf), inc.path);
    if (!existsSync(path)) {
      warnings.add('missing-include', inc.path, `included file ${inc.path} was not found next to main.cf; resource types it defines are checked only if given with --types`, inc.pos);
      continue;
    }
    addTypes(parseFile(path, files).types);
  }
  for (const path of extraTypes) addTypes(parseFile(path, files).types);
  checkResources(config, types, warnings);
  return { config, types, files };
}

function parseFile(path: string, files: string[]): VcsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `cannot read ${path}: ${(err as Error).message}`, { hint: 'check the path given on the command line' });
  }
  files.push(path);
  return parseVcs(text.replace(/^\uFEFF/, ''), path);
}

function checkResources(config: VcsConfig, types: Map<string, TypeDef>, warnings: Warnings): void {
  if (types.size === 0) return;
  for (const g of config.groups) {
    for (const r of g.resources) {
      const type = types.get(r.type);
      if (!type) {
        warnings.add('unknown-type', r.name, `resource type ${r.type} is not defined in any types file read; its attributes are taken as written`, r.pos);
        continue;
      }
      for (const a of r.attrs) {
        const def = type.attrs.find((x) => x.name === a.name);
        if (!def) {
          if (!BUILTIN_RESOURCE_ATTRS.has(a.name)) warnings.add('unknown-attribute', `${r.name}.${a.name}`, `attribute ${a.name} is not defined by type ${r.type}`, a.pos);
          continue;
        }
        const wantBraces = def.dimension !== 'scalar';
        if (wantBraces !== (a.value.kind !== 'scalar')) {
          warnings.add('unknown-attribute', `${r.name}.${a.name}`, `attribute ${a.name} of type ${r.type} is a ${def.dimension} but was given ${a.value.kind === 'scalar' ? 'a single value' : 'a { } value'}`, a.pos);
        }
      }
    }
  }
}
