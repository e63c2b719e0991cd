// Shared set-up for the end-to-end tests: the fleet file (demo/src/fleet.ts), polling, the
// quarantine audit log, and the process tree of a child.
import { readdirSync, readFileSync } from "node:fs";

export { uuidOf, writeFleet } from "../../demo/src/fleet.js";

export { until } from "../helpers/until.js";

export interface AuditEntry {
  id: number;
  at: string;
  event: string;
  actor: string;
  uuid: string | null;
  host: string | null;
  detail: Record<string, unknown> | null;
}

export async function auditLog(quarantineUrl: string, token: string): Promise<AuditEntry[]> {
  const response = await fetch(`${quarantineUrl}/v1/audit?limit=10000`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`audit: HTTP ${response.status}`);
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
}

/** Every process below `pid` now (children, grandchildren …), from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** Whether a process is still there (a zombie counts as gone: it runs nothing). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
