// The syntax tree of a VCS main.cf / types.cf, positions kept so every later message can point
// back at the input. Values keep their exact text (quoted strings byte for byte).

export interface Pos {
  file: string;
  line: number;
  col: number;
}

export interface Scalar {
  kind: 'scalar';
  text: string;
  quoted: boolean;
  pos: Pos;
}

/** `{ a, b }` — a vector or keylist */
export interface List {
  kind: 'list';
  items: Scalar[];
  pos: Pos;
}

/** `{ k = v, k2 = v2 }` — an association */
export interface Assoc {
  kind: 'assoc';
  entries: { key: Scalar; value: Scalar }[];
  pos: Pos;
}

export type Value = Scalar | List | Assoc;

/** `Name = value` or, localized, `Name @system = value` */
export interface Attr {
  name: string;
  system?: string;
  value: Value;
  pos: Pos;
}

/** cluster, remotecluster, heartbeat and system blocks: a name and attributes */
export interface Block {
  name: string;
  attrs: Attr[];
  pos: Pos;
}

export interface Resource {
  type: string;
  name: string;
  group: string;
  attrs: Attr[];
  pos: Pos;
}

/** `parent requires child` */
export interface ResourceDep {
  parent: string;
  child: string;
  pos: Pos;
}

export type DepCategory = 'online' | 'offline';
export type DepLocation = 'local' | 'global' | 'remote';
export type DepRigidity = 'soft' | 'firm' | 'hard';

/**
 * `requires group child category location [rigidity]`, inside the parent group. hacf writes
 * `offline local` without a rigidity (the only offline dependency VCS has).
 */
export interface GroupDep {
  parent: string;
  child: string;
  category: DepCategory;
  location: DepLocation;
  rigidity?: DepRigidity;
  pos: Pos;
}

/** `parent requires atleast N from child1, child2, …` (VCS 7): the parent needs N of the children. */
export interface AtLeastDep {
  parent: string;
  min: number;
  children: string[];
  pos: Pos;
}

export interface Group {
  name: string;
  attrs: Attr[];
  resources: Resource[];
  resourceDeps: ResourceDep[];
  atLeastDeps: AtLeastDep[];
  groupDeps: GroupDep[];
  pos: Pos;
}

export type AttrDimension = 'scalar' | 'vector' | 'keylist' | 'assoc';

export interface TypeAttr {
  name: string;
  dataType: string;
  dimension: AttrDimension;
  static: boolean;
  temp: boolean;
  default?: Value;
  pos: Pos;
}

export interface TypeDef {
  name: string;
  attrs: TypeAttr[];
  pos: Pos;
}

export interface Include {
  path: string;
  pos: Pos;
}

export interface VcsConfig {
  file: string;
  includes: Include[];
  cluster?: Block;
  remoteClusters: Block[];
  /** heartbeat blocks, named by their type (Icmp, IcmpS) */
  heartbeats: Block[];
  systems: Block[];
  groups: Group[];
  types: TypeDef[];
}

export function formatPos(pos: Pos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** The value of an attribute as one line of main.cf text, for reports. */
export function valueText(value: Value): string {
  const s = (x: Scalar): string => (x.quoted ? JSON.stringify(x.text) : x.text);
  if (value.kind === 'scalar') return s(value);
  if (value.kind === 'list') return value.items.length === 0 ? '{ }' : `{ ${value.items.map(s).join(', ')} }`;
  return `{ ${value.entries.map((e) => `${s(e.key)} = ${s(e.value)}`).join(', ')} }`;
}

/** The global (not per-system) value of an attribute, if set. */
export function attrValue(attrs: Attr[], name: string): Value | undefined {
  return attrs.find((a) => a.name === name && a.system === undefined)?.value;
}

export function scalarAttr(attrs: Attr[], name: string): string | undefined {
  const v = attrValue(attrs, name);
  return v?.kind === 'scalar' ? v.text : undefined;
}
