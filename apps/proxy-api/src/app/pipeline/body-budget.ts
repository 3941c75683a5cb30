/**
 * The request bodies in flight across all concurrent requests, in bytes: each request
 * reserves its body's size before reading it and releases it when its exchange ends, so
 * parallel uploads cannot hold more than `limit` bytes of bodies (buffers and parsed JSON).
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit; false (and nothing taken) if not. */
  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
