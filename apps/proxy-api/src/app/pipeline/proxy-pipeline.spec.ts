import { UsageNote } from '@lmarena-bridge/usage';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { ProxyError } from '../errors/proxy-error';
import type { ChatSample, ProxyMetrics } from '../ops/proxy-metrics.service';
import type { ChatAnswer } from '../providers/chat-provider';
import type { AnswerStep } from './answer.step';
import type { AuthenticateStep } from './authenticate.step';
import type { FailStep } from './fail.step';
import type { ForwardStep } from './forward.step';
import type { PolicyStep } from './policy.step';
import { ProxyPipeline } from './proxy-pipeline';
import type { ReadBodyStep } from './read-body.step';
import type { RecordStep } from './record.step';
import type { ResolvedRequest } from './resolve.step';
import type { ResolveStep } from './resolve.step';

const CALLER: ProxyCaller = { kind: 'api_key' };
const ANSWER: ChatAnswer = { kind: 'json', status: 200, body: {} };

/** Steps that log what they were called with; `failAt` makes one of them throw. */
function aPipeline(failAt?: string, forwardAnswer: ChatAnswer | null = ANSWER) {
  const calls: string[] = [];
  const notes = new Set<UsageNote>();
  const failure = ProxyError.unauthorized('no');
  const step =
    <T>(name: string, result: T) =>
    (...args: unknown[]) => {
      calls.push(name);
      for (const a of args) if (a instanceof UsageNote) notes.add(a);
      const input = args[0] as { note?: UsageNote } | undefined;
      if (input?.note instanceof UsageNote) notes.add(input.note);
      if (failAt === name) throw failure;
      return result;
    };
  const released: number[] = [];
  const target = { exchange: { shape: {} } } as ResolvedRequest;
  const samples: ChatSample[] = [];
  const pipeline = new ProxyPipeline(
    { run: async (...a: unknown[]) => step('authenticate', CALLER)(...a) } as unknown as AuthenticateStep,
    {
      check: (input: { note: UsageNote }) => {
        // A refusal of the IP rules marks the note, as the real step does.
        if (failAt === 'policy') input.note.refused = true;
        return step('policy', undefined)(input);
      },
      admit: async (...a: unknown[]) => step('limits', undefined)(...a),
    } as unknown as PolicyStep,
    { read: async (...a: unknown[]) => step('read body', { body: { model: 'm' }, release: () => released.push(1) })(...a) } as unknown as ReadBodyStep,
    { run: step('resolve', target) } as unknown as ResolveStep,
    { run: async (...a: unknown[]) => step('forward', forwardAnswer)(...a) } as unknown as ForwardStep,
    { run: async (...a: unknown[]) => step('answer', undefined)(...a) } as unknown as AnswerStep,
    { watch: step('record', undefined) } as unknown as RecordStep,
    { run: (err: unknown, ...a: unknown[]) => step(`fail: ${(err as Error).message}`, undefined)(...a) } as unknown as FailStep,
    { observe: (sample: ChatSample) => samples.push(sample) } as unknown as ProxyMetrics,
  );
  return { pipeline, calls, notes, released, failure, samples };
}

const req = { url: '/v1/chat/completions?x=1', headers: {} } as IncomingMessage;
const aResponse = () => Object.assign(new EventEmitter(), { writableFinished: true, statusCode: 200 }) as unknown as ServerResponse;
const res = aResponse();

describe('ProxyPipeline', () => {
  it('takes one metrics sample per request when its response closes, from the same note', async () => {
    const { pipeline, notes, samples } = aPipeline();
    const response = aResponse();
    await pipeline.run(req, response);
    expect(samples).toEqual([]);
    const note = [...notes][0];
    note.model = 'm';
    note.statusCode = 502;
    response.emit('close');
    expect(samples).toEqual([expect.objectContaining({ model: 'm', status: 502, upstreamMs: null })]);
  });

  it('runs the steps in order, handing one UsageNote (named for the path) to every step that notes something', async () => {
    const { pipeline, calls, notes, released } = aPipeline();
    await pipeline.run(req, res);
    expect(calls).toEqual(['authenticate', 'policy', 'read body', 'record', 'resolve', 'limits', 'forward', 'answer']);
    expect(notes.size).toBe(1);
    expect([...notes][0].endpoint).toBe('/v1/chat/completions');
    expect(released).toEqual([1]);
  });

  it('refuses before reading: an authentication failure goes to the fail step, with no body read and no row', async () => {
    const { pipeline, calls, released } = aPipeline('authenticate');
    await expect(pipeline.run(req, res)).resolves.toBeUndefined();
    expect(calls).toEqual(['authenticate', 'fail: no']);
    expect(released).toEqual([]);
  });

  it('a refusal of the IP rules also stops before the body, and is recorded', async () => {
    const { pipeline, calls, released } = aPipeline('policy');
    await pipeline.run(req, res);
    expect(calls).toEqual(['authenticate', 'policy', 'record', 'fail: no']);
    expect(released).toEqual([]);
  });

  it('a body that cannot be read is answered and not recorded', async () => {
    const { pipeline, calls } = aPipeline('read body');
    await pipeline.run(req, res);
    expect(calls).toEqual(['authenticate', 'policy', 'read body', 'fail: no']);
  });

  it.each(['resolve', 'limits', 'forward', 'answer'])('an error in %s is answered by the fail step and the body share is released', async (name) => {
    const { pipeline, calls, released } = aPipeline(name);
    await expect(pipeline.run(req, res)).resolves.toBeUndefined();
    expect(calls[calls.length - 1]).toBe('fail: no');
    expect(calls).toContain('record');
    expect(released).toEqual([1]);
  });

  it('answers nobody when the client left before the provider answered', async () => {
    const { pipeline, calls } = aPipeline(undefined, null);
    await pipeline.run(req, res);
    expect(calls).toEqual(['authenticate', 'policy', 'read body', 'record', 'resolve', 'limits', 'forward']);
  });
});
