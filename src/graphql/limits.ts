import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  TypeInfo,
  ValidationContext,
  getNamedType,
  getNullableType,
  isEnumType,
  isLeafType,
  isListType,
  isObjectType,
  visit,
  visitWithTypeInfo,
  type ASTVisitor,
  type DocumentNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Config } from '../config';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';

/**
 * What one operation may ask for, on HTTP and WebSocket alike. Each is an environment variable
 * (config.ts); the defaults below are those of an unset variable.
 */
export interface QueryLimits {
  /** Entity levels (connection wrappers add none). MAX_QUERY_DEPTH. @default 10 */
  depth: number;
  /** Upper bound of the rows an operation may touch. MAX_QUERY_COST. @default 50000 */
  cost: number;
  /** MAX_QUERY_ALIASES. @default 15 */
  aliases: number;
  /** MAX_QUERY_DIRECTIVES. @default 50 */
  directives: number;
  /** MAX_QUERY_TOKENS. @default 1000 */
  tokens: number;
  /** Upper bound of a response's JSON. MAX_RESPONSE_BYTES. @default 32 MiB */
  responseBytes: number;
  /** What the byte estimate assumes of stored values: the limits writes enforce. */
  sizes: ValueSizes;
}

/** The largest value of each kind a write accepts (services/limits.ts enforces them). */
export interface ValueSizes {
  /** Names, sources, URIs, models... MAX_NAME_BYTES. @default 2048 */
  nameBytes: number;
  /** Status and error messages. MAX_TEXT_BYTES. @default 16384 */
  textBytes: number;
  /** A JSON value (meta, params, config, usageDetails). MAX_JSON_BYTES. @default 65536 */
  jsonBytes: number;
  /** Stored file or document content. MAX_FILE_BYTES. @default 5 MiB */
  fileBytes: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  depth: 10,
  cost: 50_000,
  aliases: 15,
  directives: 50,
  tokens: 1000,
  responseBytes: 32 * 1024 * 1024,
  sizes: { nameBytes: 2048, textBytes: 16384, jsonBytes: 65536, fileBytes: 5 * 1024 * 1024 },
};

/** The limits of a configuration (config.ts reads the environment variables); unset: the defaults. */
export function queryLimits(config: Partial<QueryLimitsConfig>): QueryLimits {
  const d = DEFAULT_QUERY_LIMITS;
  return {
    depth: config.maxQueryDepth ?? d.depth,
    cost: config.maxQueryCost ?? d.cost,
    aliases: config.maxQueryAliases ?? d.aliases,
    directives: config.maxQueryDirectives ?? d.directives,
    tokens: config.maxQueryTokens ?? d.tokens,
    responseBytes: config.maxResponseBytes ?? d.responseBytes,
    sizes: {
      nameBytes: config.maxNameBytes ?? d.sizes.nameBytes,
      textBytes: config.maxTextBytes ?? d.sizes.textBytes,
      jsonBytes: config.maxJsonBytes ?? d.sizes.jsonBytes,
      fileBytes: config.maxFileBytes ?? d.sizes.fileBytes,
    },
  };
}

export type QueryLimitsConfig = Pick<
  Config,
  | 'maxQueryDepth'
  | 'maxQueryCost'
  | 'maxQueryAliases'
  | 'maxQueryDirectives'
  | 'maxQueryTokens'
  | 'maxResponseBytes'
  | 'maxNameBytes'
  | 'maxTextBytes'
  | 'maxJsonBytes'
  | 'maxFileBytes'
>;

/** The most items of a list field that is not a connection: what its `first` defaults to and may not exceed. */
export const MAX_LIST_ITEMS = 100;

/**
 * Every list field of the schema that is not a connection, with the most items it can return.
 * A test checks that no list field is missing here, so a new one cannot weigh as one item.
 * 'first': the field takes `first` (default and maximum MAX_LIST_ITEMS) and returns at most that.
 * 'input': as many items as the mutation's input has documents (the mutation field multiplies).
 */
export const LIST_MAXIMA: Readonly<Record<string, number | 'first' | 'input'>> = {
  'Run.steps': 'first',
  'Step.llmCalls': 'first',
  'Step.files': 'first',
  'Run.files': 'first',
  'Document.files': 'first',
  'Document.uris': 'first',
  'DocumentUri.history': 'first',
  'Worker.activeSteps': 'first',
  'Query.workers': 'first',
  'Query.llmUsage': 'first',
  // One entry per RunStatus at most.
  'BatchStats.runsByStatus': 6,
  'AddDocumentsPayload.uris': 'input',
  // One entry per StepType at most.
  'WorkAvailable.stepTypes': 8,
};

/** Errors of these rules carry `extensions.limit`; they are reported as QUERY_TOO_COMPLEX. */
function tooComplex(limit: string, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'QUERY_TOO_COMPLEX', limit, ...extra, http: { status: 400 } },
  });
}

const reject = (limit: string) => ({
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(tooComplex(limit, error.message.replace(/^Syntax Error: /, ''))),
  ],
});

const WRAPPERS = new Set(['nodes', 'edges', 'node', 'pageInfo']);

