import { EventEmitter } from 'node:events';
import type { NumericLimits } from '../lib/effective-limits';
import type { AdmitInput, CounterSeed, SeedCounters } from '../lib/limit-store';

/** A clock the test moves. */
export class FakeClock {
  constructor(public nowMs: number) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
  set(iso: string): void {
    this.nowMs = Date.parse(iso);
  }
}

export function someLimits(l: Partial<NumericLimits> = {}): NumericLimits {
  return { rpm: null, tpm: null, maxParallel: null, dailyRequests: null, monthlyTokens: null, monthlyBudgetUsd: null, ...l };
}

export function anAdmit(tokenId: number, limits: Partial<NumericLimits>, more: Partial<Omit<AdmitInput, 'tokenId' | 'limits'>> = {}): AdmitInput {
  return { tokenId, limits: someLimits(limits), estimateTokens: 0, estimateCostUsd: 0, leaseTtlMs: 600_000, ...more };
}

/** A CounterSeed standing in for the database's rollups: returns `counters` (changeable), records each call, fails while `failing`. */
export class RecordingSeed implements CounterSeed {
  readonly calls: Array<{ tokenId: number; dayStartMs: number; monthStartMs: number }> = [];
  failing: Error | null = null;
  /** How long a load takes beyond one tick (a slow database). */
  delayMs = 0;
  constructor(public counters: SeedCounters = { dayRequests: 0, monthTokens: 0, monthCostUsd: 0 }) {}

  async load(tokenId: number, dayStartMs: number, monthStartMs: number): Promise<SeedCounters> {
    this.calls.push({ tokenId, dayStartMs, monthStartMs });
    // A tick like a database round trip, so concurrent callers really overlap.
    await new Promise((resolve) => (this.delayMs ? setTimeout(resolve, this.delayMs) : setImmediate(resolve)));
    if (this.failing) throw this.failing;
    return { ...this.counters };
  }
}

/** Records what a store logs, and emits 'warn' / 'log' so a test can await the next line. */
export class RecordingLogger extends EventEmitter {
  readonly warnings: string[] = [];
  readonly logs: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
    this.emit('warn', message);
  }
  log(message: string): void {
    this.logs.push(message);
    this.emit('log', message);
  }
}
