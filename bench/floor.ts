// The "floor" for N2, G2 and M2: a plain Node http server that runs the minimal SQL for the run
// group page and returns the same JSON as runledger, answers `{ __typename }` with the same
// bytes, and runs updateStepStatus's statements for a step (/update). What runledger costs above this is the price of GraphQL, validation, auth and loaders.
import http from 'node:http';
import pg from 'pg';
import { prepared, updateStepDirectly } from './updateStatements';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const TYPENAME = JSON.stringify({ data: { __typename: 'Query' } });

async function page(id: string): Promise<unknown> {
  const q = async <T>(sql: string, params: unknown[]) => (await pool.query(prepared(sql, params))).rows as T[];
  const [group] = await q<{ id: string }>('select id from run_group where id = $1', [id]);
  if (!group) return { data: { runGroup: null } };
  const [counts, runs, total] = await Promise.all([
    q<{ n: number }>('select count(*)::int as n from run where run_group_id = $1', [id]),
    q<{ id: string; document_id: string }>(
      'select id, document_id from run where run_group_id = $1 order by created_at, id limit 100',
      [id],
    ),
    q<{ n: number }>('select count(*)::int as n from run where run_group_id = $1', [id]),
  ]);
  const runIds = runs.map((r) => r.id);
  const docIds = runs.map((r) => r.document_id);
  const [docs, uris, steps] = await Promise.all([
    q<{ id: string; hash: string }>('select id, hash from document where id = any($1)', [docIds]),
    q<{ document_id: string; uri: string }>(
      'select document_id, uri from document_uri where document_id = any($1) order by created_at, id',
      [docIds],
    ),
    q<{ id: string; run_id: string; name: string; status: string; worker_id: string | null }>(
      'select id, run_id, name, status, worker_id from step where run_id = any($1) order by number',
      [runIds],
    ),
  ]);
  const calls = await q<{ id: string; step_id: string; model: string; total_tokens: number | null }>(
    'select id, step_id, model, total_tokens from llm_call where step_id = any($1) order by created_at, id',
    [steps.map((s) => s.id)],
  );
  const files = await q<{ llm_call_id: string; kind: string; size_bytes: number }>(
    'select llm_call_id, kind, size_bytes::int from stored_file where llm_call_id = any($1)',
    [calls.map((c) => c.id)],
  );
  const group_ = <T, K extends keyof T>(rows: T[], key: K) => {
    const m = new Map<unknown, T[]>();
    for (const r of rows) m.set(r[key], [...(m.get(r[key]) ?? []), r]);
    return m;
  };
  const docById = new Map(docs.map((d) => [d.id, d]));
  const urisByDoc = group_(uris, 'document_id');
  const stepsByRun = group_(steps, 'run_id');
  const callsByStep = group_(calls, 'step_id');
  const filesByCall = group_(files, 'llm_call_id');
  const file = (callId: string, kind: string) => {
    const f = filesByCall.get(callId)?.find((x) => x.kind === kind);
    return f ? { sizeBytes: f.size_bytes } : null;
  };
  return {
    data: {
      runGroup: {
        progress: { total: counts[0]!.n },
        runs: {
          totalCount: total[0]!.n,
          nodes: runs.map((r) => ({
            document: {
              hash: docById.get(r.document_id)!.hash,
              uris: (urisByDoc.get(r.document_id) ?? []).map((u) => ({ uri: u.uri })),
            },
            steps: (stepsByRun.get(r.id) ?? []).map((s) => ({
              name: s.name,
              status: s.status,
              worker: s.worker_id ? { id: s.worker_id } : null,
              llmCalls: (callsByStep.get(s.id) ?? []).map((c) => ({
                model: c.model,
                totalTokens: c.total_tokens,
                promptFile: file(c.id, 'PROMPT'),
                responseFile: file(c.id, 'RESPONSE'),
              })),
            })),
          })),
        },
      },
    },
  };
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const send = (json: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(json);
    if (req.url === '/typename') return send(TYPENAME);
    if (req.url === '/update') {
      const { variables } = JSON.parse(body || '{}') as { variables?: { i?: { stepId: string; workerId: string } } };
      updateStepDirectly(pool, variables?.i?.stepId ?? '', variables?.i?.workerId ?? '').then(
        (step) => send(JSON.stringify({ data: { updateStepStatus: step } })),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
      return;
    }
    if (req.url !== '/page') return res.writeHead(404).end();
    const { variables } = JSON.parse(body || '{}') as { variables?: { id: string } };
    page(variables?.id ?? '').then(
      (r) => send(JSON.stringify(r)),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`floor listening on http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
