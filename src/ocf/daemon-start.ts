// Starting tandemd from the agent, for a start action that finds it not running (killed, crashed,
// or never started after a reboot). Under systemd the unit is started (it becomes active only once
// tandemd answers); without systemd the daemon is started directly, in its own session, with the
// agent's configuration and run directories and its log beside the control socket. Either way the
// start returns once the control socket answers, or fails with the reason.
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '../daemon/control-client.js';
import { controlSocketPath } from '../lib/env.js';
import { TandemError } from '../lib/errors.js';
import type { AgentParams } from './params.js';

export const SYSTEMD_UNIT = 'tandemd.service';

/** How the daemon was started, for the agent's log. */
export async function startTandemd(p: AgentParams, deadlineMs: number): Promise<string> {
  const until = Date.now() + deadlineMs;
  let how: string;
  if (existsSync('/run/systemd/system')) {
    const r = await execa('systemctl', ['start', SYSTEMD_UNIT], { reject: false, stdin: 'ignore', timeout: Math.max(1, until - Date.now()) });
    if (r.exitCode !== 0) {
      throw new TandemError('TANDEM_E_DAEMON', `systemctl start ${SYSTEMD_UNIT} failed: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`, {
        hint: `see journalctl -u ${SYSTEMD_UNIT}`,
      });
    }
    how = `systemctl start ${SYSTEMD_UNIT}`;
  } else {
    how = spawnDaemon(p);
  }
  const control = new ControlClient(controlSocketPath({ configDir: p.configDir, node: p.node, runDir: p.runDir }));
  for (;;) {
    const answered = await control.call('ping', { deadlineMs: 1000 }).then(() => true, () => false);
    if (answered) return how;
    if (Date.now() > until) {
      throw new TandemError('TANDEM_E_TIMEOUT', `tandemd was started (${how}) but its control socket did not answer in time`, {
        hint: `see ${logFile(p)}${how.startsWith('systemctl') ? ` or journalctl -u ${SYSTEMD_UNIT}` : ''}`,
      });
    }
    await sleep(100);
  }
}

/** Where a daemon started without systemd writes its log. */
export function logFile(p: AgentParams): string {
  return join(p.runDir, `${p.node}.tandemd.log`);
}

function spawnDaemon(p: AgentParams): string {
  mkdirSync(p.runDir, { recursive: true, mode: 0o700 });
  // the CLI beside the program the agent runs (bin/tandem.js, also for bin/tandem-ocf.js) under node, or the single binary
  const entry = process.argv[1];
  const script = entry && /\.[cm]?js$/.test(entry) ? [basename(entry) === 'tandem-ocf.js' ? join(dirname(entry), 'tandem.js') : entry] : [];
  const log = openSync(logFile(p), 'a');
  const child = spawn(process.execPath, [...script, 'daemon'], {
    detached: true, stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8',
      TANDEM_NODE: p.node, TANDEM_CONFIG_DIR: p.configDir, TANDEM_RUN_DIR: p.runDir, TANDEM_LOG_LEVEL: 'info',
    },
  });
  closeSync(log);
  child.unref();
  return `started tandemd directly (pid ${child.pid}, log ${logFile(p)})`;
}