/** A connection or edge type: its `nodes`, `edges`, `node` and `pageInfo` are wrappers, not entities. */
function isWrapperParent(type: GraphQLNamedType | null | undefined): boolean {
  return !!type && (type.name.endsWith('Connection') || type.name.endsWith('Edge'));
}

/**
 * The document with every connection wrapper field replaced by an inline fragment of its
 * selections: armor's depth rule, with inline fragments flattened, then counts entity levels.
 */
function withoutWrappers(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        leave(node) {
          if (!node.selectionSet || !WRAPPERS.has(node.name.value)) return undefined;
          if (!isWrapperParent(typeInfo.getParentType())) return undefined;
          return { kind: Kind.INLINE_FRAGMENT, selectionSet: node.selectionSet, directives: node.directives };
        },
      },
    }),
  );
}

/**
 * graphql-armor's depth rule over entity levels: `project { batches { nodes { runGroups ...` is
 * two levels, not four, so the model's natural tree fits while a cycle (run -> runGroup -> runs
 * -> runGroup ...) stays bounded.
 */
function entityDepthRule(n: number): ValidationRule {
  const armor = maxDepthRule({ n, flattenFragments: true, ...reject('depth') }) as unknown as (
    context: ValidationContext,
  ) => ASTVisitor;
  const check = (schema: GraphQLSchema, document: DocumentNode, onError: (e: GraphQLError) => void) =>
    visit(document, armor(new ValidationContext(schema, document, new TypeInfo(schema), onError)));
  return (context) => ({
    Document(node) {
      const schema = context.getSchema();
      // Wrappers only ever add depth: a document within the limit as written needs no rewrite.
      let over = false;
      check(schema, node, () => (over = true));
      if (over) check(schema, withoutWrappers(schema, node), (e) => context.reportError(e));
      return false;
    },
  });
}

