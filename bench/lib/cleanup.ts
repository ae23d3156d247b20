// Undo everything the benchmark set up (daemons, namespaces, files), in reverse order, also when
// it is interrupted: a benchmark must leave the machine as it found it.
export class Cleanup {
  private readonly steps: Array<{ what: string; undo: () => unknown }> = [];
  private running: Promise<void> | null = null;

  /** Register an undo step; the returned function runs it now and forgets it. */
  add(what: string, undo: () => unknown): () => Promise<void> {
    const step = { what, undo };
    this.steps.push(step);
    return async () => {
      const at = this.steps.indexOf(step);
      if (at >= 0) this.steps.splice(at, 1);
      await runStep(step);
    };
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) await runStep(this.steps.pop()!);
    })();
    return this.running;
  }

  /** Ctrl-C, kill and a closed terminal clean up, then exit with the conventional status. */
  onSignals(): void {
    const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
    for (const [signal, code] of Object.entries(codes)) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: cleaning up\n`);
        void this.run().finally(() => process.exit(code));
      });
    }
  }
}

async function runStep(step: { what: string; undo: () => unknown }): Promise<void> {
  try {
    await step.undo();
  } catch (err) {
    process.stderr.write(`cleanup: ${step.what} failed: ${(err as Error).message}\n`);
  }
}
