// The quarantine service's only state: one SQLite file in WAL mode. Every decision and every
// intent to act is committed here before anything outside the process is touched.
import { SqliteStore } from "../../common/sqlite.js";
import type { QuarantinedGpu, QuarantinedNode, QuarantineList } from "./types.js";

/** Forward-only migrations; `PRAGMA user_version` holds how many have run. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE alert_instances (
    key TEXT PRIMARY KEY,              -- fingerprint + "@" + startsAt
    fingerprint TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    alertname TEXT NOT NULL,
    uuid TEXT NOT NULL,
    host TEXT NOT NULL,
    decision TEXT NOT NULL,            -- outcome of the last firing evaluation
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    resolved_at INTEGER,
    ends_at TEXT
  );
  CREATE INDEX alert_instances_uuid ON alert_instances(uuid);
  CREATE TABLE gpus (
    uuid TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    gpu TEXT,
    quarantined INTEGER NOT NULL,
    since INTEGER,
    reason TEXT,
    alert_key TEXT,
    released_at INTEGER,
    release_reason TEXT
  );
  CREATE TABLE nodes (
    host TEXT PRIMARY KEY,
    quarantined INTEGER NOT NULL,
    since INTEGER,
    reason TEXT
  );
  CREATE TABLE known_gpus (
    uuid TEXT PRIMARY KEY,
    host TEXT,
    first_seen_at INTEGER NOT NULL
  );
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    action TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('apply', 'release')),
    scope TEXT NOT NULL CHECK (scope IN ('gpu', 'node')),
    uuid TEXT,
    host TEXT NOT NULL,
    gpu TEXT,
    reason TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at INTEGER
  );
  CREATE INDEX outbox_pending ON outbox(id) WHERE state = 'pending';
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    uuid TEXT,
    host TEXT,
    alert_key TEXT,
    detail TEXT
  );
  CREATE INDEX audit_event_at ON audit(event, at);
  CREATE TABLE breaker (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    open INTEGER NOT NULL,
    reason TEXT,
    opened_at INTEGER,
    reset_at INTEGER,
    reset_reason TEXT
  );
  INSERT INTO breaker (id, open) VALUES (1, 0);
  `,
  // Only trusted inventory counts toward the share limit: the operator's known-GPUs file and
  // the exporters' proofwatch_gpu_info series. GPUs learned from alerts stay in known_gpus for
  // their host but no longer count (rows from before this migration start untrusted; the file
  // is read again at every start). resolved_episodes keeps, per alert and GPU, the newest
  // episode Alertmanager resolved, so that a late firing message of an older one is ignored.
  `
  ALTER TABLE known_gpus ADD COLUMN in_file INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE known_gpus ADD COLUMN in_prometheus INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE inventory_sources (
    source TEXT PRIMARY KEY CHECK (source IN ('file', 'prometheus')),
    refreshed_at INTEGER NOT NULL      -- last time the source was read successfully
  );
  CREATE TABLE resolved_episodes (
    fingerprint TEXT NOT NULL,
    uuid TEXT NOT NULL,
    alertname TEXT NOT NULL,
    starts_at TEXT NOT NULL,           -- UTC with nanoseconds (payload.ts orderedTime): orders as text
    ends_at TEXT NOT NULL,
    resolved_at INTEGER NOT NULL,
    PRIMARY KEY (fingerprint, uuid)
  );
  `,
];

/** The trusted sources of the share limit's GPU count. */
export type InventorySource = "file" | "prometheus";

/** known_gpus' flag column of each source (never user input: the SQL is built from it). */
const INVENTORY_COLUMN: Record<InventorySource, string> = {
  file: "in_file",
  prometheus: "in_prometheus",
};

export type Actor = "alertmanager" | "api" | "system";

export interface AuditEntry {
  id: number;
  at: string;
  actor: Actor;
  event: string;
  uuid: string | null;
  host: string | null;
  alertKey: string | null;
  detail: Record<string, unknown> | null;
}

export interface AlertInstance {
  key: string;
  uuid: string;
  host: string;
  decision: string;
  resolvedAt: number | null;
}

