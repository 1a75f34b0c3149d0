import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ERROR_CODES, type ErrorCode } from '../errors';
import type { Logger } from '../logger';

/** Codes a client may see as they are (derived from the one list); anything else is masked. */
const CLIENT_CODES: ReadonlySet<string> = new Set(
  (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => ERROR_CODES[code] === 'client'),
);

// graphql-js's "Did you mean ...?" hints name fields, arguments, types and enum values: with
// introspection off they would leak the schema one guess at a time.
const SUGGESTION = / ?Did you mean .+?\?(?=$|;|\n)/g;

export interface ErrorPolicyOptions {
  /** Introspection off: no message may suggest a name of the schema. */
  hideSchemaDetails: boolean;
}

/** What a client sees of an error: its own words for expected errors, a request id otherwise. */
function clientError(
  formatted: GraphQLFormattedError,
  requestId?: string,
  options: ErrorPolicyOptions = { hideSchemaDetails: false },
): GraphQLFormattedError {
  const extensions = formatted.extensions ?? {};
  const code = extensions.limit ? 'QUERY_TOO_COMPLEX' : extensions.code;
  if (typeof code === 'string' && CLIENT_CODES.has(code)) {
    const { http: _http, stacktrace: _stack, ...rest } = extensions;
    const message = options.hideSchemaDetails ? formatted.message.replace(SUGGESTION, '') : formatted.message;
    return { ...formatted, message, extensions: { ...rest, code } };
  }
  return {
    message: `Internal server error${requestId ? ` (request ${requestId})` : ''}`,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
  };
}

/** An error the client caused and may read: everything else is logged with the request id. */
function isExpected(error: GraphQLError): boolean {
  const code = error.extensions?.code;
  return typeof code === 'string' && CLIENT_CODES.has(code);
}

/**
 * The error policy of both transports: what is logged (unexpected errors, with the request id
 * and the detail) and what the client sees (a code, and for unexpected errors only the id).
 */
export interface ErrorPolicy {
  format(formatted: GraphQLFormattedError, requestId?: string): GraphQLFormattedError;
  /** Logs the errors that are not the client's doing, with the request id. */
  report(errors: readonly GraphQLError[], requestId: string | undefined): void;
  /** report(), then the client's view of each error. */
  mask(errors: readonly GraphQLError[], requestId: string | undefined): GraphQLError[];
  /** Any thrown value: logged when unexpected, returned as the client's view. */
  fromThrown(err: unknown, requestId: string, message: string): GraphQLError;
  /**
   * For errors that may have been through the policy already (graphql-ws's onError gets what
   * onSubscribe returned, and a stream's failure raw): what mask() or fromThrown() returned and
   * errors with a client-facing code pass as they are (masked ones keep their request id and
   * are not logged twice); anything else, a code of its own or not, is reported and masked.
   */
  maskUnmasked(errors: readonly GraphQLError[], requestId: string | undefined): GraphQLError[];
}

export function createErrorPolicy(logger: Logger, options: ErrorPolicyOptions): ErrorPolicy {
  const format = (formatted: GraphQLFormattedError, requestId?: string) => clientError(formatted, requestId, options);
  const report = (errors: readonly GraphQLError[], requestId: string | undefined) => {
    for (const e of errors)
      if (!isExpected(e)) logger.error({ err: e.originalError ?? e, requestId }, 'unexpected error');
  };
  /** Every error this policy handed out: the client's view already. */
  const handedOut = new WeakSet<GraphQLError>();
  const out = (formatted: GraphQLFormattedError) => {
    const error = toGraphQLError(formatted);
    handedOut.add(error);
    return error;
  };
  const mask = (errors: readonly GraphQLError[], requestId: string | undefined) => {
    report(errors, requestId);
    return errors.map((e) => out(format(e.toJSON(), requestId)));
  };
  return {
    format,
    report,
    mask,
    fromThrown(err, requestId, message) {
      if (err instanceof GraphQLError && isExpected(err)) return out(format(err.toJSON(), requestId));
      logger.error({ err, requestId }, message);
      return out(format({ message }, requestId));
    },
    maskUnmasked(errors, requestId) {
      return errors.map((e) => (handedOut.has(e) || isExpected(e) ? e : mask([e], requestId)[0]!));
    },
  };
}

export function toGraphQLError(formatted: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}
