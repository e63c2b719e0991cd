// The verifier's only state: one SQLite file in WAL mode. A submission is committed here,
// with its sampling decision, before the prover hears 202; a verdict is committed in the
// same transaction as the GPU's probation state it changes.
import { SqliteStore } from "../../common/sqlite.js";
import type { GpuSummary, SubmissionStatus, VerdictRecord, VerdictResult } from "./types.js";

/** Forward-only migrations; `PRAGMA user_version` holds how many have run. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proof_hash TEXT NOT NULL,
    circuit TEXT NOT NULL,
    gpu_uuid TEXT NOT NULL,
    host TEXT NOT NULL,
    prover TEXT,
    job_id TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('http', 'spool')),
    -- As received (re-serialised JSON); dropped once a proof is found valid.
    proof_json TEXT,
    public_signals_json TEXT NOT NULL,
    expected_public_signals_json TEXT,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'checked', 'skipped')),
    sample_checked INTEGER NOT NULL,
    sample_rate REAL NOT NULL,
    sample_reason TEXT NOT NULL,
    result TEXT CHECK (result IN ('valid', 'invalid', 'malformed')),
    reason TEXT,
    checked_at INTEGER,
    queue_ms REAL,
    verify_ms REAL,
    batch_size INTEGER,
    key_hash TEXT,
    UNIQUE (circuit, proof_hash)
  );
  CREATE INDEX submissions_pending ON submissions(circuit, id) WHERE status = 'accepted';
  CREATE INDEX submissions_gpu ON submissions(gpu_uuid, id);
  CREATE INDEX submissions_result ON submissions(result, id);
  CREATE INDEX submissions_received ON submissions(received_at);
  CREATE TABLE gpus (
    uuid TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    probation INTEGER NOT NULL DEFAULT 0,
    valid_streak INTEGER NOT NULL DEFAULT 0,
    last_invalid_at INTEGER,
    last_invalid_id INTEGER,
    valid INTEGER NOT NULL DEFAULT 0,
    invalid INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0
  );
  `,
  // 2: replays. A proof is no longer unique per circuit: the same proof sent for another job,
  // GPU or expectation is a submission of its own, judged and flagged (`replay_of`); only a
  // byte-identical retry of one job from one GPU is folded, which the service decides
  // (docs/verifier.md, "Replays"). SQLite cannot drop a UNIQUE constraint, so the table is
  // rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter); ids are kept.
  `
  CREATE TABLE submissions_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proof_hash TEXT NOT NULL,
    circuit TEXT NOT NULL,
    gpu_uuid TEXT NOT NULL,
    host TEXT NOT NULL,
    prover TEXT,
    job_id TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('http', 'spool')),
    proof_json TEXT,
    public_signals_json TEXT NOT NULL,
    expected_public_signals_json TEXT,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'checked', 'skipped')),
    sample_checked INTEGER NOT NULL,
    sample_rate REAL NOT NULL,
    sample_reason TEXT NOT NULL,
    result TEXT CHECK (result IN ('valid', 'invalid', 'malformed')),
    reason TEXT,
    checked_at INTEGER,
    queue_ms REAL,
    verify_ms REAL,
    batch_size INTEGER,
    key_hash TEXT,
    -- The first submission of the same proof for another job or GPU; such a proof is invalid.
    replay_of INTEGER
  );
  INSERT INTO submissions_v2 (id, proof_hash, circuit, gpu_uuid, host, prover, job_id, source,
      proof_json, public_signals_json, expected_public_signals_json, received_at, status,
      sample_checked, sample_rate, sample_reason, result, reason, checked_at, queue_ms,
      verify_ms, batch_size, key_hash)
    SELECT id, proof_hash, circuit, gpu_uuid, host, prover, job_id, source, proof_json,
      public_signals_json, expected_public_signals_json, received_at, status, sample_checked,
      sample_rate, sample_reason, result, reason, checked_at, queue_ms, verify_ms, batch_size,
      key_hash
    FROM submissions ORDER BY id;
  DROP TABLE submissions;
  ALTER TABLE submissions_v2 RENAME TO submissions;
  CREATE INDEX submissions_proof ON submissions(circuit, proof_hash, id);
  CREATE INDEX submissions_pending ON submissions(circuit, id) WHERE status = 'accepted';
  CREATE INDEX submissions_gpu ON submissions(gpu_uuid, id);
  CREATE INDEX submissions_result ON submissions(result, id);
  CREATE INDEX submissions_received ON submissions(received_at);
  CREATE INDEX submissions_replays ON submissions(id) WHERE replay_of IS NOT NULL;
  ALTER TABLE gpus ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
  `,
  // 3: who submitted each proof: "<method>:<name>" of the authenticated caller, or
  // "spool:<dir>" (docs/verifier.md, "Credentials and attribution"). Null for rows from before.
  `
  ALTER TABLE submissions ADD COLUMN submitted_by TEXT;
  `,
];

export interface NewSubmission
  extends Pick<
    VerdictRecord,
    "proofHash" | "circuit" | "uuid" | "host" | "prover" | "jobId" | "source"
  > {
  proofJson: string;
  publicSignalsJson: string;
  expectedPublicSignalsJson: string | null;
  receivedAt: number;
  /** The first submission of this proof for another job or GPU, when this one replays it. */
  replayOf: number | null;
  /** Who sent it: "<method>:<name>" of the caller's identity, or "spool:<dir>". */
  submittedBy: string;
}

