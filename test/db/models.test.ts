import * as M from '../../src/models';
import { useTestDatabase } from '../helpers/database';
import { sha256 } from '../helpers/factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const t = useTestDatabase();

describe('Objection models', () => {
  it('insert a row into every table without an id and get the database-made id back', async () => {
    const db = t.db;
    const ids: Record<string, unknown> = {};
    const project = await M.Project.query(db).insert({ slug: 'models', name: 'Models' });
    ids.project = project.id;
    ids.apiKey = (
      await M.ApiKey.query(db).insert({ projectId: project.id, role: 'READER', secretHash: sha256('s') })
    ).id;
    const batch = await M.Batch.query(db).insert({ projectId: project.id, name: 'b', source: 'fs', params: { a: 1 } });
    ids.batch = batch.id;
    const document = await M.Document.query(db).insert({
      projectId: project.id,
      hash: sha256('doc'),
      mimeType: 'text/plain',
      meta: {},
    });
    ids.document = document.id;
    const uri = await M.DocumentUri.query(db).insert({
      projectId: project.id,
      documentId: document.id,
      source: 'fs',
      uri: '/a',
      batchId: batch.id,
    });
    ids.documentUri = uri.id;
    ids.documentUriVersion = (
      await M.DocumentUriVersion.query(db).insert({
        documentUriId: uri.id,
        version: 1,
        hash: document.hash,
        action: 'CREATED',
      })
    ).id;
    const config = await M.StepConfig.query(db).insert({
      stepType: 'PARSE',
      config: { ocr: true },
      contentHash: sha256('cfg'),
    });
    ids.stepConfig = config.id;
    const configSet = await M.ConfigSet.query(db).insert({ yamlId: 'default', yamlContents: 'parse: {}' });
    ids.configSet = configSet.id;
    ids.configSetItem = (
      await M.ConfigSetItem.query(db).insert({ configSetId: configSet.id, stepConfigId: config.id })
    ).id;
    const group = await M.RunGroup.query(db).insert({
      projectId: project.id,
      batchId: batch.id,
      workflowDefinitionId: 'wf',
    });
    ids.runGroup = group.id;
    const run = await M.Run.query(db).insert({
      projectId: project.id,
      runGroupId: group.id,
      documentId: document.id,
      workflowDefinitionId: 'wf',
    });
    ids.run = run.id;
    const step = await M.Step.query(db).insert({
      projectId: project.id,
      runId: run.id,
      number: 1,
      name: 'parse',
      type: 'PARSE',
      stepConfigId: config.id,
    });
    ids.step = step.id;
    const event = await M.LifecycleEvent.query(db).insert({
      projectId: project.id,
      type: 'STEP_START',
      stepId: step.id,
      status: 'RUNNING',
    });
    ids.lifecycleEvent = event.id;
    const call = await M.LlmCall.query(db).insert({
      projectId: project.id,
      runId: run.id,
      stepId: step.id,
      provider: 'openai',
      model: 'm',
      operation: 'CHAT',
      latencyMs: 5,
      status: 'SUCCESS',
    });
    ids.llmCall = call.id;
    ids.storedFile = (
      await M.StoredFile.query(db).insert({
        projectId: project.id,
        llmCallId: call.id,
        kind: 'PROMPT',
        path: `llm-calls/${call.id}/prompt.txt`,
        sizeBytes: 2,
        checksum: sha256('hi'),
        content: Buffer.from('hi'),
      })
    ).id;
    ids.idempotencyKey = (
      await M.IdempotencyKey.query(db).insert({
        projectId: project.id,
        operation: 'createBatch',
        key: 'k1',
        requestHash: sha256('input'),
      })
    ).id;
    // The worker names itself (its id is the worker's own, not the database's), within its project.
    expect((await M.Worker.query(db).insert({ projectId: project.id, id: 'worker-1' })).id).toBe('worker-1');

    for (const [table, id] of Object.entries(ids)) {
      if (table === 'lifecycleEvent') expect(typeof id === 'number' && id > 0).toBe(true);
      else expect({ table, id }).toEqual({ table, id: expect.stringMatching(UUID) });
    }
    expect(Object.keys(ids)).toHaveLength(16);
  });

  it('follow relation mappings both ways', async () => {
    const run = await M.Run.query(t.db)
      .first()
      .withGraphFetched('[runGroup.project, document.uris.history, steps.[config, llmCalls.files]]');
    const loaded = run as unknown as {
      runGroup: { project: { slug: string } };
      document: { uris: { history: { version: number }[] }[] };
      steps: { config: { stepType: string }; llmCalls: { files: { kind: string }[] }[] }[];
    };
    expect(loaded.runGroup.project.slug).toBe('models');
    expect(loaded.document.uris[0]!.history[0]!.version).toBe(1);
    expect(loaded.steps[0]!.config.stepType).toBe('PARSE');
    expect(loaded.steps[0]!.llmCalls[0]!.files[0]!.kind).toBe('PROMPT');
  });

  it('refuse a stored file with two owners', async () => {
    const run = await M.Run.query(t.db).first();
    const step = await M.Step.query(t.db).first();
    await expect(
      M.StoredFile.query(t.db).insert({
        projectId: run!.projectId,
        runId: run!.id,
        stepId: step!.id,
        kind: 'LOG',
        path: 'x',
        sizeBytes: 0,
        checksum: sha256(''),
        content: Buffer.alloc(0),
      }),
    ).rejects.toThrow(/stored_file_one_owner/);
  });

  it('refuse a malformed hash and negative sizes', async () => {
    const project = await M.Project.query(t.db).first();
    await expect(
      M.Document.query(t.db).insert({ projectId: project!.id, hash: 'md5-abc', mimeType: 'x' }),
    ).rejects.toThrow(/document_hash_format/);
    await expect(
      M.Document.query(t.db).insert({ projectId: project!.id, hash: sha256('neg'), mimeType: 'x', fileSize: -1 }),
    ).rejects.toThrow(/document_file_size_non_negative/);
  });

  it("are the registry of every table, and name each one's JSON columns (jsonb in the database)", async () => {
    const models = Object.values(M).filter((m): m is typeof M.Project => typeof m === 'function');
    const tables: { table_name: string }[] = (
      await t.db.raw(
        `select table_name from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'knex_%'`,
      )
    ).rows;
    // event_log_head is the sequencer's one-row counter and retention_lease retention's one-row
    // lease: infrastructure, not entities.
    expect(models.map((m) => m.tableName).sort()).toEqual(
      tables
        .map((r) => r.table_name)
        .filter((n) => n !== 'event_log_head' && n !== 'retention_lease')
        .sort(),
    );
    const jsonb: { table_name: string; column_name: string }[] = (
      await t.db.raw(
        `select table_name, column_name from information_schema.columns
         where table_schema = 'public' and data_type = 'jsonb'`,
      )
    ).rows;
    const camel = (c: string) => c.replace(/_([a-z])/g, (_, l: string) => l.toUpperCase());
    const declared = Object.fromEntries(models.map((m) => [m.tableName, [...(m.jsonAttributes ?? [])].sort()]));
    const inDatabase = Object.fromEntries(
      models.map((m) => [
        m.tableName,
        jsonb
          .filter((r) => r.table_name === m.tableName)
          .map((r) => camel(r.column_name))
          .sort(),
      ]),
    );
    expect(declared).toEqual(inDatabase);
  });

  it('list every column of their table, in order (loaders select from these lists)', async () => {
    const models = Object.values(M).filter((m): m is typeof M.Project => typeof m === 'function');
    const columns: { table_name: string; column_name: string }[] = (
      await t.db.raw(
        `select table_name, column_name from information_schema.columns
         where table_schema = 'public' order by table_name, ordinal_position`,
      )
    ).rows;
    for (const m of models) {
      expect({ table: m.tableName, columns: m.columns }).toEqual({
        table: m.tableName,
        columns: columns.filter((c) => c.table_name === m.tableName).map((c) => c.column_name),
      });
    }
  });

  it('write a JSON attribute as JSON, a top-level array included (the driver alone sends a PostgreSQL array)', async () => {
    const project = await M.Project.query(t.db).first();
    const key = await M.IdempotencyKey.query(t.db).insert({
      projectId: project!.id,
      operation: 'addDocuments',
      key: 'array-result',
      requestHash: sha256('array'),
      result: ['a', 'b'] as unknown as Record<string, unknown>,
    });
    const row = await t.db('idempotency_key').where({ id: key.id }).first();
    expect(row.result).toEqual(['a', 'b']);
  });
});
