// The configuration loader: the only code that reads resource INI files.
//
//   loadConfig(dir, {node?})           every *.ini / *.conf file of dir → ClusterConfig
//                                      (resources sorted by file, warnings for unsafe settings)
//   loadResource(dir, name, {node?})   one resource; TANDEM_E_NOT_FOUND if no file defines it,
//                                      TANDEM_E_CONFIG if `node` is given and is not one of its nodes
//   findResource(config, name, node?)  the same lookup on an already loaded ClusterConfig
//   renderResourceIni(resource)        (render.ts) a ResourceConfig as INI that loads back the same
//
// Both are synchronous and throw one TandemError('TANDEM_E_CONFIG') listing every problem of the
// directory (details.errors: [{file, line, section, key, value, allowed, message, hint}]), so a
// broken file is reported in full rather than one line at a time. A resource that does not name
// the local node is fine until a caller asks for that resource. The schema is in schema.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseIni } from './ini-file.js';
import type { ClusterConfig, ResourceConfig } from './model.js';
import { configError, problemAt, type ConfigProblem } from './problems.js';
import { checkDirectory } from './directory-checks.js';
import { readResourceFile } from './resource-file.js';
import { warningsFor } from './warnings.js';
import { TandemError } from '../lib/errors.js';

export interface LoadOptions {
  /** the node this invocation acts as (the caller resolves it from --node / TANDEM_NODE / host name) */
  node?: string;
}

const CONFIG_FILE = /^[^.].*\.(ini|conf)$/;
/** A resource file is a few hundred bytes; anything this large is not one. */
const MAX_FILE_BYTES = 1024 * 1024;

export function loadConfig(dir: string, opts: LoadOptions = {}): ClusterConfig {
  const files = configFiles(dir);
  const problems: ConfigProblem[] = [];
  const resources: ResourceConfig[] = [];
  for (const file of files) {
    const text = readText(file, problems);
    if (text === null) continue;
    const resource = readResourceFile(parseIni(file, text, problems), problems);
    if (resource) resources.push(resource);
  }
  checkDirectory(resources, problems);
  const warnings = warningsFor(resources);
  if (problems.length > 0) throw configError(dir, inFileOrder(problems), warnings);
  return { dir, files, localNode: opts.node ?? null, resources, warnings };
}

export function loadResource(dir: string, name: string, opts: LoadOptions = {}): ResourceConfig {
  return findResource(loadConfig(dir, opts), name, opts.node);
}

/** A resource of a loaded configuration, with the same errors as loadResource. */
export function findResource(config: ClusterConfig, name: string, node?: string): ResourceConfig {
  const dir = config.dir;
  const resource = config.resources.find((r) => r.name === name);
  if (!resource) {
    throw new TandemError('TANDEM_E_NOT_FOUND', `no resource '${name}' in ${dir}`, {
      hint: `resources defined there: ${config.resources.map((r) => r.name).join(', ') || 'none'}`,
      details: { dir, resource: name },
    });
  }
  if (node !== undefined && !resource.nodes.some((n) => n.name === node)) {
    throw new TandemError('TANDEM_E_CONFIG', `${resource.file}: resource '${name}' has no [node.${node}] section; its nodes: ${resource.nodes.map((n) => n.name).join(', ')}`, {
      hint: `run as one of its nodes (--node / TANDEM_NODE), or add [node.${node}] with id and address`,
      details: { file: resource.file, resource: name, node },
    });
  }
  return resource;
}

function inFileOrder(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
}

function configFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    names = readdirSync(dir, { withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => e.name);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new TandemError('TANDEM_E_CONFIG', `configuration directory ${dir} ${why}`, {
      hint: 'create it with one <resource>.ini per resource, or point --config-dir / TANDEM_CONFIG_DIR at it',
      details: { dir },
    });
  }
  return names.filter((n) => CONFIG_FILE.test(n)).sort().map((n) => join(dir, n));
}

function readText(file: string, problems: ConfigProblem[]): string | null {
  try {
    const bytes = statSync(file).size;
    if (bytes > MAX_FILE_BYTES) {
      problems.push(problemAt({ file, line: null, section: null }, `is ${bytes} bytes; allowed: at most ${MAX_FILE_BYTES} bytes for a resource file`, { hint: 'keep only resource INI files in the configuration directory' }));
      return null;
    }
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(problemAt({ file, line: null, section: null }, `cannot be read: ${(err as Error).message}`, { hint: 'check the file permissions (tandem usually runs as root)' }));
    return null;
  }
}