/** An earlier submission of the same proof by the same GPU for the same job: a retry when
 * its expectation is the same too (the service compares them in canonical form). */
export interface RetryCandidate extends Inserted {
  expectedPublicSignalsJson: string | null;
}

export interface SamplingDecision {
  checked: boolean;
  rate: number;
  reason: string;
}

export interface Inserted {
  id: number;
  duplicate: boolean;
  status: SubmissionStatus;
  result: VerdictResult | null;
}

/** What a worker needs to check one submission. */
export interface PendingRow {
  id: number;
  circuit: string;
  uuid: string;
  receivedAt: number;
  proofJson: string;
  publicSignalsJson: string;
  expectedPublicSignalsJson: string | null;
  replayOf: number | null;
}

export interface VerdictUpdate {
  id: number;
  result: VerdictResult;
  reason: string | null;
  queueMs: number;
  verifyMs: number;
  batchSize: number;
  keyHash: string;
}

export interface GpuState {
  probation: boolean;
  validStreak: number;
}

interface SubmissionRow {
  id: number;
  proof_hash: string;
  circuit: string;
  gpu_uuid: string;
  host: string;
  prover: string | null;
  job_id: string;
  source: "http" | "spool";
  proof_json: string | null;
  public_signals_json: string;
  expected_public_signals_json: string | null;
  received_at: number;
  status: SubmissionStatus;
  sample_checked: number;
  sample_rate: number;
  sample_reason: string;
  result: VerdictResult | null;
  reason: string | null;
  checked_at: number | null;
  queue_ms: number | null;
  verify_ms: number | null;
  batch_size: number | null;
  key_hash: string | null;
  replay_of: number | null;
  submitted_by: string | null;
}

interface GpuRow {
  uuid: string;
  host: string;
  probation: number;
  valid_streak: number;
  last_invalid_at: number | null;
  last_invalid_id: number | null;
  valid: number;
  invalid: number;
  malformed: number;
  skipped: number;
  replays: number;
  pending: number;
}

