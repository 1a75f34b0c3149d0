// The process runs in production mode unless told otherwise (NODE_ENV set to anything else).
// graphql-js, in any other mode, checks every failed instanceof for a second copy of itself:
// that doubled the executor's time on a nested page (bench/PROFILE.md, N2). index.ts imports
// this first, before anything loads graphql; tests (NODE_ENV=test) keep the checks.
process.env.NODE_ENV ??= 'production';
