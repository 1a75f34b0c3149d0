import { claim, createBatch, createProject, must, setStatus, startRunGroup } from '../helpers/api';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server';

const RELEASE = `mutation ($i: ReleaseStepInput!) { releaseStep(input: $i) { id status retry version statusMessage worker { id } } }`;

describe('releaseStep', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  /** A project with one claimed step (maxRetries 0) of one run group. */
  async function claimedStep(workerId = 'holder') {
    const project = await createProject(s);
    const batch = await createBatch(s, project.id, 1);
    const group = await startRunGroup(s, batch.id, [{ name: 'only', type: 'ROUTE' }]);
    const step = (await claim(s, workerId, { projectId: project.id }))!;
    return { project, group, step };
  }

  const row = (stepId: string) => s.db('step').where({ id: stepId }).first('status', 'retry', 'version', 'workerId');
  const stepEvents = async (stepId: string) =>
    (
      await s
        .db('lifecycle_event')
        .where({ stepId })
        .orderBy('position')
        .select('type', 'status', 'previousStatus', 'handlerName')
    ).map((e: { type: string; status: string; previousStatus: string; handlerName: string }) =>
      [e.type, e.previousStatus, e.status, e.handlerName].join(':'),
    );

  /** A key of `role` for `projectId`, as an authorization header. */
  async function keyOf(role: string, projectId: string) {
    const { createApiKey } = await must(s, `mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, {
      i: { role, projectId },
    });
    return { authorization: `Bearer ${createApiKey.secret as string}` };
  }

  it('makes a step its worker never ran claimable again with its retry unchanged, and records the event', async () => {
    const { project, step } = await claimedStep();
    const { releaseStep } = await must(s, RELEASE, {
      i: { stepId: step.id, workerId: 'holder', expectedVersion: step.version, message: 'never received' },
    });
    // maxRetries 0: an ERROR that counted as an attempt would have made it FAILED.
    expect(releaseStep).toEqual({
      id: step.id,
      status: 'ERROR',
      retry: 0,
      version: step.version + 1,
      statusMessage: 'never received',
      worker: { id: 'holder' },
    });
    expect(await stepEvents(step.id)).toEqual([
      'STEP_START:PENDING:RUNNING:holder',
      'STEP_FAILED:RUNNING:ERROR:holder',
    ]);
    // Another worker claims it, with no attempt spent, and it may still fail once for good.
    const again = await claim(s, 'other', { projectId: project.id });
    expect(again).toMatchObject({ id: step.id, status: 'RUNNING', retry: 0 });
    expect(await setStatus(s, step.id, 'ERROR')).toMatchObject({ status: 'FAILED', retry: 1 });
  });

  it('refuses, with CONFLICT and nothing changed, another worker, a stale version, and a step not RUNNING', async () => {
    const { step } = await claimedStep();
    const before = await row(step.id);
    const attempt = (input: Record<string, unknown>) =>
      s.gql(RELEASE, { i: { stepId: step.id, workerId: 'holder', expectedVersion: step.version, ...input } });

    const otherWorker = await attempt({ workerId: 'not-the-holder' });
    expect(errorCodes(otherWorker)).toEqual(['CONFLICT']);
    expect(otherWorker.errors![0]!.message).toMatch(/held by worker holder, not not-the-holder/);

    const stale = await attempt({ expectedVersion: step.version - 1 });
    expect(errorCodes(stale)).toEqual(['CONFLICT']);
    expect(stale.errors![0]!.extensions).toMatchObject({ currentVersion: step.version });
    expect(await row(step.id)).toEqual(before);

    // Released once; the same release again finds it ERROR (and at a newer version).
    await must(s, RELEASE, { i: { stepId: step.id, workerId: 'holder', expectedVersion: step.version } });
    const twice = await attempt({});
    expect(errorCodes(twice)).toEqual(['CONFLICT']);
    const released = await row(step.id);
    const notRunning = await attempt({ expectedVersion: released.version });
    expect(errorCodes(notRunning)).toEqual(['CONFLICT']);
    expect(notRunning.errors![0]!.message).toMatch(/is ERROR; it cannot move to ERROR/);
    expect(await row(step.id)).toEqual(released);
  });

  it("is NOT_FOUND for another project's key and FORBIDDEN for a READER key, and changes nothing", async () => {
    const { project, step } = await claimedStep();
    const other = await createProject(s);
    const input = { i: { stepId: step.id, workerId: 'holder', expectedVersion: step.version } };
    const before = await row(step.id);

    const otherWriter = await s.gql(RELEASE, input, await keyOf('WRITER', other.id));
    expect(errorCodes(otherWriter)).toEqual(['NOT_FOUND']);
    const reader = await s.gql(RELEASE, input, await keyOf('READER', project.id));
    expect(errorCodes(reader)).toEqual(['FORBIDDEN']);
    expect(reader.errors![0]!.message).toMatch(/releaseStep needs a WRITER key/);
    expect(await row(step.id)).toEqual(before);
    expect(await stepEvents(step.id)).toEqual(['STEP_START:PENDING:RUNNING:holder']);

    // The project's own WRITER key may.
    const writer = await s.gql(RELEASE, input, await keyOf('WRITER', project.id));
    expect(writer.data?.releaseStep).toMatchObject({ status: 'ERROR', retry: 0 });
  });
});
