import { AppConfig } from '@lmarena-bridge/config';
import { CallHandler, CanActivate, ForbiddenException, INestApplication, NestInterceptor } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import bodyParser from 'body-parser';
import { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { defer, from, isObservable, lastValueFrom, mergeAll, Observable } from 'rxjs';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { OpenAiExceptionFilter } from '../errors/openai-exception.filter';
import { ProxyError } from '../errors/proxy-error';
import { endJson } from '../http/end-json';
import { ChatController } from './chat.controller';
import { BodyMiddleware, jsonBodyReader } from './json-body-reader';

export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

type ChatRequest = IncomingMessage & { body?: unknown; user: ProxyCaller };

/** How every chat request body is read, on the front door and on the Express-routed path alike. */
export function chatBodyParserOptions(config: AppConfig): bodyParser.OptionsJson {
  // Any content type is read as JSON: OpenAI clients always send JSON, and a wrong header
  // should not turn a valid body into "missing model".
  return { limit: config.proxy.max_body_bytes, type: () => true };
}

/** The canonical spelling only; other spellings Express accepts (trailing slash, case) take the routed path. */
export function isChatCompletions(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || req.url === undefined) return false;
  const url = req.url;
  return url.startsWith(CHAT_COMPLETIONS_PATH) && (url.length === CHAT_COMPLETIONS_PATH.length || url[CHAT_COMPLETIONS_PATH.length] === '?');
}

interface Enhancers {
  guards: CanActivate[];
  interceptors: NestInterceptor[];
}

/** Class-level then method-level, as Nest orders them. */
function declared(key: string): unknown[] {
  return [...((Reflect.getMetadata(key, ChatController) ?? []) as unknown[]), ...((Reflect.getMetadata(key, ChatController.prototype.complete) ?? []) as unknown[])];
}

/**
 * The guard and interceptor instances ChatController.complete declares (@UseGuards,
 * @UseInterceptors), as Nest created them for ChatModule. The proxy refuses to start if one
 * cannot be found: a front door that silently skipped the bearer guard would be open.
 */
function resolveEnhancers(app: INestApplication): Enhancers {
  const owners = [...app.get(ModulesContainer).values()].filter((moduleRef) => moduleRef.controllers.has(ChatController));
  if (owners.length !== 1) throw new Error(`The chat front door needs ChatController in exactly one module, found ${owners.length}`);
  const injectables = owners[0].injectables;
  const resolve = <T>(enhancer: unknown): T => {
    if (typeof enhancer !== 'function') return enhancer as T; // an instance passed to @UseGuards(new X())
    const instance = injectables.get(enhancer as never)?.instance;
    if (!instance) throw new Error(`The chat front door cannot resolve ${(enhancer as { name?: string }).name} declared on ChatController.complete`);
    return instance as T;
  };
  const enhancers = { guards: declared(GUARDS_METADATA).map((g) => resolve<CanActivate>(g)), interceptors: declared(INTERCEPTORS_METADATA).map((i) => resolve<NestInterceptor>(i)) };
  if (enhancers.guards.length === 0) throw new Error('ChatController.complete declares no guard: the chat front door will not serve it unauthenticated');
  return enhancers;
}

async function settle<T>(result: T | Promise<T> | Observable<T>): Promise<T> {
  return isObservable(result) ? lastValueFrom(result) : result;
}

/**
 * Answers `POST /v1/chat/completions` straight from Node's 'request' event, before Express.
 *
 * Why: the proxy's own work per request (token cache, validation, forwarding, usage) costs a
 * fraction of what Express's router and request/response prototypes and Nest's route
 * execution add on top. Measured on the 2-core machine at 64 connections (docs/benchmarks.md):
 * through Express and Nest's router the proxy spent ~250–300 µs of CPU per request, ~100 µs
 * through this front door; a bare Nest + Express route with only a guard and an interceptor
 * reaches 1/5 of a bare Node server's req/s.
 *
 * What it keeps: the body is read as body-parser reads it on the routed path (jsonBodyReader:
 * the same result, faster for plain UTF-8 bodies, body-parser itself for the rest); then the
 * enhancers ChatController.complete declares run exactly as Nest's router runs them — every
 * guard in order (ProxyAuthGuard: passport-http-bearer), then the interceptors wrapped around
 * the handler (UsageInterceptor), then the handler — and any error goes to the global
 * OpenAiExceptionFilter. What it drops is Nest's per-call machinery around them (rxjs defer and
 * mergeAll with an AsyncResource bound per interceptor call — on Node 20 each bind also builds
 * deprecation wrappers; running the same enhancers through Nest's ExternalContextCreator cost
 * ~100 µs a request more than this runner) and Express. The proxy registers no global guards, interceptors or pipes, and the
 * handler takes only @Req() and @Res(); a spec proves the front door and the Express route
 * answer and record alike. Every other request goes to Express unchanged.
 *
 * Call after `app.init()`.
 */
export function installChatFrontDoor(app: INestApplication, config: AppConfig): void {
  const server = app.getHttpServer() as Server;
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) throw new Error(`Expected one request listener (Express) on the proxy's server, found ${listeners.length}`);
  const express = listeners[0];

  const controller = app.get(ChatController);
  const filter = app.get(OpenAiExceptionFilter);
  const { guards, interceptors } = resolveEnhancers(app);
  const readJson = jsonBodyReader(config.proxy.max_body_bytes, bodyParser.json(chatBodyParserOptions(config)) as BodyMiddleware);
  const handler = ChatController.prototype.complete;

  const fail = (err: unknown, context: ExecutionContextHost, res: ServerResponse) => {
    try {
      filter.catch(err, context);
    } catch {
      if (!res.headersSent && !res.destroyed) {
        endJson(res, 500, new ProxyError(500, 'server_error', 'internal_error', 'The proxy failed to handle this request.').body());
      } else {
        res.destroy();
      }
    }
  };

  /** Interceptors wrap each other outermost-first, the handler innermost, as in Nest. */
  const intercept = (context: ExecutionContextHost, req: ChatRequest, res: ServerResponse, i: number): Observable<unknown> => {
    // Lazy like Nest's: the handler runs when the innermost interceptor subscribes.
    if (i === interceptors.length) return defer(() => controller.complete(req, res));
    const next: CallHandler = { handle: () => intercept(context, req, res, i + 1) };
    const out = interceptors[i].intercept(context, next);
    return isObservable(out) ? out : from(out).pipe(mergeAll());
  };

  const serve = async (context: ExecutionContextHost, req: ChatRequest, res: ServerResponse): Promise<void> => {
    for (const guard of guards) {
      // A guard that answers false gets what Nest's router gives it: ForbiddenException.
      if (!(await settle(guard.canActivate(context)))) throw new ForbiddenException('Forbidden resource');
    }
    await lastValueFrom(intercept(context, req, res, 0), { defaultValue: undefined });
  };

  server.removeListener('request', express);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!isChatCompletions(req)) return express(req, res);
    const context = new ExecutionContextHost([req, res], ChatController, handler);
    readJson(req, res, (err?: unknown) => {
      if (err) return fail(err, context, res);
      serve(context, req as ChatRequest, res).catch((e: unknown) => fail(e, context, res));
    });
  });
}
