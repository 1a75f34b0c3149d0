// A reference for G2: the same @apollo/server with a one-field schema, no plugins, no auth, no
// limits, served by a plain Node http handler. What runledger costs above it is its own
// pipeline; what it costs below the plain http floor is Apollo's.
import http from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';

const apollo = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: { Query: { ok: () => true } } });

async function main() {
  await apollo.start();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      apollo
        .executeHTTPGraphQLRequest({
          httpGraphQLRequest: {
            method: req.method ?? 'POST',
            headers,
            search: '',
            body: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
          },
          context: async () => ({}),
        })
        .then((r) => {
          for (const [k, v] of r.headers) res.setHeader(k, v);
          res.statusCode = r.status ?? 200;
          res.end(r.body.kind === 'complete' ? r.body.string : '');
        })
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    console.log(`bare apollo listening on http://127.0.0.1:${address.port}`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
void main();
