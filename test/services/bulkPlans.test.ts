// The bulk paths' statements stay linear in the size of the group: no plan re-scans a whole set
// (a CTE, or a table) once per row of another. Such a plan is invisible at test sizes and with
// stale statistics, and quadratic at the maximum size once autovacuum has analyzed the tables:
// deleteRunGroup's count of dependents filtered lifecycle_event by `run_id in (runs) or step_id
// in (steps)`, and with 400,000 steps too many for work_mem to hash, the planner re-read the
// steps for every event the run test does not settle (other groups' events); M5 of the full
// benchmark run failed on the 300 s bulk statement timeout (57014). The time depends on what else
// is in the log, the plan does not: the plan is what is checked. Here the same choice is forced at a small size, deterministically: fresh statistics
// (ANALYZE) and a work_mem of 64 kB, under which the group's 4,800 steps do not hash either.
import pg from 'pg';
import type { StepType } from '../../src/__generated__/resolvers-types';
import { sequenceLog } from '../../src/events/sequencer';
import { cancelRunGroup, deleteRunGroup, startRunGroup } from '../../src/services/runGroups';
import { deleteDocumentUri } from '../../src/services/documentUris';
import { DEFAULT_RETENTION, pruneOnce } from '../../src/services/retention';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { writerContext } from '../helpers/server';

const RUNS = 600;
const TYPES: StepType[] = ['INGEST', 'VALIDATE', 'PARSE', 'CHUNK', 'EMBED', 'STORE', 'ENRICH', 'ROUTE'];
const STEPS = TYPES.map((type) => ({
  name: type.toLowerCase(),
  type,
}));

interface Statement {
  sql: string;
  bindings: readonly unknown[];
}

interface PlanNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  Plans?: PlanNode[];
}

/**
 * The `x in (subquery)` SubPlans a plan re-runs for each row of its parent instead of hashing
 * once (EXPLAIN shows them as `(SubPlan n).col1`, the hashed ones as `(hashed SubPlan n).col1`),
 * where the subquery reads a whole CTE or table: each row of the parent re-reads the set.
 * (Correlated EXISTS probes, once per row of a small parent, are fine and not counted.)
 */
function rescans(plan: PlanNode, text: string): string[] {
  const found: string[] = [];
  const scansWhole = (n: PlanNode): boolean =>
    n['Node Type'] === 'CTE Scan' || n['Node Type'] === 'Seq Scan' || (n.Plans ?? []).some(scansWhole);
  const visit = (n: PlanNode) => {
    const name = n['Subplan Name'];
    if (n['Parent Relationship'] === 'SubPlan' && name && scansWhole(n) && text.includes(`(${name}).col`))
      found.push(name);
    for (const child of n.Plans ?? []) visit(child);
  };
  visit(plan);
  return found;
}

describe('bulk statements against a large group', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  /** Every statement `fn` sends through the pool. */
  async function captured(fn: () => Promise<unknown>): Promise<Statement[]> {
    const statements: Statement[] = [];
    const listener = (q: { sql: string; bindings?: readonly unknown[] }) =>
      statements.push({ sql: q.sql, bindings: q.bindings ?? [] });
    t.db.on('query', listener);
    try {
      await fn();
    } finally {
      t.db.off('query', listener);
    }
    return statements;
  }

  /** The statements whose plans re-scan a set per row, as the planner plans them now. */
  async function quadratic(statements: Statement[]): Promise<string[]> {
    const bad: string[] = [];
    // A connection of its own, sent the pool's native text ($1...) and values.
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      await client.query(`set work_mem = '64kB'`);
      for (const s of statements) {
        if (!/^\s*(\/\*[^]*?\*\/\s*)?(select|with|insert|update|delete)\b/i.test(s.sql)) continue;
        if (/pg_notify|sequence_lifecycle_events/.test(s.sql)) continue;
        const native = (t.db.client as { positionBindings(sql: string): string }).positionBindings(s.sql);
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `explain (format json) ${native}`,
          s.bindings as unknown[],
        );
        const plan = rows[0]!['QUERY PLAN'][0].Plan;
        const names = rescans(plan, JSON.stringify(plan));
        if (names.length) bad.push(`${names.join(', ')} in: ${s.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
      }
    } finally {
      await client.end();
    }
    return bad;
  }

  it('start, cancel, deleteDocumentUri, deleteRunGroup and retention never re-scan a set per row', async () => {
    const ctx = writerContext(t.db);
    const [project] = await t.db('project').insert({ slug: 'plans', name: 'plans' }).returning('id');
    const [batch] = await t.db('batch').insert({ projectId: project.id, name: 'large', source: 'fs' }).returning('id');
    await t.db.raw(
      `with d as (
         insert into document (project_id, hash, mime_type)
         select ?, 'sha256-' || encode(sha256(('plans-' || g)::bytea), 'hex'), 'text/plain' from generate_series(1, ?) g
         returning id)
       insert into document_uri (project_id, document_id, source, uri, batch_id) select ?, d.id, 'fs', d.id::text, ? from d`,
      [project.id, RUNS, project.id, batch.id],
    );
    const analyze = () => t.db.raw('analyze');
    await analyze();

    const start = await captured(() =>
      startRunGroup(ctx, { batchId: batch.id, workflowDefinitionId: 'plans', steps: STEPS }),
    );
    const group = (await t.db('run_group').first('id')) as { id: string };
    // The planner as autovacuum leaves it after a large start: statistics of the new rows.
    await analyze();
    const cancel = await captured(() => cancelRunGroup(ctx, group.id));
    await sequenceLog(t.db);
    await analyze();
    const uri = (await t.db('document_uri').first('uri')) as { uri: string };
    const deleteUri = await captured(() =>
      deleteDocumentUri(ctx, { projectId: project.id, source: 'fs', uri: uri.uri }, false),
    );
    // EXPLAIN runs after the statements did: their plans depend on the statistics, not on the
    // rows still there.
    const deleteGroup = await captured(() => deleteRunGroup(ctx, group.id, false));
    const prune = await captured(() => pruneOnce(t.db, { ...DEFAULT_RETENTION, eventRetentionDays: 0 }, new Date()));

    expect(await t.db('step').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect({
      start: await quadratic(start),
      cancel: await quadratic(cancel),
      deleteDocumentUri: await quadratic(deleteUri),
      deleteRunGroup: await quadratic(deleteGroup),
      retention: await quadratic(prune),
    }).toEqual({ start: [], cancel: [], deleteDocumentUri: [], deleteRunGroup: [], retention: [] });
  }, 60_000);
});