/** What should happen to a GPU or node; `enqueue` makes one outbox row of it per action. */
export interface Intent {
  op: "apply" | "release";
  scope: "gpu" | "node";
  uuid: string | null;
  host: string;
  gpu: string | null;
  reason: string;
}

export interface OutboxRow extends Intent {
  id: number;
  action: string;
  attempts: number;
  createdAt: number;
}

export interface BreakerState {
  open: boolean;
  reason: string | null;
  openedAt: number | null;
}

interface GpuRow {
  uuid: string;
  host: string;
  gpu: string | null;
  since: number;
  reason: string;
  alert_key: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** One firing episode of one alert, as alert_instances keeps it. */
interface InstanceFields {
  key: string;
  fingerprint: string;
  startsAt: string;
  alertname: string;
  uuid: string;
  host: string;
}

/** The statements' named parameters for `instance` (callers pass whole requests). */
const instanceParams = (instance: InstanceFields) => ({
  key: instance.key,
  fingerprint: instance.fingerprint,
  startsAt: instance.startsAt,
  alertname: instance.alertname,
  uuid: instance.uuid,
  host: instance.host,
});

export class Store extends SqliteStore {
  constructor(file: string) {
    super(file, MIGRATIONS);
  }

  audit(
    actor: Actor,
    event: string,
    fields: {
      uuid?: string | null;
      host?: string | null;
      alertKey?: string | null;
      detail?: Record<string, unknown>;
    } = {},
    now = Date.now(),
  ): void {
    this.statement(
      "INSERT INTO audit (at, actor, event, uuid, host, alert_key, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      now,
      actor,
      event,
      fields.uuid ?? null,
      fields.host ?? null,
      fields.alertKey ?? null,
      fields.detail ? JSON.stringify(fields.detail) : null,
    );
  }

  auditLog(options: { limit?: number; afterId?: number } = {}): AuditEntry[] {
    const rows = this.statement("SELECT * FROM audit WHERE id > ? ORDER BY id DESC LIMIT ?").all(
      options.afterId ?? 0,
      options.limit ?? 1000,
    ) as Array<{
      id: number;
      at: number;
      actor: Actor;
      event: string;
      uuid: string | null;
      host: string | null;
      alert_key: string | null;
      detail: string | null;
    }>;
    return rows.reverse().map((row) => ({
      id: row.id,
      at: iso(row.at),
      actor: row.actor,
      event: row.event,
      uuid: row.uuid,
      host: row.host,
      alertKey: row.alert_key,
      detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    }));
  }

  countEventsSince(event: string, since: number): number {
    return this.count("SELECT count(*) AS n FROM audit WHERE event = ? AND at > ?", event, since);
  }

  // --- alert instances -------------------------------------------------------------------

  instance(key: string): AlertInstance | undefined {
    const row = this.statement(
      "SELECT key, uuid, host, decision, resolved_at FROM alert_instances WHERE key = ?",
    ).get(key) as
      | { key: string; uuid: string; host: string; decision: string; resolved_at: number | null }
      | undefined;
    return row && { ...row, resolvedAt: row.resolved_at };
  }

  recordFiring(instance: InstanceFields, decision: string, now: number): void {
    this.statement(
      `INSERT INTO alert_instances
           (key, fingerprint, starts_at, alertname, uuid, host, decision, first_seen_at, last_seen_at)
         VALUES (@key, @fingerprint, @startsAt, @alertname, @uuid, @host, @decision, @now, @now)
         ON CONFLICT (key) DO UPDATE SET decision = @decision, last_seen_at = @now`,
    ).run({
      ...instanceParams(instance),
      decision,
      now,
    });
  }

  touchInstance(key: string, now: number): void {
    this.statement("UPDATE alert_instances SET last_seen_at = ? WHERE key = ?").run(now, key);
  }

