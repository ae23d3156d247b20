// OCF 1.1 exit codes (resource-agent-api §"Exit codes"), the one table the agent returns from.
export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
} as const;

export type OcfCode = (typeof OCF)[keyof typeof OCF];

/** An action's answer: the exit code and, for anything but plain success, a reason for crm_mon. */
export interface OcfResult {
  rc: OcfCode;
  reason?: string;
  /** what the action prints on stdout (meta-data) */
  stdout?: string;
}

export function ocfResult(rc: OcfCode, reason?: string): OcfResult {
  return reason === undefined ? { rc } : { rc, reason };
}

/** Thrown inside an action to end it with an OCF code and a reason. */
export class OcfExit extends Error {
  constructor(readonly rc: OcfCode, readonly reason: string) {
    super(reason);
  }
}
