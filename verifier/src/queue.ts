// Accepted proofs waiting for a worker: one FIFO per circuit (a batch is one circuit's
// proofs), served round-robin so that a busy circuit cannot starve a quiet one. The bound
// applies to new submissions only: what was accepted before a restart always gets back in.

export interface QueueEntry {
  id: number;
  circuit: string;
  /** When it was accepted (ms since the epoch), for the time-in-queue it is recorded with. */
  acceptedAt: number;
}

export class BoundedQueue {
  private readonly lanes = new Map<string, QueueEntry[]>();
  private order: string[] = [];
  private readonly ids = new Set<number>();

  constructor(readonly capacity: number) {}

  get depth(): number {
    return this.ids.size;
  }

  get full(): boolean {
    return this.ids.size >= this.capacity;
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** Adds a new submission unless the queue is full. */
  tryPush(entry: QueueEntry): boolean {
    if (this.full) return false;
    this.push(entry);
    return true;
  }

  /** Adds a submission that was accepted already, full or not. */
  push(entry: QueueEntry): void {
    if (this.ids.has(entry.id)) return;
    let lane = this.lanes.get(entry.circuit);
    if (!lane) {
      lane = [];
      this.lanes.set(entry.circuit, lane);
      this.order.push(entry.circuit);
    }
    lane.push(entry);
    this.ids.add(entry.id);
  }

  /** Puts entries taken earlier back at the head of their lane, in their order. */
  unshift(entries: readonly QueueEntry[]): void {
    for (const entry of [...entries].reverse()) {
      this.push(entry);
      const lane = this.lanes.get(entry.circuit) as QueueEntry[];
      lane.unshift(lane.pop() as QueueEntry);
    }
  }

  /** Waiting in one circuit's lane. */
  laneDepth(circuit: string): number {
    return this.lanes.get(circuit)?.length ?? 0;
  }

  /**
   * Up to `max` entries of the next circuit, in turn, whose key is `ready`; empty when none
   * is. The circuit taken from goes to the back of the turn.
   */
  take(max: number, ready: (circuit: string) => boolean): QueueEntry[] {
    for (let i = 0; i < this.order.length; i++) {
      const circuit = this.order[i] as string;
      const lane = this.lanes.get(circuit) as QueueEntry[];
      if (!ready(circuit)) continue;
      const batch = lane.splice(0, Math.max(1, max));
      for (const entry of batch) this.ids.delete(entry.id);
      this.order.splice(i, 1);
      if (lane.length > 0) this.order.push(circuit);
      else this.lanes.delete(circuit);
      return batch;
    }
    return [];
  }

  /** Takes a circuit's lane out whole (its key is gone; the proofs stay stored). */
  drop(circuit: string): QueueEntry[] {
    const lane = this.lanes.get(circuit) ?? [];
    this.lanes.delete(circuit);
    this.order = this.order.filter((c) => c !== circuit);
    for (const entry of lane) this.ids.delete(entry.id);
    return lane;
  }

  /** Lanes waiting, with their depth (for logs and the scheduler). */
  lanesWaiting(): Array<{ circuit: string; depth: number }> {
    return this.order.map((circuit) => ({
      circuit,
      depth: this.lanes.get(circuit)?.length ?? 0,
    }));
  }
}
