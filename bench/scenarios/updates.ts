// The write load M2 and M4 share: 8 clients reporting their own RUNNING steps as ERROR through
// updateStepStatus (or through the same statements on plain pg), updates per second. Only a
// claim makes a step RUNNING again, so each round uses every step once, reset before it starts.
import pg from 'pg';
import { gql, type Bench, BENCH_WORKER } from '../harness';
import { updateStepDirectly } from '../updateStatements';

const CLIENTS = 8;

export interface UpdateLoad {
  /** Updates/s through a GraphQL endpoint (runledger by default, or the floor's `/update`). */
  viaApi(url?: string, pathName?: string): Promise<number>;
  /** Updates/s through the same statements on plain pg (bench/updateStatements.ts). */
  viaPg(): Promise<number>;
}

export function updateLoad(b: Bench): Promise<UpdateLoad> {
  return b.memo('updateLoad', async () => {
    const { S, db, rl, databaseUrl, groups } = b;
    const stepRows = (await db('step')
      .join('run', 'run.id', 'step.runId')
      .where('run.runGroupId', groups[S.sizes[2]])
      .select('step.id')
      .limit(S.updates)) as { id: string }[];
    const ids = stepRows.map((s) => s.id);
    await db('step').whereIn('id', ids).update({ status: 'RUNNING', workerId: BENCH_WORKER, maxRetries: 1_000_000 });
    const perClient = Math.floor(ids.length / CLIENTS);
    // Each client owns its own steps (index % 8), so no two clients race on one step.
    const stepOf = (c: number, i: number) => ids[(c + CLIENTS * i) % ids.length]!;
    const reset = async () => {
      await db('step').whereIn('id', ids).update({ status: 'RUNNING', workerId: BENCH_WORKER });
    };
    const timed = async (update: (c: number, i: number) => Promise<unknown>) => {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let i = 0; i < perClient; i++) await update(c, i);
        }),
      );
      return (perClient * CLIENTS) / ((performance.now() - t0) / 1000);
    };
    const raw = new pg.Pool({ connectionString: databaseUrl, max: CLIENTS });
    b.onStop(() => raw.end());
    return {
      async viaApi(url = rl.url, pathName = '/graphql') {
        await reset();
        return timed((c, i) => {
          const step = stepOf(c, i);
          return gql(
            url,
            `mutation ($i: UpdateStepStatusInput!) { updateStepStatus(input: $i) { version } }`,
            { i: { stepId: step, status: 'ERROR', workerId: BENCH_WORKER } },
            pathName,
          );
        });
      },
      async viaPg() {
        await reset();
        return timed((c, i) => updateStepDirectly(raw, stepOf(c, i), BENCH_WORKER));
      },
    };
  });
}
