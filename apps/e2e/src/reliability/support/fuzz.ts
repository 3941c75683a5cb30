import fc from 'fast-check';

/** Seed of this run (RELIABILITY_SEED replays one); printed so a failure can be replayed. */
export const SEED = process.env['RELIABILITY_SEED'] ? Number(process.env['RELIABILITY_SEED']) : Date.now() % 2_147_483_647;

/** Scales the number of generated requests (RELIABILITY_SCALE=0.1 for a quick local run). */
export const SCALE = Number(process.env['RELIABILITY_SCALE'] ?? '1');

export interface FuzzStats {
  name: string;
  runs: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  slowestMs: number;
  elapsedMs: number;
}

/** Figures of every property of this run, for the summary line and docs/reliability.md. */
export const ALL_STATS: FuzzStats[] = [];

/**
 * Runs an async property `numRuns` times (one generated request each, sequentially on the
 * caller's keep-alive connection), counting what was sent and answered. fast-check shrinks a
 * failure to a small counterexample and reports the seed and path to replay it.
 */
export async function fuzz<T extends { kind: string }>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  check: (value: T) => Promise<number>,
): Promise<FuzzStats> {
  const stats: FuzzStats = { name, runs: 0, byKind: {}, byStatus: {}, slowestMs: 0, elapsedMs: 0 };
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      const t0 = Date.now();
      const status = await check(value);
      stats.runs += 1;
      stats.byKind[value.kind] = (stats.byKind[value.kind] ?? 0) + 1;
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      stats.slowestMs = Math.max(stats.slowestMs, Date.now() - t0);
    }),
    { numRuns: Math.max(1, Math.round(numRuns * SCALE)), seed: SEED, markInterruptAsFailure: true, reporter: report<T> },
  );
  stats.elapsedMs = Date.now() - started;
  ALL_STATS.push(stats);
  return stats;
}

/** Long strings and buffers shortened, so a counterexample with a 1 MB body stays readable. */
export function short(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && v.length > 300) return `${v.slice(0, 300)}…(${v.length} chars)`;
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      const text = Buffer.from((v as { data: number[] }).data).toString('utf8');
      return `Buffer(${text.length > 300 ? `${text.slice(0, 300)}…(${text.length} bytes)` : text})`;
    }
    return v;
  });
}

function report<T>(details: fc.RunDetails<[T]>): void {
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `Property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}", shrunk ${details.numShrinks} times)\n` +
      `Counterexample: ${short(details.counterexample?.[0])}\nCause: ${cause.slice(0, 3000)}`,
  );
}

/** Throws with the request and the answer when `ok` is false (fast-check then shrinks). */
export function check(ok: boolean, what: string, context: () => unknown): void {
  if (!ok) throw new Error(`${what}\n${short(context())}`);
}
