import type { GraphQLObjectType } from 'graphql';
import { buildSchema } from '../../src/graphql/schema';
import { tables, type TableSpec } from '../../src/loaders/tables';
import { makeProject, makeRunGroup, makeWorker } from '../helpers/factories';
import { startTestServer, type TestServer } from '../helpers/server';

const snake = (c: string) => c.replace(/^[a-z_]+\./, '');

describe('columns a request reads', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  it('names every column of each narrowed table, always or optionally (a new column must be placed)', async () => {
    const narrowed = Object.values(tables as Record<string, TableSpec>).filter((t) => t.type);
    expect(narrowed.map((t) => t.table).sort()).toEqual(['llm_call', 'run', 'run_group', 'step', 'stored_file']);
    for (const spec of narrowed) {
      const { rows } = (await s.db.raw(
        `select column_name from information_schema.columns where table_schema = 'public' and table_name = ?`,
        [spec.table],
      )) as {
        rows: { column_name: string }[];
      };
      const listed = spec
        .columns(s.db)
        .filter((c): c is string => typeof c === 'string')
        .map(snake);
      // Columns no loader reads (file content, loaded on its own) are named as such.
      expect({ table: spec.table, columns: [...listed, ...(spec.unread ?? [])].sort() }).toEqual({
        table: spec.table,
        columns: rows.map((r) => r.column_name).sort(),
      });
      const lean = spec
        .columns(s.db, new Set())
        .filter((c): c is string => typeof c === 'string')
        .map(snake);
      expect(lean).toEqual(expect.arrayContaining(['id', 'project_id']));
      expect(lean.length).toBeLessThan(listed.length);
    }
  });

  it('reads the column of every field that has one when that field is selected', async () => {
    const schema = buildSchema();
    for (const spec of Object.values(tables as Record<string, TableSpec>).filter((t) => t.type)) {
      const { rows } = (await s.db.raw(`select column_name from information_schema.columns where table_name = ?`, [
        spec.table,
      ])) as {
        rows: { column_name: string }[];
      };
      const columns = new Set(rows.map((r) => r.column_name));
      const type = schema.getType(spec.type!) as GraphQLObjectType;
      for (const field of Object.keys(type.getFields())) {
        const column = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        if (!columns.has(column) || spec.unread?.includes(column)) continue;
        const read = spec
          .columns(s.db, new Set([field]))
          .filter((c): c is string => typeof c === 'string')
          .map(snake);
        expect({ type: spec.type, field, reads: read.includes(column) }).toEqual({
          type: spec.type,
          field,
          reads: true,
        });
      }
    }
  });

  it('leaves out jsonb and timestamps a page does not ask for, and reads them for the query that does', async () => {
    const project = await makeProject(s.db);
    const workerId = await makeWorker(s.db, project.id);
    const { group } = await makeRunGroup(s.db, {
      projectId: project.id,
      runs: 2,
      stepsPerRun: 2,
      llmCallsPerStep: 1,
      workerId,
    });
    await s.db('step').update({ startedAt: s.db.fn.now(), statusMeta: JSON.stringify({ page: 7 }) });
    await s.db('llm_call').update({ params: JSON.stringify({ temperature: 0.2 }) });

    const lean = await s.countStatements(() =>
      s.gql(
        `query ($id: ID!) { runGroup(id: $id) { runs { nodes { steps(first: 10) { name llmCalls(first: 10) { model } } } } } }`,
        {
          id: group.id,
        },
      ),
    );
    const stepSql = lean.sql.find((q) => q.includes('from "step"'))!;
    const callSql = lean.sql.find((q) => q.includes('from "llm_call"'))!;
    // What the statement selects (its order, row_number's included, may name other columns).
    const selected = (sql: string, table: string) =>
      sql.slice(0, sql.indexOf(`from "${table}"`)).replace(/row_number\(\) over \([^)]*\)/, '');
    // Lists (not pages) have no cursors: no keyset either, for thousands of rows a page.
    expect(selected(stepSql, 'step')).not.toMatch(/status_meta|started_at|created_at|duration/);
    expect(selected(callSql, 'llm_call')).not.toMatch(/params|usage_details|started_at|created_at/);

    const full = await s.gql(
      `query ($id: ID!) { runGroup(id: $id) { runs(first: 5) { nodes { startedAt steps(first: 5) { name statusMeta startedAt completedAt duration llmCalls(first: 5) { model params usageDetails } } } } } }`,
      { id: group.id },
    );
    expect(full).toSucceed();
    const step = full.data.runGroup.runs.nodes[0].steps[0];
    expect(step.statusMeta).toEqual({ page: 7 });
    expect(typeof step.startedAt).toBe('string');
    expect(step.llmCalls[0].params).toEqual({ temperature: 0.2 });
    expect(step.llmCalls[0].usageDetails).toEqual({});

    const created = await s.gql(
      `query ($id: ID!) { runGroup(id: $id) { runs(first: 1) { nodes { steps(first: 1) { createdAt llmCalls(first: 1) { createdAt } } } } } }`,
      { id: group.id },
    );
    expect(created).toSucceed();
    expect(Number.isNaN(Date.parse(created.data.runGroup.runs.nodes[0].steps[0].createdAt))).toBe(false);
    expect(Number.isNaN(Date.parse(created.data.runGroup.runs.nodes[0].steps[0].llmCalls[0].createdAt))).toBe(false);

    // Fields asked for through a fragment count too.
    const viaFragment = await s.gql(
      `query ($id: ID!) { runGroup(id: $id) { runs { nodes { steps(first: 10) { ...Detail } } } } } fragment Detail on Step { statusMeta }`,
      { id: group.id },
    );
    expect(viaFragment.data.runGroup.runs.nodes[0].steps[0].statusMeta).toEqual({ page: 7 });
  });

  it('reads the keyset of a page whose fields do not ask for it, so its cursors page on', async () => {
    const project = await makeProject(s.db);
    const { group } = await makeRunGroup(s.db, { projectId: project.id, runs: 3, stepsPerRun: 1, llmCallsPerStep: 2 });
    const pageOf = (after: string | null) =>
      s.gql(
        `query ($id: ID!, $after: String) { runGroup(id: $id) { runs(first: 2, after: $after) { edges { cursor node { id } } pageInfo { endCursor hasNextPage } } } }`,
        { id: group.id, after },
      );
    const first = await pageOf(null);
    expect(first).toSucceed();
    const runs = first.data.runGroup.runs;
    expect(runs.edges).toHaveLength(2);
    expect(runs.pageInfo.hasNextPage).toBe(true);
    const second = await pageOf(runs.pageInfo.endCursor);
    const ids = [...runs.edges, ...second.data.runGroup.runs.edges].map((e: { node: { id: string } }) => e.node.id);
    expect(new Set(ids).size).toBe(3);
    // A top-level page, the same way.
    const calls = await s.gql(
      `query ($p: ID!) { llmCalls(filter: { projectId: $p }, first: 3) { pageInfo { endCursor } nodes { id } } }`,
      { p: project.id },
    );
    expect(calls).toSucceed();
    const rest = await s.gql(
      `query ($p: ID!, $a: String) { llmCalls(filter: { projectId: $p }, first: 10, after: $a) { nodes { id } } }`,
      { p: project.id, a: calls.data.llmCalls.pageInfo.endCursor },
    );
    expect(rest.data.llmCalls.nodes).toHaveLength(3);
  });
});
