// Assertions on invariants (TigerBeetle style): a failed assertion is a bug in Tandem, never a user
// error, so it throws an internal error that names the broken invariant.
import { TandemError } from './errors.js';

export function assert(condition: unknown, invariant: string): asserts condition {
  if (!condition) throw new TandemError('TANDEM_E_INTERNAL', `invariant violated: ${invariant}`);
}

export function assertNever(value: never, what: string): never {
  throw new TandemError('TANDEM_E_INTERNAL', `unexpected ${what}: ${String(value)}`);
}
