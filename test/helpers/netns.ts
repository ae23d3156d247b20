// Network namespaces as separate hosts for tests: each node gets its own namespace with a veth
// into a bridge, an address in a private /24 that exists only inside this machine, and the
// ability to have its link cut (ip link set down), or its traffic with one peer blackholed
// (nftables drop).
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

  /**
   * Drop every packet between `name` and `peer` (nftables in `name`'s namespace, both ways): their
   * connections stay open and go silent, so each side finds the other lost only at its ping
   * timeout, while `name` still reaches every other host.
   */
  async block(name: string, peer: string): Promise<void> {
    const { ns } = this.host(name);
    const address = this.host(peer).address;
    await sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], [
      'table inet tandemtest {',
      '  chain in { type filter hook input priority 0; }',
      '  chain out { type filter hook output priority 0; }',
      '}',
      `add rule inet tandemtest in ip saddr ${address} drop`,
      `add rule inet tandemtest out ip daddr ${address} drop`,
    ].join('\n'));
  }

  /** Every block() of `name` ends. */
  async unblock(name: string): Promise<void> {
    await sh('ip', ['netns', 'exec', this.host(name).ns, 'nft', 'delete', 'table', 'inet', 'tandemtest']).catch(() => undefined);
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

async function sh(cmd: string, args: string[], input?: string): Promise<void> {
  await execa(cmd, args, input === undefined ? { stdin: 'ignore' } : { input });
}
