// Undo everything the benchmark set up (daemons, namespaces, files), in reverse order, also when
// it is interrupted: a benchmark must leave the machine as it found it. Each step runs once,
// whether the code that set it up undoes it early or an interruption gets there first.
interface Step {
  what: string;
  undo: () => unknown;
  done?: Promise<void>;
}

export class Cleanup {
  private readonly steps: Step[] = [];
  /** steps their owners are undoing early: run() must not finish before they do */
  private readonly early = new Set<Promise<void>>();
  private running: Promise<void> | null = null;

  /** Register an undo step; the returned function runs it now (or waits for it) and forgets it. */
  add(what: string, undo: () => unknown): () => Promise<void> {
    const step: Step = { what, undo };
    this.steps.push(step);
    return () => {
      const at = this.steps.indexOf(step);
      if (at >= 0) this.steps.splice(at, 1);
      const done = runOnce(step);
      this.early.add(done);
      return done.finally(() => this.early.delete(done));
    };
  }

  /** Undo every step left; `say` reports each (an interrupted run shows what it cleans up). */
  run(say: (line: string) => void = () => undefined): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        say(`cleanup: ${step.what}`);
        await runOnce(step);
      }
      await Promise.all(this.early);
    })();
    return this.running;
  }

  /**
   * Ctrl-C, kill and a closed terminal clean up, then exit with the conventional status. The
   * listeners stay installed (not `once`): execa's signal-exit re-raises a signal that finds no
   * other listener, which would kill us in the middle of cleaning up.
   */
  onSignals(): void {
    const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
    for (const [signal, code] of Object.entries(codes)) {
      process.on(signal, () => {
        process.stderr.write(this.running ? `${signal}: still cleaning up\n` : `\n${signal}: cleaning up\n`);
        void this.run((line) => process.stderr.write(`${line}\n`)).finally(() => process.exit(code));
      });
    }
  }
}

function runOnce(step: Step): Promise<void> {
  step.done ??= (async () => {
    try {
      await step.undo();
    } catch (err) {
      process.stderr.write(`cleanup: ${step.what} failed: ${(err as Error).message}\n`);
    }
  })();
  return step.done;
}