  recordResolved(instance: InstanceFields & { endsAt: string }, now: number): void {
    this.statement(
      `INSERT INTO alert_instances
           (key, fingerprint, starts_at, alertname, uuid, host, decision, first_seen_at, last_seen_at, resolved_at, ends_at)
         VALUES (@key, @fingerprint, @startsAt, @alertname, @uuid, @host, 'resolved_unseen', @now, @now, @now, @endsAt)
         ON CONFLICT (key) DO UPDATE SET resolved_at = @now, ends_at = @endsAt, last_seen_at = @now`,
    ).run({
      ...instanceParams(instance),
      endsAt: instance.endsAt,
      now,
    });
  }

  /** Keeps the newest resolved episode of this alert on this GPU (older ones change nothing). */
  recordResolvedEpisode(
    episode: InstanceFields & { startsAtUtc: string; endsAt: string },
    now: number,
  ): void {
    this.statement(
      `INSERT INTO resolved_episodes (fingerprint, uuid, alertname, starts_at, ends_at, resolved_at)
         VALUES (@fingerprint, @uuid, @alertname, @startsAt, @endsAt, @now)
         ON CONFLICT (fingerprint, uuid) DO UPDATE SET alertname = @alertname,
           starts_at = @startsAt, ends_at = @endsAt, resolved_at = @now
         WHERE @startsAt > resolved_episodes.starts_at`,
    ).run({
      fingerprint: episode.fingerprint,
      uuid: episode.uuid,
      alertname: episode.alertname,
      startsAt: episode.startsAtUtc,
      endsAt: episode.endsAt,
      now,
    });
  }

  /** The newest resolved episode of this alert on this GPU; startsAt as orderedTime. */
  latestResolvedEpisode(
    fingerprint: string,
    uuid: string,
  ): { startsAt: string; endsAt: string } | undefined {
    return this.statement(
      `SELECT starts_at AS startsAt, ends_at AS endsAt FROM resolved_episodes
         WHERE fingerprint = ? AND uuid = ?`,
    ).get(fingerprint, uuid) as { startsAt: string; endsAt: string } | undefined;
  }

  /** Firing instances that still hold this GPU (decided "quarantine" or "already", unresolved). */
  activeInstances(uuid: string): number {
    return this.count(
      `SELECT count(*) AS n FROM alert_instances
       WHERE uuid = ? AND resolved_at IS NULL AND decision IN ('quarantined', 'already_quarantined')`,
      uuid,
    );
  }

  /** When the last instance holding this GPU was resolved, or null when none was. */
  lastResolution(uuid: string): number | null {
    const row = this.statement(
      "SELECT max(resolved_at) AS at FROM alert_instances WHERE uuid = ?",
    ).get(uuid) as { at: number | null };
    return row.at;
  }

  // --- known GPUs ------------------------------------------------------------------------

  /**
   * Remembers a GPU's host, from any source. An alert's claim goes no further than this: it
   * tells which GPUs a node escalation takes out, never how many GPUs the fleet has.
   */
  learnGpu(uuid: string, host: string | null, now: number): void {
    this.statement(
      `INSERT INTO known_gpus (uuid, host, first_seen_at) VALUES (?, ?, ?)
         ON CONFLICT (uuid) DO UPDATE SET host = coalesce(excluded.host, known_gpus.host)`,
    ).run(uuid, host, now);
  }

  /**
   * Makes `gpus` the whole of what `source` lists (GPUs it no longer lists stop counting).
   * Call inside a transaction, so that the count never reads a half-replaced set.
   */
  replaceInventory(
    source: InventorySource,
    gpus: ReadonlyArray<{ uuid: string; host: string | null }>,
    now: number,
  ): void {
    const column = INVENTORY_COLUMN[source];
    this.statement(`UPDATE known_gpus SET ${column} = 0 WHERE ${column} = 1`).run();
    const upsert = this.statement(
      `INSERT INTO known_gpus (uuid, host, first_seen_at, ${column}) VALUES (?, ?, ?, 1)
       ON CONFLICT (uuid) DO UPDATE SET host = coalesce(excluded.host, known_gpus.host),
         ${column} = 1`,
    );
    for (const gpu of gpus) upsert.run(gpu.uuid, gpu.host, now);
    this.statement(
      `INSERT INTO inventory_sources (source, refreshed_at) VALUES (?, ?)
         ON CONFLICT (source) DO UPDATE SET refreshed_at = excluded.refreshed_at`,
    ).run(source, now);
  }

