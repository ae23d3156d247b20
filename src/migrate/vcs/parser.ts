// Recursive-descent parser of main.cf and *types.cf (docs/MIGRATION.md §1): include, cluster,
// remotecluster, heartbeat, system, group, resources, requires, type definitions. Anything it
// does not recognise is an error naming file, line and column — never skipped.
import { parseError, tokenize, type Token } from './lexer.js';
import type {
  AtLeastDep, Assoc, Attr, AttrDimension, Block, DepCategory, DepLocation, DepRigidity, Group, List, Pos, Scalar,
  TypeAttr, TypeDef, Value, VcsConfig,
} from './model.js';

const CATEGORIES: readonly DepCategory[] = ['online', 'offline'];
const LOCATIONS: readonly DepLocation[] = ['local', 'global', 'remote'];
const RIGIDITIES: readonly DepRigidity[] = ['soft', 'firm', 'hard'];
const DATA_TYPES = new Set(['str', 'i18nstr', 'int', 'boolean', 'float', 'keylist']);

export function parseVcs(text: string, file: string): VcsConfig {
  return new Parser(tokenize(text, file), file).parseFile();
}

class Parser {
  private i = 0;
  private group: Group | undefined;
  private readonly config: VcsConfig;

  constructor(private readonly tokens: Token[], file: string) {
    this.config = { file, includes: [], remoteClusters: [], heartbeats: [], systems: [], groups: [], types: [] };
  }

  parseFile(): VcsConfig {
    while (this.peek().kind !== 'eof') {
      if (this.isPunct(';')) this.next(); // some hand-written files end statements with ';'
      else this.statement();
    }
    this.checkReferences();
    return this.config;
  }

  private statement(): void {
    const t = this.peek();
    if (t.kind !== 'word') throw this.unexpected(t, 'a statement (include, cluster, system, group, type, a resource or requires)');
    switch (t.text) {
      case 'include': {
        this.next();
        const path = this.expectKind('string', 'a quoted file name after include');
        this.config.includes.push({ path: path.text, pos: t.pos });
        return;
      }
      case 'cluster':
        if (this.config.cluster) throw parseError(t.pos, `second cluster definition (first at line ${this.config.cluster.pos.line})`, 'a main.cf defines exactly one cluster');
        this.config.cluster = this.block();
        return;
      case 'remotecluster':
        this.config.remoteClusters.push(this.block());
        return;
      case 'heartbeat':
        this.config.heartbeats.push(this.block());
        return;
      case 'system':
        this.config.systems.push(this.block());
        return;
      case 'group':
        this.groupStatement();
        return;
      case 'type':
        this.config.types.push(this.typeDef());
        return;
      case 'requires':
        this.groupDep();
        return;
      default:
        this.resourceOrDep();
    }
  }

  private block(): Block {
    const kw = this.next();
    const name = this.name(`a name after ${kw.text}`);
    return { name: name.text, attrs: this.attrs(), pos: kw.pos };
  }

  private groupStatement(): void {
    const kw = this.next();
    const name = this.name('a group name');
    if (this.config.groups.some((g) => g.name === name.text)) throw parseError(name.pos, `group ${name.text} is defined twice`, 'group names are unique in a cluster');
    this.group = { name: name.text, attrs: this.attrs(), resources: [], resourceDeps: [], atLeastDeps: [], groupDeps: [], pos: kw.pos };
    this.config.groups.push(this.group);
  }

  private groupDep(): void {
    const kw = this.next();
    const group = this.currentGroup(kw, 'requires group');
    this.expectWord('group', "'group' after requires (resource dependencies are written 'parent requires child')");
    const child = this.name('the name of the group this group requires');
    const category = this.oneOf(CATEGORIES, 'dependency category');
    const where = this.peek().pos.line;
    const location = this.oneOf(LOCATIONS, 'dependency location');
    // the rigidity is optional (hacf writes `offline local` without one); a word after the
    // location on the same line must be one, anything on the next line is the next statement
    const next = this.peek();
    const rigidity = next.kind === 'word' && next.pos.line === where ? this.oneOf(RIGIDITIES, 'dependency rigidity') : undefined;
    group.groupDeps.push({ parent: group.name, child: child.text, category, location, ...(rigidity ? { rigidity } : {}), pos: kw.pos });
  }

