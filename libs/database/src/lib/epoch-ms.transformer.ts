import { ValueTransformer } from 'typeorm';

/**
 * Timestamps are stored as integer milliseconds since the Unix epoch (UTC) on both SQLite
 * and PostgreSQL: one exact, portable representation that sorts and buckets by day with
 * plain integer arithmetic. PostgreSQL hands bigint back as a string, hence the Number().
 */
export const epochMs: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : (value ?? null)),
  from: (value: string | number | null) => (value === null || value === undefined ? null : new Date(Number(value))),
};

/** bigint counters come back as strings from PostgreSQL. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value ?? null,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};
