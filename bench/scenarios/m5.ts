// M5: the bulk operations at the maximum size (MAX_RUNS_PER_GROUP runs x 8 steps): wall time of
// startRunGroup, cancelRunGroup and deleteRunGroup through the API, on a server that keeps the
// default 5 s statement timeout for everything but these bulk transactions (issue 12, must-work 6).
import { gql, type Scenario } from '../harness';

const TYPES = ['INGEST', 'VALIDATE', 'PARSE', 'CHUNK', 'EMBED', 'STORE', 'ENRICH', 'ROUTE'];

export const m5: Scenario = {
  ids: ['M5'],
  groupSizes: [],
  async run({ S, smoke, env, start, db, projectId, rows }) {
    const n = S.runsMax;
    const server = await start('src/index.ts', {
      ...env,
      STATEMENT_TIMEOUT_MS: '5000',
      MAX_RUNS_PER_GROUP: String(n),
    });
    const [batch] = await db('batch')
      .insert({ projectId, name: `m5-${n}`, source: 'bench' })
      .returning('id');
    await db.raw(
      `with d as (insert into document (project_id, hash, mime_type) select ?, 'sha256-' || encode(sha256(('m5-' || g)::bytea), 'hex'), 'x' from generate_series(1, ?) g returning id)
       insert into document_uri (project_id, document_id, source, uri, batch_id) select ?, d.id, 'm5', d.id::text, ? from d`,
      [projectId, n, projectId, batch.id],
    );
    const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const t0 = performance.now();
      const result = await fn();
      return [result, performance.now() - t0];
    };
    const [started, startMs] = await timed(() =>
      gql(
        server.url,
        `mutation ($b: ID!) { startRunGroup(input: { batchId: $b, workflowDefinitionId: "m5", steps: [${TYPES.map((t) => `{ name: "${t}", type: ${t} }`).join(' ')}] }) { id } }`,
        { b: batch.id },
      ),
    );
    const id = (started as { startRunGroup: { id: string } }).startRunGroup.id;
    const [cancelled, cancelMs] = await timed(() =>
      gql(server.url, `mutation ($id: ID!) { cancelRunGroup(id: $id) { status } }`, { id }),
    );
    if ((cancelled as { cancelRunGroup: { status: string } }).cancelRunGroup.status !== 'CANCELLED')
      throw new Error(`M5: the cancelled group is ${JSON.stringify(cancelled)}`);
    // Statistics as autovacuum leaves them after such a start and cancel (it may or may not have
    // analyzed the tables by now): with them, and the other scenarios' events in the log, the
    // planner once chose a quadratic count of the group's dependents (bench/RESULTS.md, M5).
    // Not part of the time.
    await db.raw('analyze run, step, lifecycle_event, llm_call, stored_file');
    const [deleted, deleteMs] = await timed(() =>
      gql(server.url, `mutation ($id: ID!) { deleteRunGroup(id: $id) { deletedSteps deletedEvents } }`, { id }),
    );
    const stats = (deleted as { deleteRunGroup: { deletedSteps: number; deletedEvents: number } }).deleteRunGroup;
    if (stats.deletedSteps !== n * 8) throw new Error(`M5: deleted ${stats.deletedSteps} of ${n * 8} steps`);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    rows.push({
      id: 'M5',
      scenario: `startRunGroup, cancelRunGroup, deleteRunGroup of ${n} runs x 8 steps (MAX_RUNS_PER_GROUP), 5 s statement timeout for the rest`,
      figures: `start ${s(startMs)}, cancel ${s(cancelMs)} (${n * 9 + 1} events written and sequenced), delete ${s(deleteMs)} (${stats.deletedEvents} events)`,
      ratio: '-',
      target: 'each succeeds',
      met: true,
    });
    // The next scenarios should not measure this one's dead rows.
    if (!smoke) await db.raw('vacuum analyze');
  },
};