/** graphql-armor's rules for depth, aliases and directives; cost is checked with variables (checkCost). */
export function limitRules(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule[] {
  return [
    entityDepthRule(limits.depth),
    maxAliasesRule({ n: limits.aliases, ...reject('aliases') }) as unknown as ValidationRule,
    maxDirectivesRule({ n: limits.directives, ...reject('directives') }) as unknown as ValidationRule,
  ];
}

type Args = Record<string, unknown>;

/**
 * How many items a field returns at most: `first` of a connection (default 20), of a short
 * list (default MAX_LIST_ITEMS), a fixed maximum, or 1 for a field that is not a list.
 */
function listItems(parent: string, field: GraphQLField<unknown, unknown>, args: Args): number {
  const first = typeof args.first === 'number' && args.first >= 0 ? args.first : undefined;
  if (field.args.some((a) => a.name === 'first') && !isListType(getNullableType(field.type))) {
    return Math.min(first ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  }
  if (!isListType(getNullableType(field.type))) return 1;
  // A connection's edges and nodes: the connection field already weighed its `first`.
  if (parent.endsWith('Connection')) return 1;
  if (parent.startsWith('__')) return 1; // introspection: the schema's own size
  const max = LIST_MAXIMA[`${parent}.${field.name}`];
  if (max === 'first') return Math.min(first ?? MAX_LIST_ITEMS, MAX_LIST_ITEMS);
  // Weighed once per item here; the mutation multiplies its payload by its input's documents.
  if (max === 'input') return 1;
  return max ?? MAX_LIST_ITEMS;
}

/** Documents in a mutation's input: the upper bound of the URIs its payload lists. */
function inputItems(args: Args): number {
  const input = args.input as { documents?: unknown } | undefined;
  return Math.max(1, Array.isArray(input?.documents) ? input.documents.length : 0);
}

/** A mutation whose payload lists one item per input document (LIST_MAXIMA 'input'). */
function listsInput(type: { name: string }, field: GraphQLField<unknown, unknown>): boolean {
  if (type.name !== 'Mutation') return false;
  const payload = getNamedType(field.type);
  return (
    isObjectType(payload) &&
    Object.keys(payload.getFields()).some((f) => LIST_MAXIMA[`${payload.name}.${f}`] === 'input')
  );
}

/** Strings of a known, short form (ids, hashes, cursors, slugs, secrets). */
const FIXED_STRINGS: Record<string, number> = {
  hash: 80,
  checksum: 80,
  cursor: 128,
  startCursor: 128,
  endCursor: 128,
  slug: 70,
  secret: 80,
};

const TEXT_FIELDS = new Set(['statusMessage', 'errorMessage']);

/** The most bytes a leaf value can take in the response JSON. */
function leafBytes(field: GraphQLField<unknown, unknown>, type: GraphQLNamedType, args: Args, l: QueryLimits): number {
  const { sizes } = l;
  if (field.name === 'content' && type.name === 'String') {
    const cap =
      typeof args.maxBytes === 'number' && args.maxBytes >= 0
        ? Math.min(args.maxBytes, sizes.fileBytes)
        : sizes.fileBytes;
    return args.encoding === 'BASE64' ? Math.ceil(cap / 3) * 4 + 2 : cap + 2;
  }
  if (isEnumType(type)) return Math.max(...type.getValues().map((v) => v.name.length)) + 2;
  switch (type.name) {
    case 'ID':
      return 72;
    case 'Int':
    case 'SafeInt':
      return 17;
    case 'Float':
      return 24;
    case 'Boolean':
      return 5;
    case 'DateTime':
      return 32;
    case 'JSON':
      // cumulativeConfig included: startRunGroup bounds the merged configs of a run's steps too.
      return sizes.jsonBytes;
    case 'String':
      return FIXED_STRINGS[field.name] ?? (TEXT_FIELDS.has(field.name) ? sizes.textBytes : sizes.nameBytes) + 2;
    default:
      return sizes.nameBytes;
  }
}

interface Estimate {
  /** Rows: every field 1, its children as many times as the field has items. */
  cost: number;
  /** Response bytes: every key and leaf value at its largest. */
  bytes: number;
}

function estimators(limits: QueryLimits): { cost: ComplexityEstimator; bytes: ComplexityEstimator } {
  const items = (type: { name: string }, field: GraphQLField<unknown, unknown>, args: Args) =>
    listItems(type.name, field, args);
  return {
    cost: ({ type, field, args, childComplexity }) => {
      if (listsInput(type, field)) return 1 + childComplexity * inputItems(args);
      return 1 + childComplexity * items(type, field, args);
    },
    bytes: ({ type, field, args, childComplexity, node }) => {
      const key = (node.alias ?? node.name).value.length + 4;
      if (listsInput(type, field)) return key + childComplexity * inputItems(args);
      const named = getNamedType(field.type);
      const each = isLeafType(named) ? leafBytes(field, named, args, limits) : childComplexity + 2;
      return key + each * items(type, field, args);
    },
  };
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

const COST_TYPES = new Set(['Int', 'Boolean']);

/**
 * Variables change the estimate only through `first`, `maxBytes` (Int arguments), `encoding`
 * (an enum), @include/@skip (Boolean) and the input documents of a mutation whose payload lists
 * one item per document: an operation that uses none of those costs the same whatever its
 * variables. (A worker's claims, reports and check-ins are such mutations: estimating each one
 * anew cost more CPU than the rest of its request.)
 */
function estimateIsFixed(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (!operation) return false;
  const varies = (operation.variableDefinitions ?? []).some((v) => {
    const name = namedType(v.type);
    return COST_TYPES.has(name) || isEnumType(schema.getType(name));
  });
  if (varies) return false;
  if (operation.operation !== OperationTypeNode.MUTATION) return true;
  const mutation = schema.getMutationType();
  if (!mutation) return false;
  const fields = mutation.getFields();
  return operation.selectionSet.selections.every((selection) => {
    if (selection.kind !== Kind.FIELD) return false; // fragments on the root: not worth following
    const field = fields[selection.name.value];
    return selection.name.value === '__typename' || (!!field && !listsInput(mutation, field));
  });
}

function estimate(
  schema: GraphQLSchema,
  limits: QueryLimits,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): Estimate {
  const { cost, bytes } = estimators(limits);
  const run = (estimator: ComplexityEstimator) =>
    getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators: [estimator],
    });
  try {
    return { cost: run(cost), bytes: run(bytes) };
  } catch (e) {
    // Variables that do not fit the operation: say so, as execution would.
    if (e instanceof GraphQLError)
      throw new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
    throw e;
  }
}

// Estimates that cannot depend on variables, by limits, document (Apollo and DocumentCache hand
// out one DocumentNode per query text) and operation name. null: it depends on the variables.
const fixedEstimates = new WeakMap<QueryLimits, WeakMap<DocumentNode, Map<string, Estimate | null>>>();

/** The cost and byte estimate of an operation with its variables (cached when they cannot change it). */
function estimateOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): Estimate {
  let byDocument = fixedEstimates.get(limits);
  if (!byDocument) fixedEstimates.set(limits, (byDocument = new WeakMap()));
  let byName = byDocument.get(document);
  if (!byName) byDocument.set(document, (byName = new Map()));
  const key = operationName ?? '';
  let known = byName.get(key);
  if (known === undefined) {
    known = estimateIsFixed(schema, document, operationName)
      ? estimate(schema, limits, document, variables, operationName)
      : null;
    byName.set(key, known);
  }
  return known ?? estimate(schema, limits, document, variables, operationName);
}

/**
 * Throws QUERY_TOO_COMPLEX when the operation, with its variables, could touch more rows than
 * the cost limit or answer with more bytes than MAX_RESPONSE_BYTES: before anything is loaded.
 */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): void {
  const { cost, bytes } = estimateOperation(schema, document, variables, operationName, limits);
  if (cost > limits.cost) {
    throw tooComplex(
      'cost',
      `Query cost ${cost} exceeds the limit of ${limits.cost} (lists weigh as many items as they can return: their first argument, or their documented maximum)`,
      { cost },
    );
  }
  if (bytes > limits.responseBytes) {
    throw tooComplex(
      'responseBytes',
      `The response could reach ${bytes} bytes, more than the limit of ${limits.responseBytes} (MAX_RESPONSE_BYTES): ask for fewer items, or pass maxBytes to content`,
      { bytes },
    );
  }
}
