// The typed client and the worker SDK for runledger. Documents come from src/client/operations
// (typed by `npm run codegen`), or from your own codegen pointed at schema.graphql.
export * from './__generated__/graphql';
export * from './client';
export * from './worker';
