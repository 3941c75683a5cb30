import type { NumericLimits } from '../lib/effective-limits';
import { CounterSeedError, type Admission, type Lease, type LimitStore } from '../lib/limit-store';
import { anAdmit, FakeClock, RecordingSeed } from './builders';

/** How a spec makes the store under test: a fresh one on the given seed and clock. */
export interface StoreFactory {
  open(seed: RecordingSeed, clock: FakeClock): Promise<LimitStore>;
  close(): Promise<void>;
}

let nextTokenId = 1;
/** Every test uses tokens of its own, so stores sharing one Redis prefix never see each other's counters. */
function aTokenId(): number {
  return nextTokenId++ + Math.floor(Math.random() * 1e6) * 1000;
}

function leaseOf(a: Admission): Lease {
  if (!a.ok) throw new Error(`expected an admission, got a refusal: ${a.refusal}`);
  return a.lease;
}

function refusalOf(a: Admission): { refusal: string; retryAfterSeconds: number } {
  if (a.ok) throw new Error('expected a refusal, got an admission');
  return { refusal: a.refusal, retryAfterSeconds: a.retryAfterSeconds };
}

/** Admits n requests one after another and tells which were admitted. */
async function inSequence(store: LimitStore, n: number, tokenId: number, limits: Partial<NumericLimits>, more = {}): Promise<Admission[]> {
  const out: Admission[] = [];
  for (let i = 0; i < n; i++) out.push(await store.admit(anAdmit(tokenId, limits, more)));
  return out;
}

const okCount = (list: Admission[]): number => list.filter((a) => a.ok).length;

/**
 * The LimitStore semantics (see limit-store.ts), one suite for every implementation. Time is the
 * test's clock throughout, so every figure is exact.
 */
