import { GraphQLError } from 'graphql';

/**
 * The one list of error codes. `client`: the client sees the error as it is (its own words);
 * `masked`: the client sees only the code and a request id, the log has the detail. The last
 * group are the codes Apollo Server and graphql-js give to protocol errors (parse, validation,
 * operation resolution), which the WebSocket path reproduces.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: 'client',
  NOT_FOUND: 'client',
  CONFLICT: 'client',
  UNAUTHENTICATED: 'client',
  FORBIDDEN: 'client',
  QUERY_TOO_COMPLEX: 'client',
  TOO_MANY_SUBSCRIPTIONS: 'client',
  INTERNAL_SERVER_ERROR: 'masked',
  GRAPHQL_PARSE_FAILED: 'client',
  GRAPHQL_VALIDATION_FAILED: 'client',
  BAD_REQUEST: 'client',
  PERSISTED_QUERY_NOT_FOUND: 'client',
  PERSISTED_QUERY_NOT_SUPPORTED: 'client',
  OPERATION_RESOLUTION_FAILURE: 'client',
} as const satisfies Record<string, 'client' | 'masked'>;

export type ErrorCode = keyof typeof ERROR_CODES;

function coded(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** The caller sent something we cannot use; `field` names the argument or input field. */
export function badUserInput(message: string, field?: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return coded('BAD_USER_INPUT', message, field ? { field, ...extensions } : extensions);
}

/** Also the answer for rows of projects the caller cannot see: no existence leak. */
export function notFound(type: string, id: string): GraphQLError {
  return coded('NOT_FOUND', `${type} ${id} was not found`, { type, id });
}

export function conflict(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return coded('CONFLICT', message, extensions);
}

export function unauthenticated(message = 'A valid API key is required (Authorization: Bearer <key>)'): GraphQLError {
  return coded('UNAUTHENTICATED', message);
}

export function forbidden(message: string): GraphQLError {
  return coded('FORBIDDEN', message);
}
