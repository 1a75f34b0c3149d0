// Monaco's workers, served by the API itself (no CDN): set before GraphiQL loads.
const base = new URL('./', import.meta.url);
globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    const name = label === 'graphql' ? 'graphql' : label === 'json' ? 'json' : 'editor';
    return new Worker(new URL(`${name}.worker.js`, base));
  },
};
