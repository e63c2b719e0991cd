export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} missed its ${ms} ms deadline`);
    this.name = "DeadlineExceeded";
  }
}

/**
 * Resolves with `work`, or rejects with DeadlineExceeded at `deadline` (epoch ms). `what`
 * names the work in the error, built only if it is thrown.
 */
export function withDeadline<T>(
  work: Promise<T>,
  deadline: number,
  what: () => string,
): Promise<T> {
  const remaining = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what(), remaining)), remaining);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
