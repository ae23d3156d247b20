// Every failure a user can see carries a stable code, a message and a hint of what to do.
// Codes never change meaning once released; scripts and the OCF agent match on them.

export const ERROR_CODES = {
  TANDEM_E_USAGE: { exit: 2, summary: 'bad command-line usage' },
  TANDEM_E_CONFIG: { exit: 3, summary: 'configuration is invalid' },
  TANDEM_E_NOT_FOUND: { exit: 4, summary: 'named object does not exist' },
  TANDEM_E_META: { exit: 5, summary: 'metadata is missing, corrupt or foreign' },
  TANDEM_E_META_SPACE: { exit: 5, summary: 'metadata area is too small' },
  TANDEM_E_IO: { exit: 6, summary: 'I/O error on a disk or file' },
  TANDEM_E_NATIVE: { exit: 6, summary: 'native addon is missing or failed' },
  TANDEM_E_DAEMON: { exit: 7, summary: 'daemon is not reachable' },
  TANDEM_E_TIMEOUT: { exit: 8, summary: 'operation did not finish before its deadline' },
  TANDEM_E_STATE: { exit: 9, summary: 'operation not allowed in the current state' },
  TANDEM_E_PROTOCOL: { exit: 10, summary: 'peer or client broke the protocol' },
  TANDEM_E_AUTH: { exit: 11, summary: 'peer authentication failed' },
  TANDEM_E_PARSE: { exit: 12, summary: 'input file could not be parsed' },
  TANDEM_E_PACEMAKER: { exit: 13, summary: 'Pacemaker tool failed' },
  TANDEM_E_BUSY: { exit: 14, summary: 'a device is in use (open or mounted)' },
  TANDEM_E_FRONTEND: { exit: 15, summary: 'the block-device frontend could not be attached' },
  TANDEM_E_INTERNAL: { exit: 70, summary: 'internal error (a bug): please report it' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface TandemErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured details for --json output (file, line, key, …). */
  details?: Record<string, unknown>;
}

export class TandemError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: TandemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TandemError';
    this.code = code;
    this.hint = options.hint ?? defaultHint(code);
    this.details = options.details ?? {};
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

function defaultHint(code: ErrorCode): string {
  switch (code) {
    case 'TANDEM_E_USAGE': return "run the command with --help to see its arguments and flags";
    case 'TANDEM_E_CONFIG': return "fix the file named above, then run 'tandem config check'";
    case 'TANDEM_E_DAEMON': return "start the daemon with 'tandem daemon' (or 'systemctl start tandemd')";
    case 'TANDEM_E_INTERNAL': return 'please report this with the output of tandem status --json';
    default: return "see 'tandem --help' and the README";
  }
}

/** Wrap anything thrown into a TandemError so every exit path renders the same way. */
export function toTandemError(err: unknown): TandemError {
  if (err instanceof TandemError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return new TandemError('TANDEM_E_IO', `${e.syscall} failed: ${e.message}`, {
      hint: 'check that the path exists and that you have permission (tandem usually runs as root)',
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TandemError('TANDEM_E_INTERNAL', message, { cause: err });
}