  private resourceOrDep(): void {
    const first = this.next();
    const second = this.peek();
    if (second.kind === 'word' && second.text === 'requires') {
      this.next();
      const group = this.currentGroup(first, 'a resource dependency');
      const child = this.name('the resource that is required');
      if (child.text === 'atleast' && child.kind === 'word' && this.peek().kind === 'word' && /^\d+$/.test(this.peek().text)) {
        group.atLeastDeps.push(this.atLeast(first, child));
        return;
      }
      group.resourceDeps.push({ parent: first.text, child: child.text, pos: first.pos });
      return;
    }
    const name = this.peek();
    if (name.kind !== 'word' && name.kind !== 'string') throw this.unexpected(name, `a resource name after the type ${first.text}, or 'requires'`);
    this.next();
    const group = this.currentGroup(first, `resource ${name.text}`);
    const attrs = this.attrs();
    group.resources.push({ type: first.text, name: name.text, group: group.name, attrs, pos: first.pos });
  }

  /** after `parent requires atleast`: `N from child [, child]…` */
  private atLeast(parent: Token, kw: Token): AtLeastDep {
    const min = Number(this.next().text);
    this.expectWord('from', "'from' after requires atleast N");
    const children = [this.name('a resource name after from').text];
    while (this.isPunct(',')) {
      this.next();
      children.push(this.name('a resource name after ,').text);
    }
    if (min < 1 || min > children.length) throw parseError(kw.pos, `requires atleast ${min} from ${children.length} resource(s) can never be met`, 'N must be between 1 and the number of resources listed');
    return { parent: parent.text, min, children, pos: parent.pos };
  }

  private currentGroup(at: Token, what: string): Group {
    if (!this.group) throw parseError(at.pos, `${what} appears before any group statement`, 'resources and dependencies belong to the group statement above them');
    return this.group;
  }

  /** `( Name [@sys] = value … )` */
  private attrs(): Attr[] {
    this.expectPunct('(');
    const attrs: Attr[] = [];
    while (!this.isPunct(')')) {
      const name = this.name("an attribute name or ')'");
      let system: string | undefined;
      if (this.isPunct('@')) {
        this.next();
        system = this.name('a system (or cluster) name after @').text;
      }
      this.expectPunct('=');
      attrs.push({ name: name.text, ...(system === undefined ? {} : { system }), value: this.value(), pos: name.pos });
      if (this.isPunct(';')) this.next();
    }
    this.next();
    return attrs;
  }