  /** Distinct GPUs listed by a trusted source (one source, or any): the share's denominator. */
  inventoryCount(source?: InventorySource): number {
    const where = source
      ? `${INVENTORY_COLUMN[source]} = 1`
      : Object.values(INVENTORY_COLUMN)
          .map((column) => `${column} = 1`)
          .join(" OR ");
    return this.count(`SELECT count(*) AS n FROM known_gpus WHERE ${where}`);
  }

  inInventory(uuid: string): boolean {
    const row = this.statement("SELECT in_file, in_prometheus FROM known_gpus WHERE uuid = ?").get(
      uuid,
    ) as { in_file: number; in_prometheus: number } | undefined;
    return row !== undefined && (row.in_file === 1 || row.in_prometheus === 1);
  }

  /** When `source` was last read successfully (ms), or null when never. */
  inventoryRefreshedAt(source: InventorySource): number | null {
    const row = this.statement("SELECT refreshed_at FROM inventory_sources WHERE source = ?").get(
      source,
    ) as { refreshed_at: number } | undefined;
    return row?.refreshed_at ?? null;
  }

  /** Stops counting a source that is no longer configured. */
  forgetInventory(source: InventorySource): void {
    const column = INVENTORY_COLUMN[source];
    this.statement(`UPDATE known_gpus SET ${column} = 0 WHERE ${column} = 1`).run();
    this.statement("DELETE FROM inventory_sources WHERE source = ?").run(source);
  }

  // --- desired state ---------------------------------------------------------------------

  gpu(uuid: string): (GpuRow & { quarantined: number }) | undefined {
    return this.statement("SELECT * FROM gpus WHERE uuid = ?").get(uuid) as
      | (GpuRow & { quarantined: number })
      | undefined;
  }

  setGpuQuarantined(
    target: { uuid: string; host: string; gpu: string | null },
    reason: string,
    alertKey: string | null,
    now: number,
  ): void {
    this.statement(
      `INSERT INTO gpus (uuid, host, gpu, quarantined, since, reason, alert_key)
         VALUES (@uuid, @host, @gpu, 1, @now, @reason, @alertKey)
         ON CONFLICT (uuid) DO UPDATE SET host = @host, gpu = @gpu, quarantined = 1, since = @now,
           reason = @reason, alert_key = @alertKey, released_at = NULL, release_reason = NULL`,
    ).run({ uuid: target.uuid, host: target.host, gpu: target.gpu, reason, alertKey, now });
  }

  setGpuReleased(uuid: string, reason: string, now: number): void {
    this.statement(
      "UPDATE gpus SET quarantined = 0, released_at = ?, release_reason = ? WHERE uuid = ?",
    ).run(now, reason, uuid);
  }

  setNodeQuarantined(host: string, quarantined: boolean, reason: string, now: number): void {
    this.statement(
      `INSERT INTO nodes (host, quarantined, since, reason) VALUES (?, ?, ?, ?)
         ON CONFLICT (host) DO UPDATE SET quarantined = excluded.quarantined,
           since = excluded.since, reason = excluded.reason`,
    ).run(host, quarantined ? 1 : 0, now, reason);
  }

  nodeQuarantined(host: string): boolean {
    const row = this.statement("SELECT quarantined FROM nodes WHERE host = ?").get(host) as
      | { quarantined: number }
      | undefined;
    return row?.quarantined === 1;
  }

  quarantinedGpus(): QuarantinedGpu[] {
    const rows = this.statement(
      "SELECT * FROM gpus WHERE quarantined = 1 ORDER BY host, uuid",
    ).all() as GpuRow[];
    return rows.map((row) => ({
      uuid: row.uuid,
      host: row.host,
      gpu: row.gpu,
      since: iso(row.since),
      reason: row.reason,
    }));
  }

  quarantinedAlertKeys(): Array<{ uuid: string; host: string; alertKey: string | null }> {
    const rows = this.statement(
      "SELECT uuid, host, alert_key FROM gpus WHERE quarantined = 1 ORDER BY uuid",
    ).all() as Array<{ uuid: string; host: string; alert_key: string | null }>;
    return rows.map((row) => ({ uuid: row.uuid, host: row.host, alertKey: row.alert_key }));
  }

