// Pacemaker's CIB through its own tools (cibadmin, crm_attribute), each call bounded by a
// deadline. The same code works on a live cluster and on a CIB file (CIB_file in `env`), which is
// how the scheduler tests drive it. Transient CIB errors are retried until the deadline.
import { execa } from 'execa';
import { TandemError } from '../lib/errors.js';

export interface CibOptions {
  /** extra environment for the tools, e.g. { CIB_file: '/tmp/cib.xml' } */
  env?: Record<string, string>;
  /** bound on one operation including its retries */
  deadlineMs?: number;
}

/**
 * Pacemaker exit codes worth another try: 103 update older than the CIB (a concurrent change), 124 the
 * tool's own timeout. Not 102 (no CIB connection): outside a running cluster it would only add delay.
 */
const RETRYABLE = new Set([103, 124]);
const RETRY_PAUSE_MS = 500;

export interface ToolResult { exitCode: number; stdout: string; stderr: string }

export class Cib {
  readonly env: Record<string, string>;
  readonly deadlineMs: number;

  constructor(options: CibOptions = {}) {
    this.env = options.env ?? {};
    this.deadlineMs = options.deadlineMs ?? 30_000;
  }

  /** XML of the elements matching an XPath, or null when none does. */
  async query(xpath: string, extra: string[] = []): Promise<string | null> {
    const r = await this.tool('cibadmin', ['--query', '--xpath', xpath, ...extra], [0, 105]);
    return r.exitCode === 105 ? null : r.stdout;
  }

  async create(section: 'constraints' | 'resources', xml: string): Promise<void> {
    await this.tool('cibadmin', ['--create', '-o', section, '-X', xml], [0]);
  }

  async replace(xpath: string, xml: string): Promise<void> {
    await this.tool('cibadmin', ['--replace', '--xpath', xpath, '-X', xml], [0]);
  }

  /** Delete the element with this tag and id; deleting one that does not exist succeeds. */
  async deleteById(section: 'constraints' | 'resources', tag: string, id: string): Promise<void> {
    await this.tool('cibadmin', ['--delete', '-o', section, '-X', `<${tag} id="${id}"/>`], [0, 105]);
  }

  /** Publish (or with null remove) this node's promotion score for a clone instance. */
  async setPromotionScore(instance: string, score: number | null, node?: string): Promise<void> {
    const args = [`--promotion=${instance}`, '--lifetime', 'reboot', ...(node ? ['--node', node] : [])];
    if (score === null) await this.tool('crm_attribute', [...args, '--delete'], [0, 105]);
    else await this.tool('crm_attribute', [...args, '--update', String(score)], [0]);
  }

  async getPromotionScore(instance: string, node?: string): Promise<number | null> {
    const args = [`--promotion=${instance}`, '--lifetime', 'reboot', '--query', '--quiet', ...(node ? ['--node', node] : [])];
    const r = await this.tool('crm_attribute', args, [0, 105, 6]);
    const n = Number.parseInt(r.stdout.trim(), 10);
    return r.exitCode === 0 && Number.isFinite(n) ? n : null;
  }

  /** Run a Pacemaker tool; exit codes in `ok` are answers, retryable ones are retried, others throw. */
  async tool(cmd: string, args: string[], ok: number[]): Promise<ToolResult> {
    const until = Date.now() + this.deadlineMs;
    for (;;) {
      const left = until - Date.now();
      const r = await execa(cmd, args, {
        env: this.env, reject: false, stdin: 'ignore', timeout: Math.max(left, 1), killSignal: 'SIGKILL',
      });
      const result = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
      if (ok.includes(result.exitCode)) return result;
      if (r.timedOut || !RETRYABLE.has(result.exitCode) || Date.now() + RETRY_PAUSE_MS >= until) {
        throw new TandemError('TANDEM_E_PACEMAKER', `${cmd} ${args.join(' ')} failed (${r.timedOut ? 'timed out' : `exit ${result.exitCode}`}): ${result.stderr.trim() || result.stdout.trim()}`, {
          hint: 'check that Pacemaker is running on this node (crm_mon -1) and that this node has quorum',
          details: { command: cmd, args, exitCode: result.exitCode },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }
}
