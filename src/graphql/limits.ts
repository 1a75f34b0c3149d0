import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from './pagination';

/** What one operation may ask for, on HTTP and WebSocket alike. */
export const LIMITS = { depth: 10, cost: 5000, aliases: 15, directives: 50, tokens: 1000 } as const;

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

/** graphql-armor's rules for depth, aliases and directives; cost is checked with variables (checkCost). */
export function limitRules(): ValidationRule[] {
  return [
    maxDepthRule({ n: LIMITS.depth, ...reject('depth') }) as unknown as ValidationRule,
    maxAliasesRule({ n: LIMITS.aliases, ...reject('aliases') }) as unknown as ValidationRule,
    maxDirectivesRule({ n: LIMITS.directives, ...reject('directives') }) as unknown as ValidationRule,
  ];
}

/** A list with `first` costs its children `first` times (default 20); every other field costs 1. */
const firstWeighted: ComplexityEstimator = ({ args, childComplexity, field }) => {
  if (!field.args.some((a) => a.name === 'first')) return undefined;
  const first = typeof args.first === 'number' && args.first >= 0 ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + childComplexity * Math.max(first, 1);
};

// Costs that cannot depend on variables, by document (Apollo and DocumentCache hand out one
// DocumentNode per query text) and operation name.
// null: the operation's cost depends on its variables (decided once per document and name).
const fixedCosts = new WeakMap<DocumentNode, Map<string, number | null>>();

/**
 * Variables change the cost only through `first` (an Int argument) and @include/@skip (Boolean):
 * an operation that declares no Int or Boolean variable costs the same whatever its variables.
 */
function costIsFixed(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  return !!operation && !(operation.variableDefinitions ?? []).some((v) => COST_TYPES.has(namedType(v.type)));
}

const COST_TYPES = new Set(['Int', 'Boolean']);

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

function computeCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): number {
  try {
    return getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators: [firstWeighted, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (e) {
    // Variables that do not fit the operation: say so, as execution would.
    if (e instanceof GraphQLError)
      throw new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
    throw e;
  }
}

/** Throws QUERY_TOO_COMPLEX when the operation, with its variables, costs more than the limit. */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): void {
  let byName = fixedCosts.get(document);
  if (!byName) fixedCosts.set(document, (byName = new Map()));
  const key = operationName ?? '';
  let known = byName.get(key);
  if (known === undefined) {
    known = costIsFixed(document, operationName) ? computeCost(schema, document, variables, operationName) : null;
    byName.set(key, known);
  }
  const cost = known ?? computeCost(schema, document, variables, operationName);
  if (cost > LIMITS.cost) {
    throw tooComplex(
      'cost',
      `Query cost ${cost} exceeds the limit of ${LIMITS.cost} (lists weigh as many items as their first argument asks for)`,
      { cost },
    );
  }
}
