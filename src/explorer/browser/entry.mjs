// The explorer: GraphiQL 5 with queries over HTTP and subscriptions over graphql-ws, both
// carrying the Authorization header from the headers editor. Bundled by esbuild (build.ts).
import './workers.mjs';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient } from 'graphql-ws';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

const config = JSON.parse(document.getElementById('explorer-config').textContent);
const httpUrl = new URL(config.path, location.href).toString();
const wsUrl = httpUrl.replace(/^http/, 'ws');
const wsClients = new Map();

function wsClientFor(authorization) {
  if (!wsClients.has(authorization)) {
    wsClients.set(
      authorization,
      createClient({ url: wsUrl, connectionParams: { authorization }, lazy: true, retryAttempts: 3 }),
    );
  }
  return wsClients.get(authorization);
}

function operations(query) {
  // Operation keywords at the start of a line or of the document, outside comments.
  const code = (query ?? '').replace(/#[^\n]*/g, '');
  return [...code.matchAll(/(?:^|[\n}])\s*(query|mutation|subscription)\s*(\w*)/g)].map((m) => ({
    type: m[1],
    name: m[2] || null,
  }));
}

function fetcher(rawParams, options = {}) {
  // GraphiQL can hand over the operation name of the tab it came from: keep it only if it is
  // an operation of this document.
  const ops = operations(rawParams.query);
  const named = ops.find((o) => o.name === rawParams.operationName);
  const params = named || ops.length !== 1 ? rawParams : { ...rawParams, operationName: ops[0].name ?? undefined };
  const chosen = named ?? ops[0];
  const headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
  const authorization = headers.authorization ?? headers.Authorization ?? '';
  if (chosen?.type === 'subscription') {
    const client = wsClientFor(authorization);
    return client.iterate(params);
  }
  return fetch(httpUrl, { method: 'POST', headers, body: JSON.stringify(params) }).then((r) => r.json());
}

createRoot(document.getElementById('graphiql')).render(
  createElement(GraphiQL, {
    fetcher,
    // Each tab carries the headers (with the key) too: GraphiQL gives new tabs none.
    defaultTabs: config.tabs.map((tab) => ({ ...tab, headers: config.headers })),
    defaultHeaders: config.headers,
    // GraphiQL fills the first tab's query from defaultTabs but not its variables or headers.
    initialVariables: config.tabs[0]?.variables,
    initialHeaders: config.headers,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: 'variables',
    shouldPersistHeaders: true,
  }),
);
