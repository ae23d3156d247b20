// What the migration could not map, or mapped only approximately. Every warning lands in
// report.md and in the --json summary; none is only logged.
import { formatPos, type Pos } from './vcs/model.js';

export type WarningCode =
  | 'unknown-type'
  | 'unknown-attribute'
  | 'missing-include'
  | 'not-mapped'
  | 'approximate'
  | 'placeholder'
  | 'data-layer'
  | 'replication'
  | 'global-cluster'
  | 'fencing'
  | 'per-system'
  | 'secret'
  | 'report-input';

export interface MigrationWarning {
  code: WarningCode;
  /** the VCS/VVR object it is about: a resource, group, RVG, attribute… */
  subject: string;
  message: string;
  /** file:line:col of the construct, when it came from a file */
  at?: string;
}

export class Warnings {
  readonly list: MigrationWarning[] = [];

  add(code: WarningCode, subject: string, message: string, pos?: Pos): void {
    this.list.push({ code, subject, message, ...(pos ? { at: formatPos(pos) } : {}) });
  }
}
