import { AsyncLocalStorage } from 'node:async_hooks';
import { setCurrentOtelContext, useOpenTelemetry } from '@envelop/opentelemetry';
import { type Context, context as otelContext, type ContextManager, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Plugin } from 'graphql-yoga';
import type { StatementObserver } from '../db';
import { REQUEST_ID_HEADER } from './request-log';

/** The name our spans' tracer goes by (the service's name is the provider's resource, src/main.ts). */
export const TRACER_NAME = 'claimgraph';
/** Characters of a statement's SQL a span keeps. */
const SQL_CHARS = 1000;

/**
 * OpenTelemetry's context carried across awaits by AsyncLocalStorage, so that a SQL statement's
 * span finds the execution it runs in. (@opentelemetry/context-async-hooks does the same; these few
 * lines spare a package.)
 */
class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args));
  }
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]) => this.with(context, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

let contextManagerSet = false;

/**
 * Spans for every request: one for the request (method and path, status, request id), with
 * `graphql.parse`, `graphql.validate` and the operation's execution (the envelop OpenTelemetry
 * plugin's `query.Name` span) beneath it, and a `sql` span for each statement beneath the
 * execution. Only installed when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT): off, it costs nothing.
 */
export function useTracing(provider: TracerProvider): { plugin: Plugin; observeStatement: StatementObserver } {
  if (!contextManagerSet) contextManagerSet = otelContext.setGlobalContextManager(new AsyncLocalContextManager());
  const tracer = provider.getTracer(TRACER_NAME);
  const requests = new WeakMap<Request, { span: Span; context: Context }>();
  const within = (graphqlContext: unknown) => requests.get((graphqlContext as { request: Request }).request)?.context;
  const phase = (name: string, graphqlContext: unknown) => tracer.startSpan(name, { kind: SpanKind.INTERNAL }, within(graphqlContext) ?? otelContext.active());
  const plugin: Plugin = {
    onPluginInit({ addPlugin }) {
      addPlugin(useOpenTelemetry({ resolvers: false, variables: false, result: false, document: true }, provider, SpanKind.INTERNAL, {}, TRACER_NAME) as Plugin);
    },
    onRequest({ request, url }) {
      const span = tracer.startSpan(`${request.method} ${url.pathname}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': url.pathname },
      });
      requests.set(request, { span, context: trace.setSpan(ROOT_CONTEXT, span) });
    },
    onParams({ request, context }) {
      const entry = requests.get(request);
      // The execution's span (envelop's plugin) starts beneath the request's.
      if (entry) setCurrentOtelContext(context, entry.context);
    },
    onParse({ context }) {
      const span = phase('graphql.parse', context);
      return ({ result }) => {
        if (result instanceof Error) span.setStatus({ code: SpanStatusCode.ERROR, message: result.message });
        span.end();
      };
    },
    onValidate({ context }) {
      const span = phase('graphql.validate', context);
      return ({ valid }) => {
        if (!valid) span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid operation' });
        span.end();
      };
    },
    onResponse({ request, response }) {
      const entry = requests.get(request);
      if (!entry) return;
      entry.span.setAttribute('http.response.status_code', response.status);
      const id = response.headers.get(REQUEST_ID_HEADER);
      if (id) entry.span.setAttribute('claimgraph.request_id', id);
      if (response.status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
      entry.span.end();
    },
  };
  const observeStatement: StatementObserver = (source, startedAt, ms) => {
    const active = otelContext.active();
    if (!trace.getSpan(active)) return;
    tracer
      .startSpan('sql', { kind: SpanKind.CLIENT, startTime: startedAt, attributes: { 'db.system.name': 'sqlite', 'db.query.text': source.slice(0, SQL_CHARS) } }, active)
      .end(startedAt + ms);
  };
  return { plugin, observeStatement };
}

/**
 * The process's tracer provider when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans are batched and
 * sent over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`. Call shutdown() when stopping to send the last.
 */
export function otlpTracerProvider(endpoint: string, serviceName: string): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }))],
  });
}