  quarantinedNodes(): QuarantinedNode[] {
    const rows = this.statement(
      "SELECT host, since, reason FROM nodes WHERE quarantined = 1 ORDER BY host",
    ).all() as Array<{ host: string; since: number; reason: string }>;
    return rows.map((row) => ({ host: row.host, since: iso(row.since), reason: row.reason }));
  }

  hostGpus(host: string): string[] {
    const rows = this.statement(
      "SELECT uuid FROM gpus WHERE quarantined = 1 AND host = ? ORDER BY uuid",
    ).all(host) as Array<{ uuid: string }>;
    return rows.map((row) => row.uuid);
  }

  /**
   * GPUs out of service: those quarantined one by one plus every known GPU of a quarantined
   * node, each counted once. This is the numerator of the share limit.
   */
  effectiveQuarantinedCount(): number {
    return this.count(
      `SELECT count(*) AS n FROM (
         SELECT uuid FROM gpus WHERE quarantined = 1
         UNION
         SELECT k.uuid FROM known_gpus k JOIN nodes n ON n.host = k.host WHERE n.quarantined = 1
       )`,
    );
  }

  /** Known GPUs of `host` that are not quarantined one by one yet. */
  otherKnownGpusOnHost(host: string): number {
    return this.count(
      `SELECT count(*) AS n FROM known_gpus k WHERE k.host = ?
       AND NOT EXISTS (SELECT 1 FROM gpus g WHERE g.uuid = k.uuid AND g.quarantined = 1)`,
      host,
    );
  }

  fleet(now = Date.now()): QuarantineList {
    return {
      version: 1,
      generatedAt: iso(now),
      gpus: this.quarantinedGpus(),
      hosts: this.quarantinedNodes(),
    };
  }

  // --- outbox ----------------------------------------------------------------------------

  enqueue(actions: readonly string[], intent: Intent, now: number): void {
    const insert = this.statement(
      `INSERT INTO outbox (created_at, action, op, scope, uuid, host, gpu, reason)
       VALUES (@now, @action, @op, @scope, @uuid, @host, @gpu, @reason)`,
    );
    for (const action of actions) {
      insert.run({
        now,
        action,
        op: intent.op,
        scope: intent.scope,
        uuid: intent.uuid,
        host: intent.host,
        gpu: intent.gpu,
        reason: intent.reason,
      });
    }
  }

  pending(): OutboxRow[] {
    return this.statement(
      "SELECT id, created_at AS createdAt, action, op, scope, uuid, host, gpu, reason, attempts FROM outbox WHERE state = 'pending' ORDER BY id",
    ).all() as OutboxRow[];
  }

  pendingCount(): number {
    return this.count("SELECT count(*) AS n FROM outbox WHERE state = 'pending'");
  }

  markDone(id: number, now: number): void {
    this.statement(
      "UPDATE outbox SET state = 'done', done_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
    ).run(now, id);
  }

  markAttemptFailed(id: number, error: string, permanent: boolean): void {
    this.statement(
      "UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ? WHERE id = ?",
    ).run(error, permanent ? "failed" : "pending", id);
  }

  // --- breaker ---------------------------------------------------------------------------

  breaker(): BreakerState {
    const row = this.statement(
      "SELECT open, reason, opened_at FROM breaker WHERE id = 1",
    ).get() as {
      open: number;
      reason: string | null;
      opened_at: number | null;
    };
    return { open: row.open === 1, reason: row.reason, openedAt: row.opened_at };
  }

  tripBreaker(reason: string, now: number): void {
    this.statement("UPDATE breaker SET open = 1, reason = ?, opened_at = ? WHERE id = 1").run(
      reason,
      now,
    );
  }

  resetBreaker(reason: string, now: number): void {
    this.statement("UPDATE breaker SET open = 0, reset_at = ?, reset_reason = ? WHERE id = 1").run(
      now,
      reason,
    );
  }
}