export function limitStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name}: the LimitStore contract`, () => {
    let seed: RecordingSeed;
    let clock: FakeClock;
    let store: LimitStore;

    beforeEach(async () => {
      seed = new RecordingSeed();
      clock = new FakeClock(Date.parse('2031-03-15T12:00:00.000Z'));
      store = await factory.open(seed, clock);
    });
    afterAll(() => factory.close());

    describe('rpm', () => {
      it('a fresh token gets exactly rpm from a burst, then one more every 60/rpm seconds', async () => {
        const t = aTokenId();
        const burst = await inSequence(store, 10, t, { rpm: 6 });
        expect(burst.map((a) => a.ok)).toEqual([true, true, true, true, true, true, false, false, false, false]);
        expect(burst[0].state).toEqual({ requests: { limit: 6, remaining: 5, resetMs: 10_000 }, tokens: null });
        expect(burst[5].state).toEqual({ requests: { limit: 6, remaining: 0, resetMs: 60_000 }, tokens: null });
        expect(refusalOf(burst[6])).toEqual({ refusal: 'rpm', retryAfterSeconds: 10 });
        expect(burst[6].state.requests).toEqual({ limit: 6, remaining: 0, resetMs: 60_000 });

        clock.advance(9_999);
        expect(refusalOf(await store.admit(anAdmit(t, { rpm: 6 })))).toEqual({ refusal: 'rpm', retryAfterSeconds: 1 });
        clock.advance(1);
        const next = await store.admit(anAdmit(t, { rpm: 6 }));
        expect(next.ok).toBe(true);
        expect(next.state.requests).toEqual({ limit: 6, remaining: 0, resetMs: 60_000 });
        expect((await store.admit(anAdmit(t, { rpm: 6 }))).ok).toBe(false);
      });

      it('refills continuously, never above the capacity', async () => {
        const t = aTokenId();
        expect(okCount(await inSequence(store, 60, t, { rpm: 60 }))).toBe(60);
        clock.advance(2_500);
        // 2.5 tokens back: two whole requests.
        expect((await inSequence(store, 3, t, { rpm: 60 })).map((a) => a.ok)).toEqual([true, true, false]);
        clock.advance(3_600_000);
        expect(okCount(await inSequence(store, 61, t, { rpm: 60 }))).toBe(60);
      });

      it('concurrent admits of one process get exactly rpm', async () => {
        const t = aTokenId();
        const all = await Promise.all(Array.from({ length: 200 }, () => store.admit(anAdmit(t, { rpm: 50 }))));
        expect(okCount(all)).toBe(50);
      });

      it('a lowered limit caps what the bucket holds', async () => {
        const t = aTokenId();
        expect(okCount(await inSequence(store, 5, t, { rpm: 10 }))).toBe(5);
        expect(okCount(await inSequence(store, 10, t, { rpm: 3 }))).toBe(3);
      });

      it('rpm 0 refuses everything', async () => {
        const a = await store.admit(anAdmit(aTokenId(), { rpm: 0 }));
        expect(refusalOf(a)).toEqual({ refusal: 'rpm', retryAfterSeconds: 60 });
        expect(a.state.requests).toEqual({ limit: 0, remaining: 0, resetMs: 60_000 });
      });
    });

    describe('tpm', () => {
      it('reserves the estimate at admit and corrects it at settle', async () => {
        const t = aTokenId();
        const first = await store.admit(anAdmit(t, { tpm: 1000 }, { estimateTokens: 400 }));
        expect(first.state).toEqual({ requests: null, tokens: { limit: 1000, remaining: 600, resetMs: 24_000 } });
        const second = await store.admit(anAdmit(t, { tpm: 1000 }, { estimateTokens: 400 }));
        expect(second.state.tokens?.remaining).toBe(200);
        expect(refusalOf(await store.admit(anAdmit(t, { tpm: 1000 }, { estimateTokens: 400 })))).toEqual({ refusal: 'tpm', retryAfterSeconds: 12 });

        // Used 100 of the 400 reserved: 300 come back.
        await store.settle(leaseOf(first), { tokens: 100, costUsd: 0 });
        const third = await store.admit(anAdmit(t, { tpm: 1000 }, { estimateTokens: 400 }));
        expect(third.state.tokens?.remaining).toBe(100);
        // Used 1000 of 400: the bucket goes 600 below its level.
        await store.settle(leaseOf(second), { tokens: 1000, costUsd: 0 });
        const after = await store.admit(anAdmit(t, { tpm: 1000 }, { estimateTokens: 1 }));
        expect(refusalOf(after)).toEqual({ refusal: 'tpm', retryAfterSeconds: 31 });
        expect(after.state.tokens).toEqual({ limit: 1000, remaining: 0, resetMs: 90_000 });
        expect(await store.usageNow(t, { ...anAdmit(t, { tpm: 1000 }).limits })).toMatchObject({ minuteTokens: 1500, inFlight: 1 });
      });

      it('an estimate above the capacity passes on a full bucket and leaves it negative', async () => {
        const t = aTokenId();
        const big = await store.admit(anAdmit(t, { tpm: 100 }, { estimateTokens: 500 }));
        expect(big.state.tokens).toEqual({ limit: 100, remaining: 0, resetMs: 300_000 });
        expect(refusalOf(await store.admit(anAdmit(t, { tpm: 100 }, { estimateTokens: 500 })))).toEqual({ refusal: 'tpm', retryAfterSeconds: 300 });
        expect(refusalOf(await store.admit(anAdmit(t, { tpm: 100 }, { estimateTokens: 0 })))).toEqual({ refusal: 'tpm', retryAfterSeconds: 240 });
      });

      it('a refund never lifts the bucket above its capacity', async () => {
        const t = aTokenId();
        const a = await store.admit(anAdmit(t, { tpm: 100 }, { estimateTokens: 50 }));
        clock.advance(60_000);
        await store.settle(leaseOf(a), { tokens: 0, costUsd: 0 });
        const b = await store.admit(anAdmit(t, { tpm: 100 }, { estimateTokens: 10 }));
        expect(b.state.tokens?.remaining).toBe(90);
      });

      it('tpm 0 refuses everything', async () => {
        expect(refusalOf(await store.admit(anAdmit(aTokenId(), { tpm: 0 }, { estimateTokens: 0 })))).toEqual({ refusal: 'tpm', retryAfterSeconds: 60 });
      });
    });

    describe('max_parallel and leases', () => {
      it('counts leases in flight; settling frees a slot', async () => {
        const t = aTokenId();
        const [a, b, c] = await inSequence(store, 3, t, { maxParallel: 2 });
        expect([a.ok, b.ok]).toEqual([true, true]);
        expect(refusalOf(c)).toEqual({ refusal: 'max_parallel', retryAfterSeconds: 1 });
        expect((await store.usageNow(t, anAdmit(t, {}).limits)).inFlight).toBe(2);
        await store.settle(leaseOf(a), { tokens: 0, costUsd: 0 });
        expect((await store.admit(anAdmit(t, { maxParallel: 2 }))).ok).toBe(true);
      });

      it('concurrent admits of one process never exceed it', async () => {
        const t = aTokenId();
        const all = await Promise.all(Array.from({ length: 100 }, () => store.admit(anAdmit(t, { maxParallel: 4 }))));
        expect(okCount(all)).toBe(4);
      });

      it('a lease expires after its TTL (a crashed instance) and gives back its slot and reservation', async () => {
        const t = aTokenId();
        const limits = { maxParallel: 2, monthlyTokens: 1000 };
        const old = await inSequence(store, 2, t, limits, { estimateTokens: 600, leaseTtlMs: 60_000 });
        expect(okCount(old)).toBe(2);
        clock.advance(59_999);
        expect(refusalOf(await store.admit(anAdmit(t, limits)))).toEqual({ refusal: 'max_parallel', retryAfterSeconds: 1 });
        clock.advance(1);
        const fresh = await inSequence(store, 3, t, limits, { estimateTokens: 300, leaseTtlMs: 60_000 });
        expect(fresh.map((a) => a.ok)).toEqual([true, true, false]);
        // Settling an expired lease charges its usage but frees nobody else's slot.
        await store.settle(leaseOf(old[0]), { tokens: 10, costUsd: 0 });
        expect(refusalOf(await store.admit(anAdmit(t, limits)))).toEqual({ refusal: 'max_parallel', retryAfterSeconds: 1 });
        expect(await store.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ inFlight: 2, monthTokens: 10 });
      });
    });

    describe('daily_requests', () => {
      it('counts admitted requests per UTC day and resets at 00:00 UTC', async () => {
        clock.set('2031-03-15T23:59:58.000Z');
        const t = aTokenId();
        const day = await inSequence(store, 4, t, { dailyRequests: 3 });
        expect(okCount(day)).toBe(3);
        expect(refusalOf(day[3])).toEqual({ refusal: 'daily_requests', retryAfterSeconds: 2 });
        // Without rpm the requests headers show the day.
        expect(day[2].state.requests).toEqual({ limit: 3, remaining: 0, resetMs: 2_000 });
        expect(day[0].state.requests).toEqual({ limit: 3, remaining: 2, resetMs: 2_000 });
        clock.advance(2_000);
        const next = await store.admit(anAdmit(t, { dailyRequests: 3 }));
        expect(next.state.requests).toEqual({ limit: 3, remaining: 2, resetMs: 86_400_000 });
        expect(seed.calls.map((c) => new Date(c.dayStartMs).toISOString())).toEqual(['2031-03-15T00:00:00.000Z', '2031-03-16T00:00:00.000Z']);
      });

      it('rpm takes the requests headers when both are set; refused requests are not counted', async () => {
        const t = aTokenId();
        const [a, b] = await inSequence(store, 2, t, { rpm: 1, dailyRequests: 5 });
        expect(a.state.requests).toEqual({ limit: 1, remaining: 0, resetMs: 60_000 });
        expect(refusalOf(b).refusal).toBe('rpm');
        expect((await store.usageNow(t, anAdmit(t, {}).limits)).dayRequests).toBe(1);
      });
    });

    describe('monthly_tokens and monthly_budget_usd', () => {
      it('charges actual tokens at settle; estimates in flight count as reserved', async () => {
        const t = aTokenId();
        const limits = { monthlyTokens: 1000 };
        const held = await inSequence(store, 4, t, limits, { estimateTokens: 400 });
        // Reserved 0, 400, 800 < 1000: admitted; 1200: refused.
        expect(held.map((a) => a.ok)).toEqual([true, true, true, false]);
        expect(refusalOf(held[3]).refusal).toBe('monthly_tokens');
        for (const a of held.slice(0, 3)) await store.settle(leaseOf(a), { tokens: 300, costUsd: 0 });
        expect((await store.usageNow(t, anAdmit(t, limits).limits)).monthTokens).toBe(900);
        // 900 spent, nothing reserved: one more may start, whatever it will use.
        const last = await store.admit(anAdmit(t, limits, { estimateTokens: 400 }));
        await store.settle(leaseOf(last), { tokens: 200, costUsd: 0 });
        expect(refusalOf(await store.admit(anAdmit(t, limits))).refusal).toBe('monthly_tokens');
      });

      it('resets on the 1st of the month UTC (a leap February, and December into January)', async () => {
        const t = aTokenId();
        clock.set('2032-02-29T23:59:59.500Z');
        const a = await store.admit(anAdmit(t, { monthlyTokens: 10 }));
        await store.settle(leaseOf(a), { tokens: 10, costUsd: 0 });
        expect(refusalOf(await store.admit(anAdmit(t, { monthlyTokens: 10 })))).toEqual({ refusal: 'monthly_tokens', retryAfterSeconds: 1 });
        clock.advance(500);
        expect((await store.admit(anAdmit(t, { monthlyTokens: 10 }))).ok).toBe(true);

        const u = aTokenId();
        clock.set('2031-12-31T23:00:00.000Z');
        const b = await store.admit(anAdmit(u, { monthlyBudgetUsd: 1 }));
        await store.settle(leaseOf(b), { tokens: 0, costUsd: 1 });
        expect(refusalOf(await store.admit(anAdmit(u, { monthlyBudgetUsd: 1 })))).toEqual({ refusal: 'monthly_budget_usd', retryAfterSeconds: 3600 });
        clock.set('2032-01-01T00:00:00.000Z');
        expect((await store.admit(anAdmit(u, { monthlyBudgetUsd: 1 }))).ok).toBe(true);
        expect(seed.calls.filter((c) => c.tokenId === u).map((c) => new Date(c.monthStartMs).toISOString())).toEqual([
          '2031-12-01T00:00:00.000Z',
          '2032-01-01T00:00:00.000Z',
        ]);
      });

      it('counts cost in whole nano-USD: three times $0.1 is exactly $0.3', async () => {
        const t = aTokenId();
        const limits = { monthlyBudgetUsd: 0.3 };
        const held = await inSequence(store, 4, t, limits, { estimateCostUsd: 0.1 });
        expect(held.map((a) => a.ok)).toEqual([true, true, true, false]);
        expect(refusalOf(held[3]).refusal).toBe('monthly_budget_usd');
        for (const a of held.slice(0, 3)) await store.settle(leaseOf(a), { tokens: 5, costUsd: 0.1 });
        expect(await store.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ monthCostUsd: 0.3, monthTokens: 15, inFlight: 0 });
        expect(refusalOf(await store.admit(anAdmit(t, limits))).refusal).toBe('monthly_budget_usd');
      });

      it('a request may start while budget remains: the overshoot is what it spends', async () => {
        const t = aTokenId();
        let admitted = 0;
        for (;;) {
          const a = await store.admit(anAdmit(t, { monthlyBudgetUsd: 1 }));
          if (!a.ok) break;
          admitted++;
          await store.settle(a.lease, { tokens: 1, costUsd: 0.4 });
        }
        expect(admitted).toBe(3);
        expect((await store.usageNow(t, anAdmit(t, {}).limits)).monthCostUsd).toBeCloseTo(1.2, 9);
      });
    });

    describe('one step for every counter', () => {
      it('a refusal changes nothing', async () => {
        const t = aTokenId();
        const limits = { rpm: 10, tpm: 1000, dailyRequests: 1 };
        expect((await store.admit(anAdmit(t, limits, { estimateTokens: 100 }))).ok).toBe(true);
        expect(refusalOf(await store.admit(anAdmit(t, limits, { estimateTokens: 100 }))).refusal).toBe('daily_requests');
        expect(await store.usageNow(t, anAdmit(t, limits).limits)).toEqual({
          minuteRequests: 1,
          minuteTokens: 100,
          inFlight: 1,
          dayRequests: 1,
          monthTokens: 0,
          monthCostUsd: 0,
        });
      });

      it('refuses in the order rpm, tpm, max_parallel, daily_requests, monthly_tokens, monthly_budget_usd', async () => {
        const t = aTokenId();
        // Spend the month (1 token, $0.000001) and the day, then empty both buckets and hold a lease.
        await store.settle(leaseOf(await store.admit(anAdmit(t, {}))), { tokens: 1, costUsd: 0.000001 });
        expect((await store.admit(anAdmit(t, { rpm: 1, tpm: 1 }, { estimateTokens: 1 }))).ok).toBe(true);
        // Every check fails now; lifting them one at a time shows the order.
        const all: NumericLimits = { rpm: 1, tpm: 1, maxParallel: 1, dailyRequests: 1, monthlyTokens: 1, monthlyBudgetUsd: 0.000001 };
        const order = ['rpm', 'tpm', 'maxParallel', 'dailyRequests', 'monthlyTokens', 'monthlyBudgetUsd'] as const;
        const seen: string[] = [];
        for (let i = 0; i < order.length; i++) {
          const limits = { ...all };
          for (const k of order.slice(0, i)) limits[k] = null;
          seen.push(refusalOf(await store.admit(anAdmit(t, limits, { estimateTokens: 1 }))).refusal);
        }
        expect(seen).toEqual(['rpm', 'tpm', 'max_parallel', 'daily_requests', 'monthly_tokens', 'monthly_budget_usd']);
      });

      it('settling the same lease twice charges once', async () => {
        const t = aTokenId();
        const a = leaseOf(await store.admit(anAdmit(t, { tpm: 100 }, { estimateTokens: 10 })));
        await store.settle(a, { tokens: 30, costUsd: 0.5 });
        await store.settle(a, { tokens: 30, costUsd: 0.5 });
        expect(await store.usageNow(t, anAdmit(t, { tpm: 100 }).limits)).toMatchObject({ minuteTokens: 30, monthTokens: 30, monthCostUsd: 0.5, inFlight: 0 });
      });
    });

    describe('seeding from the database', () => {
      it('starts the day and month from the rollups, loading once per (token, period)', async () => {
        seed.counters = { dayRequests: 248, monthTokens: 900, monthCostUsd: 1.5 };
        const t = aTokenId();
        const limits = { dailyRequests: 250, monthlyTokens: 1000, monthlyBudgetUsd: 2 };
        const all = await Promise.all(Array.from({ length: 20 }, () => store.admit(anAdmit(t, limits))));
        expect(okCount(all)).toBe(2);
        expect(seed.calls).toEqual([{ tokenId: t, dayStartMs: Date.parse('2031-03-15T00:00:00Z'), monthStartMs: Date.parse('2031-03-01T00:00:00Z') }]);
        expect(await store.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ dayRequests: 250, monthTokens: 900, monthCostUsd: 1.5 });
        // A new day in the same month: the day alone is seeded again (the database knows the 250).
        seed.counters = { dayRequests: 0, monthTokens: 123_456, monthCostUsd: 99 };
        clock.set('2031-03-16T00:00:00.000Z');
        expect((await store.admit(anAdmit(t, limits))).ok).toBe(true);
        expect(seed.calls).toHaveLength(2);
        expect(await store.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ dayRequests: 1, monthTokens: 900, monthCostUsd: 1.5 });
      });

      it('a failing seed is a CounterSeedError and changes nothing; the next request seeds again', async () => {
        const t = aTokenId();
        seed.failing = new Error('connection refused');
        await expect(store.admit(anAdmit(t, { dailyRequests: 3 }))).rejects.toThrow(CounterSeedError);
        await expect(store.admit(anAdmit(t, { dailyRequests: 3 }))).rejects.toThrow(/token \d+.*connection refused/);
        seed.failing = null;
        seed.counters = { dayRequests: 2, monthTokens: 0, monthCostUsd: 0 };
        expect((await inSequence(store, 2, t, { dailyRequests: 3 })).map((a) => a.ok)).toEqual([true, false]);
      });

      it('usageNow reads the rollups for a period it has not seen, without keeping them', async () => {
        const t = aTokenId();
        seed.counters = { dayRequests: 5, monthTokens: 50, monthCostUsd: 0.05 };
        expect(await store.usageNow(t, anAdmit(t, { rpm: 10, tpm: 100 }).limits)).toEqual({
          minuteRequests: 0,
          minuteTokens: 0,
          inFlight: 0,
          dayRequests: 5,
          monthTokens: 50,
          monthCostUsd: 0.05,
        });
        seed.counters = { dayRequests: 7, monthTokens: 70, monthCostUsd: 0.07 };
        await store.admit(anAdmit(t, { rpm: 10 }));
        expect(await store.usageNow(t, anAdmit(t, { rpm: 10 }).limits)).toMatchObject({ minuteRequests: 1, dayRequests: 8, monthTokens: 70 });
      });
    });
  });
}
