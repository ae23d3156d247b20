// Pacemaker ids share one namespace and must be XML ids; VCS names may collide across kinds
// (a group and a resource of the same name) or contain characters XML ids do not allow.
export class IdSpace {
  private readonly used = new Set<string>();

  /** A unique id from `wanted`, made XML-safe; a suffix is added on collision. */
  take(wanted: string): string {
    let base = wanted.replace(/[^A-Za-z0-9_.-]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    return id;
  }

  /** Claim an id other parts of Tandem rely on (the replica's tandem-<res>, tandem-<res>-clone). */
  reserve(id: string): void {
    if (this.used.has(id)) throw new Error(`id ${id} is already taken`);
    this.used.add(id);
  }
}
