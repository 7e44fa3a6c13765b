/**
 * Signatures this gateway process has accepted, until they expire (their timestamp plus the
 * tolerance). A hit is a replay and is refused with 409 before it reaches Temporal. Bounded: at
 * most `max` entries; beyond that the oldest are forgotten early, which is safe because the
 * controller also dedupes by delivery id (authoritative across gateway processes and restarts).
 */
export class ReplayCache {
  private readonly entries = new Map<string, number>();

  constructor(private readonly max = 10_000) {}

  /** False if `id` is live (a replay); otherwise reserves it until `expiresAtMs`. */
  claim(id: string, expiresAtMs: number, nowMs: number): boolean {
    const known = this.entries.get(id);
    if (known !== undefined && known > nowMs) return false;
    this.entries.delete(id);
    this.sweep(nowMs);
    this.entries.set(id, expiresAtMs);
    return true;
  }

  /** Undoes a claim whose delivery failed, so the sender's retry is not taken for a replay. */
  release(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(nowMs: number): void {
    // Insertion order is roughly expiry order; drop expired ones from the front, then the oldest over the cap.
    for (const [id, exp] of this.entries) {
      if (exp > nowMs && this.entries.size < this.max) break;
      this.entries.delete(id);
    }
  }
}
