import v8 from 'node:v8';
import vm from 'node:vm';
import { GraphQLError } from 'graphql';
import { DocumentCache } from '../../src/graphql/operationCache';
import { limitRules } from '../../src/graphql/limits';
import { buildSchema } from '../../src/graphql/schema';

describe('documents of WebSocket operations', () => {
  const cache = new DocumentCache(buildSchema(), limitRules());

  it('parses and validates a query text once: every subscriber of that text shares one document', () => {
    const text = 'subscription ($g: ID) { lifecycleEvents(filter: { runGroupId: $g }) { id } }';
    const a = cache.get(text);
    const b = cache.get(`${text}`);
    expect(a.document).toBeDefined();
    expect(b.document).toBe(a.document);
    expect(cache.get(`${text} `).document).not.toBe(a.document);
  });

  it('keeps validation errors, limits included, for the text', () => {
    const deep = `{ ${'project(id: "x") { batches { nodes { '.repeat(6)}id${' } } }'.repeat(6)} }`;
    const { errors } = cache.get(deep);
    expect(errors?.length).toBeGreaterThan(0);
    expect(errors!.some((e) => e.extensions.code === 'QUERY_TOO_COMPLEX')).toBe(true);
    expect(cache.get('{ nope }').errors?.[0]?.message).toMatch(/nope/);
  });

  it('holds documents by bytes: 40 distinct rejected 1 MB texts leave it within its budget', () => {
    const small = new DocumentCache(buildSchema(), limitRules(), 4 * 1024 * 1024);
    // Heap figures without a collection count garbage too (this failed at random on a busy CI).
    const gc = collector();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40; i++) {
      const literal = `${i}`.padEnd(1024 * 1024, 'x');
      expect(small.get(`{ project(id: "${literal}") { nope } }`).errors).toBeDefined();
    }
    expect(small.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    // Small texts are still kept and shared.
    const text = '{ workers { id } }';
    expect(small.get(text).document).toBe(small.get(text).document);
    expect(small.bytes).toBeGreaterThan(0);
    // 40 MB of text went through; what stays is bounded by the budget (not 40 entries of 1 MB).
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('throws syntax errors as parse does', () => {
    expect(() => cache.get('{')).toThrow(GraphQLError);
  });
});

/** V8's collector, without starting jest with --expose-gc. */
function collector(): () => void {
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
}
