import { GraphQLError } from 'graphql';
import { DocumentCache } from '../../src/graphql/documents';
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

  it('throws syntax errors as parse does', () => {
    expect(() => cache.get('{')).toThrow(GraphQLError);
  });
});
