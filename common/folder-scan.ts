// One folder scan at a time, however many callers ask: a watch event, the periodic rescan
// and an explicit call can all land while a scan is running. A call made then joins the
// running scan and asks for one more pass, so a change seen mid-scan is never missed and
// passes never overlap. Used by the verifier's circuit registry and spool and by the prover
// service's spool.

export interface FolderScanOptions {
  /** When given, a failed pass ends the scan, is handed here and `run()` resolves;
   * without it `run()` rejects with the error. */
  onError?: (error: Error) => void;
}

export class FolderScan {
  private running: Promise<void> | undefined;
  private again = false;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly options: FolderScanOptions = {},
  ) {}

  /** True once `close()` was called: no further passes start. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Scans now, or joins the running scan and asks it for one more pass. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      } catch (error) {
        if (!this.options.onError) throw error;
        this.options.onError(error as Error);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Scans once `delayMs` pass without another call (a burst of events makes one scan). */
  schedule(delayMs: number, onError: (error: Error) => void): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.run().catch(onError);
    }, delayMs);
  }

  /** Starts no further pass; resolves when the running one (if any) ends. */
  close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounce);
    return this.running ?? Promise.resolve();
  }
}
