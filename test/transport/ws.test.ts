// What a WebSocket client sees when a subscription fails (src/transport/ws.ts onError): errors
// with a client-facing code as they are, errors the policy already masked as they are (their
// request id is the one logged), and anything else masked with a request id whatever code it
// carries. Two failures no public input can cause are injected: a stream that fails with an
// internal error carrying a PostgreSQL code, and an unexpected throw while subscribing.
import { rawSocket } from '../helpers/rawWs';
import { CapturedLog, startTestServer, type TestServer } from '../helpers/server';

jest.mock('../../src/events/revocations', () => {
  const actual = jest.requireActual<typeof import('../../src/events/revocations')>('../../src/events/revocations');
  return {
    ...actual,
    revocationStream: (...args: Parameters<typeof actual.revocationStream>) => {
      const { workerId } = args[1];
      if (workerId === 'w-stream-fails' || workerId === 'w-stream-refuses') {
        const failure =
          workerId === 'w-stream-fails'
            ? // As a database layer might wrap it: the SQLSTATE as the code, SQL in the message.
              Object.assign(
                new Error(
                  'duplicate key value violates unique constraint "lifecycle_event_pkey" (insert into lifecycle_event ...)',
                ),
                { extensions: { code: '23505' } },
              )
            : Object.assign(new Error('workerId w-stream-refuses is not allowed here'), {
                extensions: { code: 'BAD_USER_INPUT', field: 'workerId' },
              });
        return {
          [Symbol.asyncIterator]() {
            return this;
          },
          next: () => Promise.reject(failure),
          return: () => Promise.resolve({ done: true as const, value: undefined }),
        };
      }
      return actual.revocationStream(...args);
    },
  };
});

jest.mock('../../src/services/inputLimits', () => {
  const actual = jest.requireActual<typeof import('../../src/services/inputLimits')>('../../src/services/inputLimits');
  return {
    ...actual,
    depthExceeds: (value: unknown, max: number) => {
      if ((value as { w?: unknown } | undefined)?.w === 'w-subscribe-throws')
        throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
      return actual.depthExceeds(value, max);
    },
  };
});

const SUB = `subscription ($w: ID!) { stepsRevoked(workerId: $w) { stepId } }`;
const MASKED = { code: 'INTERNAL_SERVER_ERROR', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) };

let s: TestServer;
const log = new CapturedLog();
beforeAll(async () => {
  s = await startTestServer({ log });
});
afterAll(() => s.stop());

/** The payload of the error message the subscription ends with. */
async function failureOf(workerId: string): Promise<{ message: string; extensions?: Record<string, unknown> }[]> {
  const socket = await rawSocket(s.url);
  try {
    socket.subscribe('s', SUB, { w: workerId });
    return (await socket.message((m) => m.id === 's' && m.type === 'error')).payload;
  } finally {
    socket.ws.close();
    await socket.closed;
  }
}

describe('a subscription that fails over WebSocket', () => {
  it('gives a stream failing with an internal error that carries a PostgreSQL code only a masked error; the log has the detail', async () => {
    const errors = await failureOf('w-stream-fails');
    // Before: the error went out as it was, { message: 'duplicate key value ... (insert into
    // lifecycle_event ...)', extensions: { code: '23505' } }, since it carried a code.
    expect(errors).toEqual([
      { message: expect.stringMatching(/^Internal server error \(request /), extensions: MASKED },
    ]);
    const { requestId } = errors[0]!.extensions as { requestId: string };
    expect(errors[0]!.message).toBe(`Internal server error (request ${requestId})`);
    expect(
      log
        .lines()
        .filter((l) => l.requestId === requestId)
        .map((l) => l.err?.message),
    ).toEqual([expect.stringContaining('lifecycle_event_pkey')]);
  });

  it("passes a stream's client-facing error as it is", async () => {
    expect(await failureOf('w-stream-refuses')).toEqual([
      {
        message: 'workerId w-stream-refuses is not allowed here',
        extensions: { code: 'BAD_USER_INPUT', field: 'workerId' },
      },
    ]);
  });

  it('passes an error masked while subscribing as it is: its request id is the one logged, once', async () => {
    const errors = await failureOf('w-subscribe-throws');
    expect(errors).toEqual([
      { message: expect.stringMatching(/^Internal server error \(request /), extensions: MASKED },
    ]);
    const { requestId } = errors[0]!.extensions as { requestId: string };
    expect(log.lines().filter((l) => l.requestId === requestId)).toEqual([
      expect.objectContaining({
        msg: 'subscribe failed',
        err: expect.objectContaining({ message: expect.stringContaining('ECONNREFUSED') }),
      }),
    ]);
  });
});
