import { ControlClient } from '../../daemon/control-client.js';
import type { TandemEvent } from '../../daemon/events.js';
import { controlSocketPath } from '../../lib/env.js';
import { TandemCommand } from '../base.js';

export default class Events extends TandemCommand {
  static override description = 'print one line per state change until interrupted (--json: one JSON object per line)';
  static override examples = ['<%= config.bin %> events --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(Events);
    const client = new ControlClient(controlSocketPath(this.envFrom(flags)));
    const json = this.jsonEnabled();
    await new Promise<void>((resolve, reject) => {
      void client.subscribe(
        (event) => process.stdout.write((json ? JSON.stringify(event) : renderEvent(event as TandemEvent)) + '\n'),
        (err) => (err ? reject(err) : resolve()),
      ).catch(reject);
    });
  }
}

function renderEvent(e: TandemEvent): string {
  const { time, kind, resource, ...rest } = e;
  const fields = Object.entries(rest).map(([k, v]) => `${k}:${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [time, kind, resource, ...fields].join(' ');
}
