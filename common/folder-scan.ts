// One folder scan at a time, however many callers ask: a watch event, the periodic rescan
// and an explicit call can all land while a scan is running. A call made then joins the
// running scan and asks for one more pass, so a change seen mid-scan is never missed and
// passes never overlap. Used by the verifier's circuit registry and spool and by the prover
// service's spool; the prover's quarantine list watch uses `watchFolder` too.
import { type FSWatcher, watch } from "node:fs";

/**
 * fs.watch on a folder, as a hint to look again: `onEvent` gets the changed entry's name
 * (null when the platform does not say). Undefined where no watch can be had (no such
 * folder, no inotify watches left), and a watch that fails later closes itself: either
 * way the caller's periodic rescan is what finds the change.
 */
export function watchFolder(
  dir: string,
  onEvent: (name: string | null) => void,
): FSWatcher | undefined {
  try {
    const watcher = watch(dir, { persistent: false }, (_event, name) => onEvent(name));
    watcher.on("error", () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}

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
