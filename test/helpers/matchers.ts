// Custom assertions, loaded for every test file (jest.config.js: setupFilesAfterEnv).
import type { GraphQLResponse } from './server';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- how @types/jest is extended
  namespace jest {
    interface Matchers<R> {
      /** The request answered data and no errors; a failure shows the errors and the request id. */
      toSucceed(): R;
    }
  }
}

expect.extend({
  toSucceed(res: GraphQLResponse) {
    const pass = !res.errors?.length && res.data != null;
    return {
      pass,
      message: () =>
        pass
          ? `expected request ${res.requestId ?? '(no id)'} to fail, but it answered data`
          : `request ${res.requestId ?? '(no id)'} (HTTP ${res.status}) failed: ${JSON.stringify(res.errors ?? res.data)}`,
    };
  },
});
