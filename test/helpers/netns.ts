// Network namespaces as separate hosts for tests: each node gets its own namespace with a veth
// into a bridge, an address in a private /24 that exists only inside this machine, and the
// ability to have its link cut (ip link set down) or blackholed (nftables drop).
import { execa } from 'execa';
import { randomInt } from 'node:crypto';

export interface NetHost {
  name: string;
  ns: string;
  address: string;
  /** prefix for running a command inside the namespace */
  wrap: string[];
}

export class TestNetwork {
  readonly hosts = new Map<string, NetHost>();
  private readonly id = randomInt(0x1000, 0xffff).toString(16);
  private readonly bridge = `tbr${this.id}`;
  private readonly subnet = `10.${200 + randomInt(0, 50)}.${randomInt(0, 255)}`;

  static available(): boolean {
    return process.getuid?.() === 0;
  }

  async create(names: string[]): Promise<void> {
    await sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    await sh('ip', ['link', 'set', this.bridge, 'up']);
    for (const [i, name] of names.entries()) {
      const ns = `tns${this.id}${name}`;
      const host = `tv${this.id}${i}`;
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await sh('ip', ['link', 'set', host, 'master', this.bridge, 'up']);
      const address = `${this.subnet}.${i + 1}`;
      await sh('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      this.hosts.set(name, { name, ns, address, wrap: ['ip', 'netns', 'exec', ns] });
    }
  }

  /** Cut a host off (its interface goes down: peers see a broken link). */
  async cut(name: string): Promise<void> {
    await sh('ip', ['-n', this.host(name).ns, 'link', 'set', 'eth0', 'down']);
  }

  async heal(name: string): Promise<void> {
    await sh('ip', ['-n', this.host(name).ns, 'link', 'set', 'eth0', 'up']);
  }

  async destroy(): Promise<void> {
    for (const h of this.hosts.values()) await sh('ip', ['netns', 'del', h.ns]).catch(() => undefined);
    await sh('ip', ['link', 'del', this.bridge]).catch(() => undefined);
    this.hosts.clear();
  }

  host(name: string): NetHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no test host ${name}`);
    return h;
  }
}

async function sh(cmd: string, args: string[]): Promise<void> {
  await execa(cmd, args, { stdin: 'ignore' });
}
