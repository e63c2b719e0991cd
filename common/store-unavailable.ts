// How a service answers a request its SQLite store cannot serve right now: a busy or locked
// database, a full or failing disk. That is "try again later", not "this will never work", so
// the answer is 503 with Retry-After and the client (a prover, Alertmanager) retries, where a
// 500 would read as a bug.
import type { Response } from "express";
import type { Logger } from "./log.js";

// better-sqlite3 puts SQLite's extended result code on `error.code` (SqliteError).
// https://www.sqlite.org/rescode.html
const TRANSIENT = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/;

/** Seconds a client is asked to wait before it retries. */
const RETRY_AFTER_SECONDS = 5;

/** Whether `error` is a SQLite error that may clear by itself. */
export function isStoreUnavailable(error: unknown): boolean {
  return TRANSIENT.test(String((error as { code?: unknown } | null)?.code ?? ""));
}

/**
 * For an express error handler: when `error` is a transient store error, logs it, sets
 * Retry-After, lets `reply` send the service's own 503 body, and returns true; otherwise
 * touches nothing and returns false.
 */
export function answerStoreUnavailable(
  error: unknown,
  res: Response,
  log: Logger,
  reply: (res: Response) => void,
): boolean {
  if (!isStoreUnavailable(error)) return false;
  log.error("store unavailable", {
    error: (error as Error).message,
    code: (error as { code: string }).code,
  });
  res.setHeader("retry-after", String(RETRY_AFTER_SECONDS));
  reply(res);
  return true;
}
