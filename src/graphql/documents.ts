import { LRUCache } from 'lru-cache';
import {
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import { LIMITS } from './limits';

export type ParsedOperation =
  { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

/**
 * Parsed and validated documents by query text, for WebSocket operations (Apollo keeps its own
 * store for HTTP). Thousands of dashboards subscribing with the same text share one AST and one
 * validation instead of holding a copy each. A parse error is thrown, as `parse` does.
 */
export class DocumentCache {
  private readonly cache: LRUCache<string, ParsedOperation>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    max = 1000,
    private readonly parseOptions: ParseOptions = { maxTokens: LIMITS.tokens },
  ) {
    this.cache = new LRUCache({ max });
  }

  get(query: string): ParsedOperation {
    const hit = this.cache.get(query);
    if (hit) return hit;
    const document = parse(query, this.parseOptions);
    const errors = validate(this.schema, document, [...specifiedRules, ...this.rules]);
    const parsed: ParsedOperation = errors.length ? { errors } : { document };
    this.cache.set(query, parsed);
    return parsed;
  }
}
