import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import type { Knex } from 'knex';
import { authorizeOperation } from '../auth/permissions';
import { ConnectionDigests, authenticate, type Principal } from '../auth/principal';
import { scopeOf, type Scope } from '../auth/scope';
import { unauthenticated } from '../errors';
import { DocumentCache, type ParsedOperation } from './operationCache';
import { DEFAULT_QUERY_LIMITS, checkCost, limitRules, type QueryLimits } from './limits';
import { selectedFields, type Selection } from './selection';

export interface AdmissionOptions {
  schema: GraphQLSchema;
  db: Knex;
  /** ADMIN_API_KEY: accepted as an admin key for every project. */
  adminApiKey: string | undefined;
  /** Off: `__schema` and `__type` fail validation (on both transports, by the same rule). */
  introspection: boolean;
  /** Depth, cost, aliases, directives, tokens and response bytes (MAX_QUERY_* in config.ts). */
  limits?: QueryLimits;
  /** Budget of the WebSocket document cache (DOCUMENT_CACHE_BYTES). @default 16 MiB */
  documentCacheBytes?: number;
}

/** One operation as either transport received it, after parsing and validation. */
export interface AdmissionRequest {
  /** The caller, or null when the key was missing, unknown, revoked or expired. */
  principal: Principal | null;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface Admitted {
  principal: Principal;
  operation: OperationDefinitionNode;
  /** What the operation may see: taken from the principal, never wider. */
  scope: Scope;
  /** The fields it selects, by type: loaders read only the columns those need. */
  selection: Selection;
}

/**
 * The transport-neutral core of every request: both the Apollo plugin (HTTP) and graphql-ws's
 * onSubscribe call `admit`, and both parse and validate with `parseOptions` and
 * `validationRules`, so the two paths cannot drift apart.
 */
export interface Admission {
  /** Parse options both transports use (the token limit). */
  readonly parseOptions: ParseOptions;
  /**
   * Validation rules besides graphql-js's specified ones, for both transports: depth, aliases,
   * directives and, with introspection off, no introspection.
   */
  readonly validationRules: readonly ValidationRule[];
  /**
   * The principal of a bearer secret (null: missing, unknown, revoked or expired). `connection`
   * (HTTP: the socket): the secret's digest is computed once per connection and key.
   */
  authenticate(secret: string | null, connection?: object): Promise<Principal | null>;
  /**
   * For transports that parse themselves (WebSocket): parsed and validated by query text,
   * shared. Throws a GRAPHQL_PARSE_FAILED error for a syntax error.
   */
  prepare(query: string): ParsedOperation;
  /**
   * THE admission check, after validation: authenticated, exactly one operation resolved
   * (graphql-js's getOperationAST), every root field allowed to the principal's role, cost
   * within the limit with these variables. Throws a coded GraphQLError otherwise.
   */
  admit(request: AdmissionRequest): Admitted;
}

export function createAdmission(options: AdmissionOptions): Admission {
  const { schema, db, adminApiKey, limits = DEFAULT_QUERY_LIMITS } = options;
  const validationRules: ValidationRule[] = [
    ...limitRules(limits),
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  const parseOptions: ParseOptions = { maxTokens: limits.tokens };
  const digests = new ConnectionDigests();
  const documents = new DocumentCache(schema, validationRules, options.documentCacheBytes, parseOptions);
  return {
    parseOptions,
    validationRules,
    authenticate: (secret, connection) =>
      authenticate(
        db,
        secret,
        adminApiKey,
        secret !== null && connection ? digests.digest(connection, secret) : undefined,
      ),
    prepare(query) {
      try {
        return documents.get(query);
      } catch (e) {
        if (e instanceof GraphQLError && !e.extensions.code) {
          throw new GraphQLError(e.message, {
            nodes: e.nodes,
            source: e.source,
            positions: e.positions,
            extensions: { ...e.extensions, code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } },
          });
        }
        throw e;
      }
    },
    admit({ principal, document, operationName, variables }) {
      if (!principal) throw unauthenticated();
      const operation = getOperationAST(document, operationName ?? undefined);
      if (!operation) {
        throw new GraphQLError(
          operationName
            ? `Unknown operation named "${operationName}".`
            : 'Must provide operation name if query contains multiple operations.',
          { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } },
        );
      }
      authorizeOperation(principal, operation, document);
      // The name of the operation resolved, not the one the client sent.
      checkCost(schema, document, variables ?? undefined, operation.name?.value, limits);
      return { principal, operation, scope: scopeOf(principal), selection: selectedFields(schema, document) };
    },
  };
}
