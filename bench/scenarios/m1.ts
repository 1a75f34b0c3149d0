// M1: startRunGroup's statements for 10 and for many runs (the same count), and the large one's
// wall time.
import { gql, metric, QUERY_STATEMENTS, type Scenario } from '../harness';

export const m1: Scenario = {
  ids: ['M1'],
  groupSizes: [],
  async run({ S, smoke, rl, db, projectId, rows }) {
    const m1: Record<number, { statements: number; ms: number }> = {};
    for (const n of [10, S.runsLarge]) {
      const [batch] = await db('batch')
        .insert({ projectId, name: `m1-${n}`, source: 'bench' })
        .returning('id');
      await db.raw(
        `with d as (insert into document (project_id, hash, mime_type) select ?, 'sha256-' || encode(sha256(('m1-' || ? || '-' || g)::bytea), 'hex'), 'x' from generate_series(1, ?) g returning id)
         insert into document_uri (project_id, document_id, source, uri, batch_id) select ?, d.id, 'm1', d.id::text, ? from d`,
        [projectId, n, n, projectId, batch.id],
      );
      const before = await metric(rl.url, QUERY_STATEMENTS);
      const t0 = performance.now();
      await gql(
        rl.url,
        `mutation ($b: ID!) { startRunGroup(input: { batchId: $b, workflowDefinitionId: "m1", steps: [${['INGEST', 'VALIDATE', 'PARSE', 'CHUNK', 'EMBED', 'STORE', 'ENRICH', 'ROUTE'].map((t) => `{ name: "${t}", type: ${t} }`).join(' ')}] }) { id } }`,
        { b: batch.id },
      );
      m1[n] = { ms: performance.now() - t0, statements: (await metric(rl.url, QUERY_STATEMENTS)) - before };
      // The test suite keeps small groups; the large group's completeness is checked here.
      const { steps } = (await db('step')
        .join('run', 'run.id', 'step.runId')
        .where('run.batchId', batch.id)
        .count({ steps: '*' })
        .first())!;
      if (Number(steps) !== n * 8) throw new Error(`M1: ${n} runs x 8 steps made ${String(steps)} steps`);
    }
    const large = m1[S.runsLarge]!;
    rows.push({
      id: 'M1',
      scenario: `startRunGroup round trips, 10 vs ${S.runsLarge} runs x 8 steps; wall time of the large one`,
      figures: `${m1[10]!.statements} vs ${large.statements} statements; ${large.ms.toFixed(0)} ms`,
      ratio: `${(large.statements / m1[10]!.statements).toFixed(2)}x statements`,
      target: 'same count; 10,000 x 8 under 3 s',
      met: large.statements === m1[10]!.statements && (smoke || large.ms < 3000),
    });
  },
};
