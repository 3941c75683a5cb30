import { requestIdOf } from '@lmarena-bridge/server';
import { CLIENT_CLOSED_REQUEST, requestPath, UsageNote } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyMetrics } from '../ops/proxy-metrics.service';
import { CHAT_ENDPOINT } from '../endpoints/chat.endpoint';
import type { Endpoint } from '../endpoints/endpoint';
import { AnswerStep } from './answer.step';
import { AuthenticateStep } from './authenticate.step';
import { FailStep } from './fail.step';
import { ForwardStep } from './forward.step';
import { PolicyStep } from './policy.step';
import { BodyLease, ReadBodyStep } from './read-body.step';
import { RecordStep } from './record.step';
import { ResolveStep } from './resolve.step';

/**
 * The request path of a proxied endpoint, in order:
 *
 *   authenticate (headers only) -> policy: IP rules -> read body (bounded) -> record armed ->
 *   resolve model + provider -> policy: models and limits -> forward -> answer;
 *   any error -> fail (the OpenAI error shape)
 *
 * One UsageNote per request, created here and handed to the steps that note something; the
 * record step turns it into the usage row when the response closes. Nothing is kept on
 * req/res, and nothing depends on how a request got here: the fast path (front-door.ts,
 * below Express) and the Express routes (ChatController, EndpointsController) call `run` with
 * their endpoint (endpoints/: chat, embeddings, completions, Responses, Anthropic Messages),
 * which supplies the body's validation, the exchange with the provider, the answer's shape and
 * the error shape. It never rejects.
 * Every request that enters is also one metrics sample, whoever made it (dashboard token,
 * shared api_key, open proxy or nobody: refusals count too), read from the same note.
 */
@Injectable()
export class ProxyPipeline {
  constructor(
    private readonly authenticate: AuthenticateStep,
    private readonly policy: PolicyStep,
    private readonly body: ReadBodyStep,
    private readonly resolve: ResolveStep,
    private readonly forward: ForwardStep,
    private readonly answer: AnswerStep,
    private readonly record: RecordStep,
    private readonly fail: FailStep,
    private readonly metrics: ProxyMetrics,
  ) {}

  async run(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint = CHAT_ENDPOINT): Promise<void> {
    const note = new UsageNote(requestPath(req));
    this.observe(res, note);
    let lease: BodyLease | null = null;
    let recorded = false;
    try {
      const caller = await this.authenticate.run(req, note, endpoint.acceptsXApiKey === true);
      this.policy.check({ req, caller, note });
      lease = await this.body.read(req, res);
      // A row for every request with a readable body, whatever follows: a body that cannot
      // be read (not JSON, too large, no room) names no model and is answered, not recorded.
      this.record.watch(res, note);
      recorded = true;
      const target = this.resolve.run(lease.body, note, endpoint);
      await this.policy.admit({ caller, note, target, res });
      const answer = await this.forward.run(target, res, note, requestIdOf(req));
      if (answer) await this.answer.run(answer, target.exchange.shape, res, note);
    } catch (err) {
      // A token refused by its IP rules is recorded too (without a model: its body was not read).
      if (note.refused && !recorded) this.record.watch(res, note);
      this.fail.run(err, req, res, note, endpoint.errors);
    } finally {
      lease?.release();
    }
  }

  private observe(res: ServerResponse, note: UsageNote): void {
    res.once('close', () => {
      this.metrics.observe({
        model: note.model,
        status: res.writableFinished ? (note.statusCode ?? res.statusCode) : CLIENT_CLOSED_REQUEST,
        durationMs: note.elapsedMs(),
        upstreamMs: note.upstreamMs,
        ttftMs: note.ttftMs,
        promptTokens: note.promptTokens,
        completionTokens: note.completionTokens,
      });
    });
  }
}
