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
import { DEFAULT_QUERY_LIMITS } from './limits';

export type ParsedOperation =
  { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

/**
 * Parsed and validated documents by query text, for WebSocket operations (Apollo keeps its own
 * store for HTTP). Thousands of dashboards subscribing with the same text share one AST and one
 * validation instead of holding a copy each. A parse error is thrown, as `parse` does.
 *
 * Bounded by bytes, not entries: an entry weighs its text and its AST (errors keep the AST
 * through their nodes), estimated from the text's length; a document larger than a sixteenth of
 * the budget is validated but not kept, so a few huge rejected texts cannot evict everything.
 */
export class DocumentCache {
  private readonly cache: LRUCache<string, ParsedOperation>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    /** DOCUMENT_CACHE_BYTES. @default 16 MiB */
    readonly maxBytes = DEFAULT_DOCUMENT_CACHE_BYTES,
    private readonly parseOptions: ParseOptions = { maxTokens: DEFAULT_QUERY_LIMITS.tokens },
  ) {
    this.cache = new LRUCache({ maxSize: maxBytes, sizeCalculation: (_v, query) => entryBytes(query) });
  }

  /** Estimated bytes held now (never above maxBytes). */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  get(query: string): ParsedOperation {
    const hit = this.cache.get(query);
    if (hit) return hit;
    const document = parse(query, this.parseOptions);
    const errors = validate(this.schema, document, [...specifiedRules, ...this.rules]);
    const parsed: ParsedOperation = errors.length ? { errors } : { document };
    if (entryBytes(query) <= this.maxBytes / 16) this.cache.set(query, parsed);
    return parsed;
  }
}

const DEFAULT_DOCUMENT_CACHE_BYTES = 16 * 1024 * 1024;

/** The text (UTF-16, 2 bytes a character) and an AST of about ten times the text. */
function entryBytes(query: string): number {
  return Math.max(1, query.length * 24);
}
