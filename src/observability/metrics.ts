import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from '../events/bus';
import { waitingClaims } from '../events/claims';

export interface Metrics {
  registry: Registry;
  requests: Counter<'operation' | 'outcome'>;
  duration: Histogram<'operation'>;
  deliveryLag: Histogram;
  /** Subscription payloads sent (one per subscriber per event). */
  subscriptionPayloads: Counter;
  /** Subscription payloads executed (once per event per subscription shape). */
  subscriptionExecutions: Counter;
  /** Subscription payloads serialised to JSON (once per result, shared by the subscribers of a shape). */
  subscriptionSerialisations: Counter;
  /** Rows deleted by retention, by kind (idempotency_key, lifecycle_event, worker, step_config). */
  pruned: Counter<'kind'>;
  /** The `operation` label of an operation: from a bounded set, whatever clients send. */
  operationLabel(resolvedName: string | null | undefined): string;
}

/** Labels of operations past the cap on distinct names, or with names too long to be a label. */
const OTHER_OPERATIONS = '(other)';
/** Operations without a name, and requests whose document never parsed, validated and resolved. */
const ANONYMOUS_OPERATION = '(anonymous)';
const MAX_LABEL_LENGTH = 100;

/**
 * Operation names become labels only once their document parsed, validated and resolved (the
 * caller passes that name, never the one a client sent), at most `max` distinct ones per
 * process; the rest count as OTHER_OPERATIONS, so /metrics stays a fixed size.
 */
function boundedOperationLabels(max: number): (name: string | null | undefined) => string {
  const known = new Set<string>();
  return (name) => {
    if (!name) return ANONYMOUS_OPERATION;
    if (known.has(name)) return name;
    if (name.length > MAX_LABEL_LENGTH || known.size >= max) return OTHER_OPERATIONS;
    known.add(name);
    return name;
  };
}

/** One registry per server (a process may run several in tests), exposed at /metrics. */
export function createMetrics(deps: {
  db: Knex;
  eventsDb: Knex;
  bus: () => EventBus | undefined;
  /** METRICS_MAX_OPERATIONS. @default 200 */
  maxOperationLabels?: number;
}): Metrics {
  const registry = new Registry();
  const statements = new Counter({
    name: 'runledger_sql_statements_total',
    help: 'SQL statements sent, by pool (queries: requests; events: the event bus)',
    labelNames: ['pool'] as const,
    registers: [registry],
  });
  deps.db.on('query', () => statements.inc({ pool: 'queries' }));
  deps.eventsDb.on('query', () => statements.inc({ pool: 'events' }));
  const subscriptionPayloads = new Counter({
    name: 'runledger_subscription_payloads_total',
    help: 'Subscription payloads sent',
    registers: [registry],
  });
  const subscriptionExecutions = new Counter({
    name: 'runledger_subscription_executions_total',
    help: 'Subscription payloads executed (shared by subscribers of one shape)',
    registers: [registry],
  });
  const subscriptionSerialisations = new Counter({
    name: 'runledger_subscription_serialisations_total',
    help: 'Subscription payloads serialised (once per result, shared by the subscribers of one shape)',
    registers: [registry],
  });
  collectDefaultMetrics({ register: registry, prefix: 'runledger_' });
  const requests = new Counter({
    name: 'runledger_graphql_requests_total',
    help: 'GraphQL operations by operation name and outcome (ok, error)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'runledger_graphql_request_duration_seconds',
    help: 'GraphQL operation latency',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const deliveryLag = new Histogram({
    name: 'runledger_event_delivery_lag_seconds',
    help: 'From the start of the transaction that wrote an event to its fan-out to subscribers',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'runledger_subscriptions_active',
    help: 'Live subscriptions on this process',
    registers: [registry],
    collect() {
      this.set(deps.bus()?.listenerCount ?? 0);
    },
  });
  new Gauge({
    name: 'runledger_claims_waiting',
    help: 'claimedStep subscriptions waiting for a step (idle worker slots) on this process',
    registers: [registry],
    collect() {
      const bus = deps.bus();
      this.set(bus ? waitingClaims(bus) : 0);
    },
  });
  new Gauge({
    name: 'runledger_db_pool_in_use',
    help: 'Connections of the query pool in use',
    registers: [registry],
    collect() {
      const pool = (deps.db.client as { pool?: { numUsed(): number } }).pool;
      this.set(pool?.numUsed() ?? 0);
    },
  });
  const pruned = new Counter({
    name: 'runledger_retention_pruned_rows_total',
    help: 'Rows deleted by retention passes, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  return {
    registry,
    pruned,
    requests,
    duration,
    deliveryLag,
    subscriptionPayloads,
    subscriptionExecutions,
    subscriptionSerialisations,
    operationLabel: boundedOperationLabels(deps.maxOperationLabels ?? 200),
  };
}
