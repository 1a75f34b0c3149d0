import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type ContextFunction } from '@apollo/server';
import { BodyReadError, readBody } from './body';

export interface GraphQLHttpOptions<C extends BaseContext, P> {
  /**
   * Runs on the headers alone, before a byte of the body is read: null refuses the request
   * with 401 UNAUTHENTICATED and the connection closes, so a client without a valid key costs
   * one key lookup, never a body read or a JSON parse.
   */
  authenticate(req: IncomingMessage): Promise<P | null>;
  context: ContextFunction<[{ req: IncomingMessage; principal: P }], C>;
  maxBodyBytes: number;
}

const UNAUTHENTICATED_BODY = JSON.stringify({
  errors: [
    {
      message: 'A valid API key is required (Authorization: Bearer <key>)',
      extensions: { code: 'UNAUTHENTICATED' },
    },
  ],
});

/** A GraphQL-shaped error for requests that never reach GraphQL (body too large, not JSON). */
export function sendBodyError(res: ServerResponse, status: number, message: string): void {
  const code = status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/**
 * /graphql over plain Node http, through Apollo's integration API (executeHTTPGraphQLRequest):
 * the request never passes Express's router and body parsers, which cost more than Apollo
 * itself for small operations (see bench/PROFILE.md, G2).
 */
export function graphqlHttpHandler<C extends BaseContext, P>(
  apollo: ApolloServer<C>,
  options: GraphQLHttpOptions<C, P>,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const principal = await options.authenticate(req);
    if (principal === null) {
      // `connection: close`: Node discards what is left of the body without buffering it and
      // ends the connection, instead of parsing it as the next request.
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      res.end(UNAUTHENTICATED_BODY);
      return;
    }
    let body: unknown;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req, options.maxBodyBytes);
      } catch (e) {
        if (e instanceof BodyReadError && e.status === 413) {
          sendBodyError(res, 413, `Request body is larger than ${options.maxBodyBytes} bytes (MAX_BODY_BYTES)`);
        } else {
          sendBodyError(res, 400, 'Request body could not be read');
        }
        return;
      }
      if (/\bjson\b/i.test(req.headers['content-type'] ?? '')) {
        try {
          body = text.length ? JSON.parse(text) : {};
        } catch {
          sendBodyError(res, 400, 'Request body is not valid JSON');
          return;
        }
      } else {
        body = text;
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? 'GET').toUpperCase(),
        headers,
        search: q === -1 ? '' : url.slice(q),
        body,
      },
      context: () => options.context({ req, principal }),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