  private value(): Value {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '{') return this.braced();
    return this.scalar('a value (word, number, "string" or { … })');
  }

  private braced(): List | Assoc {
    const open = this.next();
    if (this.isPunct('}')) {
      this.next();
      return { kind: 'list', items: [], pos: open.pos };
    }
    const first = this.scalar('a list element or association key');
    if (this.isPunct('=')) return this.assocRest(open.pos, first);
    const items = [first];
    while (this.isPunct(',')) {
      this.next();
      items.push(this.scalar('a list element after ,'));
    }
    this.expectPunct('}');
    return { kind: 'list', items, pos: open.pos };
  }

  private assocRest(pos: Pos, firstKey: Scalar): Assoc {
    const entries: Assoc['entries'] = [];
    let key = firstKey;
    for (;;) {
      this.expectPunct('=');
      entries.push({ key, value: this.scalar(`a value for key ${key.text}`) });
      if (!this.isPunct(',')) break;
      this.next();
      key = this.scalar('an association key after ,');
    }
    this.expectPunct('}');
    return { kind: 'assoc', entries, pos };
  }

  private scalar(what: string): Scalar {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'string') throw this.unexpected(t, what);
    this.next();
    return { kind: 'scalar', text: t.text, quoted: t.kind === 'string', pos: t.pos };
  }

  /** `type Name ( [static|temp] <datatype> Attr[[]|{}] [= default] [;] … )` */
  private typeDef(): TypeDef {
    const kw = this.next();
    const name = this.name('a type name');
    this.expectPunct('(');
    const attrs: TypeAttr[] = [];
    while (!this.isPunct(')')) {
      attrs.push(this.typeAttr());
      if (this.isPunct(';')) this.next();
    }
    this.next();
    if (this.isPunct(';')) this.next();
    return { name: name.text, attrs, pos: kw.pos };
  }

  private typeAttr(): TypeAttr {
    const start = this.peek();
    let isStatic = false;
    let isTemp = false;
    while (this.peek().kind === 'word' && (this.peek().text === 'static' || this.peek().text === 'temp')) {
      if (this.next().text === 'static') isStatic = true;
      else isTemp = true;
    }
    const dataType = this.name('an attribute data type (str, int, boolean, float, keylist)');
    if (!DATA_TYPES.has(dataType.text)) throw parseError(dataType.pos, `unknown attribute data type '${dataType.text}'`, 'types.cf data types are str, int, boolean, float and keylist');
    const name = this.name('an attribute name');
    let dimension: AttrDimension = dataType.text === 'keylist' ? 'keylist' : 'scalar';
    if (this.isPunct('[')) {
      this.next();
      this.expectPunct(']');
      dimension = 'vector';
    } else if (this.isPunct('{')) {
      this.next();
      this.expectPunct('}');
      dimension = 'assoc';
    }
    let def: Value | undefined;
    if (this.isPunct('=')) {
      this.next();
      def = this.value();
    }
    return { name: name.text, dataType: dataType.text, dimension, static: isStatic, temp: isTemp, ...(def ? { default: def } : {}), pos: start.pos };
  }

  /** Every resource dependency names resources that exist (hacf refuses dangling ones too). */
  private checkReferences(): void {
    const names = new Map<string, Pos>();
    for (const g of this.config.groups) {
      for (const r of g.resources) {
        const prev = names.get(r.name);
        if (prev) throw parseError(r.pos, `resource ${r.name} is defined twice (first at line ${prev.line})`, 'resource names are unique in the whole cluster');
        names.set(r.name, r.pos);
      }
    }
    for (const g of this.config.groups) {
      const edges = [...g.resourceDeps, ...g.atLeastDeps.flatMap((a) => a.children.map((child) => ({ parent: a.parent, child, pos: a.pos })))];
      for (const d of edges) {
        for (const n of [d.parent, d.child]) {
          if (!names.has(n)) throw parseError(d.pos, `dependency '${d.parent} requires ${d.child}' names resource ${n}, which is not defined`, 'define the resource or remove the dependency line');
          if (!g.resources.some((r) => r.name === n)) {
            throw parseError(d.pos, `dependency '${d.parent} requires ${d.child}' is under group ${g.name}, but ${n} belongs to another group`, "resource dependencies link resources of one group; across groups use 'requires group' or a Proxy resource");
          }
        }
      }
    }
  }

  private oneOf<T extends string>(allowed: readonly T[], what: string): T {
    const t = this.peek();
    if (t.kind !== 'word' || !(allowed as readonly string[]).includes(t.text)) throw this.unexpected(t, `a ${what} (${allowed.join(' | ')})`);
    this.next();
    return t.text as T;
  }

  private name(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'string') throw this.unexpected(t, what);
    return this.next();
  }

  private expectKind(kind: Token['kind'], what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw this.unexpected(t, what);
    return this.next();
  }

  private expectWord(word: string, what: string): void {
    const t = this.peek();
    if (t.kind !== 'word' || t.text !== word) throw this.unexpected(t, what);
    this.next();
  }

  private expectPunct(p: string): void {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== p) throw this.unexpected(t, `'${p}'`);
    this.next();
  }

  private isPunct(p: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === p;
  }

  private unexpected(t: Token, expected: string): Error {
    const found = t.kind === 'eof' ? 'end of file' : t.kind === 'string' ? `"${t.text}"` : `'${t.text}'`;
    return parseError(t.pos, `expected ${expected}, found ${found}`, 'compare with the main.cf grammar (hacf -verify on the VCS side accepts the same file)');
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }
}
