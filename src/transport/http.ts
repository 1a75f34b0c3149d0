import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema } from 'graphql';
import { bearerSecret } from '../auth/principal';
import { scopeOf } from '../auth/scope';
import { createContext, type Context, type ContextDeps } from '../context';
import type { Admission } from '../graphql/admission';
import type { ErrorPolicy } from '../graphql/errorPolicy';
import { createLoaders } from '../loaders';
import type { Logger } from '../logger';
import type { Metrics } from '../observability/metrics';
import { graphqlHttpHandler } from './nodeHttp';

export interface HttpTransportOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  admission: Admission;
  errors: ErrorPolicy;
  deps: ContextDeps;
  metrics: Metrics;
  logger: Logger;
  /** Off: no message suggests a name of the schema (see also the admission's introspection rule). */
  introspection: boolean;
  /** MAX_BODY_BYTES */
  maxBodyBytes: number;
  /** Runs while Apollo drains: the WebSocket transport closes its sockets here. */
  onDrain?(): Promise<void>;
}

export interface HttpTransport {
  /** /graphql over node:http (POST straight from the server, GET through the routes). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to 10 s), runs onDrain. */
  stop(): Promise<void>;
}

/** Apollo Server over node:http: a thin adapter around admission and the error policy. */
export async function createHttpTransport(options: HttpTransportOptions): Promise<HttpTransport> {
  const { schema, admission, errors, deps, metrics, logger } = options;

  const admissionPlugin: ApolloServerPlugin<Context> = {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async didResolveOperation({ document, request: req }) {
          const admitted = admission.admit({
            principal: contextValue.principal ?? null,
            document,
            operationName: req.operationName,
            variables: req.variables,
          });
          // The context was built before Apollo parsed: the request's loaders are made now,
          // for the fields the admitted operation selects, before anything executes.
          contextValue.loaders = createLoaders(deps.db, admitted.scope, admitted.selection);
        },
        async didEncounterErrors({ errors: encountered }) {
          errors.report(encountered, contextValue.requestId);
        },
        async willSendResponse({ response, errors: encountered, operationName }) {
          // Apollo sets operationName only for a document that parsed, validated and resolved.
          const operation = metrics.operationLabel(operationName);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const outcome = encountered?.length ? 'error' : 'ok';
          metrics.requests.inc({ operation, outcome });
          metrics.duration.observe({ operation }, seconds);
          response.http.headers.set('x-request-id', contextValue.requestId);
          if (response.body.kind === 'single' && response.body.singleResult.errors) {
            response.body.singleResult.errors = response.body.singleResult.errors.map((e) =>
              errors.format(e, contextValue.requestId),
            );
          }
          logger.info(
            { requestId: contextValue.requestId, operation, durationMs: Math.round(seconds * 1000), outcome },
            'graphql request',
          );
        },
      };
    },
  };

  const apollo = new ApolloServer<Context>({
    schema,
    // Introspection is refused by the admission's validation rule, the same one the WebSocket
    // path runs; Apollo's own switch would be a second, HTTP-only copy.
    introspection: true,
    hideSchemaDetailsFromClientErrors: !options.introspection,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    parseOptions: admission.parseOptions,
    validationRules: [...admission.validationRules],
    // index.ts owns shutdown order (server, then pool, then PostgreSQL).
    stopOnTerminationSignals: false,
    formatError: (formatted) => errors.format(formatted),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer, stopGracePeriodMillis: 10_000 }),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL here; without this plugin Apollo stops wrapping every field
      // resolver (willResolveField), which cost more than the resolvers on nested pages.
      ApolloServerPluginCacheControlDisabled(),
      admissionPlugin,
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await options.onDrain?.();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const handle = graphqlHttpHandler(apollo, {
    maxBodyBytes: options.maxBodyBytes,
    // Refused from the headers, before the body is read: an unauthenticated client costs one lookup.
    authenticate: (req) => admission.authenticate(bearerSecret(req.headers.authorization), req.socket),
    context: async ({ principal }) => createContext(deps, scopeOf(principal), randomUUID(), undefined, principal),
  });
  return { handle, stop: () => apollo.stop() };
}