export interface VerdictFilter {
  gpu?: string | undefined;
  circuit?: string | undefined;
  result?: VerdictResult | undefined;
  status?: SubmissionStatus | undefined;
  /** Only replays (true) or only the rest (false). */
  replay?: boolean | undefined;
  sinceMs?: number | undefined;
  afterId: number;
  limit: number;
  full: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function parseOrText(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class Store extends SqliteStore {
  constructor(file: string) {
    super(file, MIGRATIONS);
  }

  // --- submissions -----------------------------------------------------------------------

  /** Earlier submissions of this proof for the same job by the same GPU, oldest first. */
  retryCandidates(
    circuit: string,
    proofHash: string,
    claim: { jobId: string; uuid: string; host: string },
  ): RetryCandidate[] {
    const rows = this.statement(
      `SELECT id, status, result, expected_public_signals_json AS expected FROM submissions
         WHERE circuit = ? AND proof_hash = ? AND job_id = ? AND gpu_uuid = ? AND host = ?
         ORDER BY id`,
    ).all(circuit, proofHash, claim.jobId, claim.uuid, claim.host) as Array<{
      id: number;
      status: SubmissionStatus;
      result: VerdictResult | null;
      expected: string | null;
    }>;
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      result: row.result,
      duplicate: true,
      expectedPublicSignalsJson: row.expected,
    }));
  }

  /** The first submission of this proof, if any: the job and GPU it was made for. */
  firstSubmission(
    circuit: string,
    proofHash: string,
  ): { id: number; jobId: string; uuid: string; host: string } | undefined {
    return this.statement(
      `SELECT id, job_id AS jobId, gpu_uuid AS uuid, host FROM submissions
         WHERE circuit = ? AND proof_hash = ? ORDER BY id LIMIT 1`,
    ).get(circuit, proofHash) as
      | { id: number; jobId: string; uuid: string; host: string }
      | undefined;
  }

  /** Stores a new submission with its sampling decision; call inside `transaction`. */
  insert(s: NewSubmission, decision: SamplingDecision): Inserted {
    const status: SubmissionStatus = decision.checked ? "accepted" : "skipped";
    const info = this.statement(
      `INSERT INTO submissions (proof_hash, circuit, gpu_uuid, host, prover, job_id, source,
           proof_json, public_signals_json, expected_public_signals_json, received_at, status,
           sample_checked, sample_rate, sample_reason, replay_of, submitted_by)
         VALUES (@proofHash, @circuit, @uuid, @host, @prover, @jobId, @source, @proofJson,
           @publicSignalsJson, @expectedPublicSignalsJson, @receivedAt, @status, @checked,
           @rate, @reason, @replayOf, @submittedBy)`,
    ).run({
      ...s,
      status,
      checked: decision.checked ? 1 : 0,
      rate: decision.rate,
      reason: decision.reason,
    });
    this.statement(
      `INSERT INTO gpus (uuid, host, first_seen_at, last_seen_at, skipped, replays)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (uuid) DO UPDATE SET host = excluded.host, last_seen_at = excluded.last_seen_at,
           skipped = skipped + excluded.skipped, replays = replays + excluded.replays`,
    ).run(
      s.uuid,
      s.host,
      s.receivedAt,
      s.receivedAt,
      decision.checked ? 0 : 1,
      s.replayOf === null ? 0 : 1,
    );
    return { id: Number(info.lastInsertRowid), duplicate: false, status, result: null };
  }

  /** The host the GPU was last recorded on; undefined for a GPU never seen. */
  gpuHost(uuid: string): string | undefined {
    const row = this.statement("SELECT host FROM gpus WHERE uuid = ?").get(uuid) as
      | { host: string }
      | undefined;
    return row?.host;
  }

  gpuState(uuid: string): GpuState {
    const row = this.statement("SELECT probation, valid_streak FROM gpus WHERE uuid = ?").get(
      uuid,
    ) as { probation: number; valid_streak: number } | undefined;
    return { probation: row?.probation === 1, validStreak: row?.valid_streak ?? 0 };
  }

  /** Accepted but not yet checked, oldest first: the work a restart picks up. */
  pending(circuit?: string): Array<{ id: number; circuit: string }> {
    const sql =
      circuit === undefined
        ? "SELECT id, circuit FROM submissions WHERE status = 'accepted' ORDER BY id"
        : "SELECT id, circuit FROM submissions WHERE status = 'accepted' AND circuit = ? ORDER BY id";
    const statement = this.statement(sql);
    return (circuit === undefined ? statement.all() : statement.all(circuit)) as Array<{
      id: number;
      circuit: string;
    }>;
  }

  pendingCount(): number {
    return this.count("SELECT count(*) AS n FROM submissions WHERE status = 'accepted'");
  }

  /** Rows to check, in the order of `ids`; ids already decided are left out. */
  forCheck(ids: readonly number[]): PendingRow[] {
    const select = this.statement(
      `SELECT id, circuit, gpu_uuid AS uuid, received_at AS receivedAt, proof_json AS proofJson,
         public_signals_json AS publicSignalsJson,
         expected_public_signals_json AS expectedPublicSignalsJson, replay_of AS replayOf
       FROM submissions WHERE id = ? AND status = 'accepted'`,
    );
    return ids.flatMap((id) => {
      const row = select.get(id) as PendingRow | undefined;
      return row ? [row] : [];
    });
  }

  /**
   * Records verdicts and the probation state they change, all in one transaction. A row
   * decided already (a check repeated after a crash between check and commit) is left as it
   * was and not returned, so nothing is counted twice.
   */
  recordVerdicts(
    updates: readonly VerdictUpdate[],
    recoverAfter: number,
    now: number,
  ): Array<VerdictUpdate & { uuid: string; circuit: string }> {
    const mark = this.statement(
      `UPDATE submissions SET status = 'checked', result = @result, reason = @reason,
         checked_at = @now, queue_ms = @queueMs, verify_ms = @verifyMs, batch_size = @batchSize,
         key_hash = @keyHash,
         proof_json = CASE WHEN @result = 'valid' THEN NULL ELSE proof_json END
       WHERE id = @id AND status = 'accepted'
       RETURNING gpu_uuid AS uuid, circuit`,
    );
    const good = this.statement(
      `UPDATE gpus SET valid = valid + 1, valid_streak = valid_streak + 1,
         probation = CASE WHEN probation = 1 AND valid_streak + 1 >= @recoverAfter THEN 0
                          ELSE probation END
       WHERE uuid = @uuid`,
    );
    const bad = this.statement(
      `UPDATE gpus SET invalid = invalid + @invalid, malformed = malformed + @malformed,
         valid_streak = 0, probation = 1, last_invalid_at = @now, last_invalid_id = @id
       WHERE uuid = @uuid`,
    );
    return this.transaction(() => {
      const done: Array<VerdictUpdate & { uuid: string; circuit: string }> = [];
      for (const update of updates) {
        const row = mark.get({ ...update, now }) as { uuid: string; circuit: string } | undefined;
        if (!row) continue;
        if (update.result === "valid") {
          good.run({ uuid: row.uuid, recoverAfter });
        } else {
          bad.run({
            uuid: row.uuid,
            now,
            id: update.id,
            invalid: update.result === "invalid" ? 1 : 0,
            malformed: update.result === "malformed" ? 1 : 0,
          });
        }
        done.push({ ...update, ...row });
      }
      return done;
    });
  }

  // --- reads -----------------------------------------------------------------------------

  verdict(id: number): VerdictRecord | undefined {
    const row = this.statement("SELECT * FROM submissions WHERE id = ?").get(id) as
      | SubmissionRow
      | undefined;
    return row && toRecord(row, true);
  }

  verdicts(filter: VerdictFilter): VerdictRecord[] {
    const where = ["id > @afterId"];
    if (filter.gpu !== undefined) where.push("gpu_uuid = @gpu");
    if (filter.circuit !== undefined) where.push("circuit = @circuit");
    if (filter.result !== undefined) where.push("result = @result");
    if (filter.status !== undefined) where.push("status = @status");
    if (filter.replay !== undefined) {
      where.push(filter.replay ? "replay_of IS NOT NULL" : "replay_of IS NULL");
    }
    if (filter.sinceMs !== undefined) where.push("received_at >= @sinceMs");
    const rows = this.statement(
      `SELECT * FROM submissions WHERE ${where.join(" AND ")} ORDER BY id LIMIT @limit`,
    ).all({
      afterId: filter.afterId,
      limit: filter.limit,
      gpu: filter.gpu ?? null,
      circuit: filter.circuit ?? null,
      result: filter.result ?? null,
      status: filter.status ?? null,
      sinceMs: filter.sinceMs ?? null,
    }) as SubmissionRow[];
    return rows.map((row) => toRecord(row, filter.full));
  }

  gpus(samplingRate: (probation: boolean) => number): GpuSummary[] {
    const rows = this.statement(
      `SELECT g.*, (SELECT count(*) FROM submissions s
                      WHERE s.gpu_uuid = g.uuid AND s.status = 'accepted') AS pending
         FROM gpus g ORDER BY g.host, g.uuid`,
    ).all() as GpuRow[];
    return rows.map((row) => ({
      uuid: row.uuid,
      host: row.host,
      counts: {
        valid: row.valid,
        invalid: row.invalid,
        malformed: row.malformed,
        skipped: row.skipped,
        replays: row.replays,
        pending: row.pending,
      },
      lastInvalidAt: iso(row.last_invalid_at),
      lastInvalidId: row.last_invalid_id,
      probation: row.probation === 1,
      validStreak: row.valid_streak,
      samplingRate: samplingRate(row.probation === 1),
    }));
  }

  /** Per GPU: on probation or not, and when it last gave a bad proof (for the gauges). */
  gpuGauges(): Array<{ uuid: string; probation: boolean; lastInvalidAt: number | null }> {
    const rows = this.statement(
      "SELECT uuid, probation, last_invalid_at FROM gpus ORDER BY uuid",
    ).all() as Array<{ uuid: string; probation: number; last_invalid_at: number | null }>;
    return rows.map((row) => ({
      uuid: row.uuid,
      probation: row.probation === 1,
      lastInvalidAt: row.last_invalid_at,
    }));
  }
}

function toRecord(row: SubmissionRow, full: boolean): VerdictRecord {
  const record: VerdictRecord = {
    id: row.id,
    proofHash: row.proof_hash,
    circuit: row.circuit,
    uuid: row.gpu_uuid,
    host: row.host,
    prover: row.prover,
    jobId: row.job_id,
    source: row.source,
    status: row.status,
    result: row.result,
    reason: row.reason,
    sampling: {
      checked: row.sample_checked === 1,
      rate: row.sample_rate,
      reason: row.sample_reason,
    },
    receivedAt: iso(row.received_at) as string,
    checkedAt: iso(row.checked_at),
    queueMs: row.queue_ms,
    verifyMs: row.verify_ms,
    batchSize: row.batch_size,
    keyHash: row.key_hash,
    replayOf: row.replay_of,
    submittedBy: row.submitted_by,
  };
  if (full) {
    if (row.proof_json !== null) record.proof = parseOrText(row.proof_json);
    record.publicSignals = parseOrText(row.public_signals_json);
    if (row.expected_public_signals_json !== null) {
      record.expectedPublicSignals = parseOrText(row.expected_public_signals_json);
    }
  }
  return record;
}
