import { BadRequestException, ExecutionContext } from '@nestjs/common';
import { BodyDepthGuard, jsonDepth, MAX_BODY_DEPTH } from './body-depth.guard';

const contextWith = (body: unknown) => ({ switchToHttp: () => ({ getRequest: () => ({ body }) }) }) as unknown as ExecutionContext;
const nestedArrays = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('jsonDepth', () => {
  it.each<[unknown, number]>([
    [undefined, 0],
    ['x', 0],
    [{}, 1],
    [{ a: 1 }, 1],
    [{ a: { b: [1] } }, 3],
    [[[], [[]]], 3],
  ])('%j is %i deep', (value, depth) => {
    expect(jsonDepth(value)).toBe(depth);
  });

  it('measures nesting far beyond the call stack without recursion (stopping past the limit)', () => {
    expect(jsonDepth(nestedArrays(100_000))).toBe(MAX_BODY_DEPTH + 1);
  });
});

describe('BodyDepthGuard', () => {
  it('lets flat bodies and bodies up to the limit through', () => {
    expect(new BodyDepthGuard().canActivate(contextWith({ name: 'x' }))).toBe(true);
    expect(new BodyDepthGuard().canActivate(contextWith(nestedArrays(MAX_BODY_DEPTH)))).toBe(true);
  });

  it('refuses deeper bodies with a 400 in the validation shape', () => {
    expect(() => new BodyDepthGuard().canActivate(contextWith(nestedArrays(MAX_BODY_DEPTH + 1)))).toThrow(BadRequestException);
  });
});
