import { GraphQLError } from 'graphql';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'QUERY_TOO_COMPLEX'
  | 'INTERNAL_SERVER_ERROR';

function coded(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** The caller sent something we cannot use; `field` names the argument or input field. */
export function badUserInput(message: string, field?: string): GraphQLError {
  return coded('BAD_USER_INPUT', message, field ? { field } : {});
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
