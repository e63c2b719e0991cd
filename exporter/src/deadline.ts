/**
 * Resolves true once `work` settles, or false at `deadline` (epoch ms) if it has not by then.
 * A scrape races all its reads against one timer this way, rather than one timer, race and
 * set of closures per read: those were garbage on every scrape (bench/RESULTS.md).
 */
export function settlesBefore(work: Promise<unknown>, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), false);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(settled, settled);
  });
}
