/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
  'query RunDetail($id: ID!) {\n  run(id: $id) {\n    id\n    status\n    duration\n    document {\n      hash\n      uris(first: 10) {\n        source\n        uri\n        version\n      }\n    }\n    steps {\n      id\n      number\n      name\n      type\n      status\n      retry\n      maxRetries\n      version\n      worker {\n        id\n        isStale\n      }\n      llmCalls(first: 20) {\n        model\n        totalTokens\n        costUsd\n        latencyMs\n      }\n    }\n  }\n}\n\nquery RunGroupPage($id: ID!, $first: Int = 50, $after: String) {\n  runGroup(id: $id) {\n    id\n    name\n    status\n    progress {\n      total\n      pending\n      running\n      completed\n      failed\n      fractionDone\n    }\n    runs(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        status\n        duration\n        document {\n          hash\n        }\n      }\n    }\n  }\n}\n\nquery BatchOverview($id: ID!) {\n  batch(id: $id) {\n    id\n    name\n    source\n    startedAt\n    completedAt\n    stats {\n      documentCount\n      runCount\n      runsByStatus {\n        status\n        count\n      }\n    }\n    runGroups(first: 20) {\n      nodes {\n        id\n        name\n        status\n        progress {\n          total\n          completed\n          fractionDone\n        }\n      }\n    }\n  }\n}\n\nquery LlmUsageByModel($filter: LlmCallFilter) {\n  llmUsage(groupBy: MODEL, filter: $filter) {\n    key\n    calls\n    errors\n    totalTokens\n    costUsd\n    latencyMsP50\n    latencyMsP95\n  }\n}\n\nsubscription StepStatusChanged($filter: EventFilter!, $after: String) {\n  stepStatusChanged(filter: $filter, after: $after) {\n    cursor\n    previousStatus\n    status\n    step {\n      id\n      name\n      number\n    }\n    runGroupProgress {\n      total\n      completed\n      fractionDone\n    }\n  }\n}': typeof types.RunDetailDocument;
};
const documents: Documents = {
  'query RunDetail($id: ID!) {\n  run(id: $id) {\n    id\n    status\n    duration\n    document {\n      hash\n      uris(first: 10) {\n        source\n        uri\n        version\n      }\n    }\n    steps {\n      id\n      number\n      name\n      type\n      status\n      retry\n      maxRetries\n      version\n      worker {\n        id\n        isStale\n      }\n      llmCalls(first: 20) {\n        model\n        totalTokens\n        costUsd\n        latencyMs\n      }\n    }\n  }\n}\n\nquery RunGroupPage($id: ID!, $first: Int = 50, $after: String) {\n  runGroup(id: $id) {\n    id\n    name\n    status\n    progress {\n      total\n      pending\n      running\n      completed\n      failed\n      fractionDone\n    }\n    runs(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        status\n        duration\n        document {\n          hash\n        }\n      }\n    }\n  }\n}\n\nquery BatchOverview($id: ID!) {\n  batch(id: $id) {\n    id\n    name\n    source\n    startedAt\n    completedAt\n    stats {\n      documentCount\n      runCount\n      runsByStatus {\n        status\n        count\n      }\n    }\n    runGroups(first: 20) {\n      nodes {\n        id\n        name\n        status\n        progress {\n          total\n          completed\n          fractionDone\n        }\n      }\n    }\n  }\n}\n\nquery LlmUsageByModel($filter: LlmCallFilter) {\n  llmUsage(groupBy: MODEL, filter: $filter) {\n    key\n    calls\n    errors\n    totalTokens\n    costUsd\n    latencyMsP50\n    latencyMsP95\n  }\n}\n\nsubscription StepStatusChanged($filter: EventFilter!, $after: String) {\n  stepStatusChanged(filter: $filter, after: $after) {\n    cursor\n    previousStatus\n    status\n    step {\n      id\n      name\n      number\n    }\n    runGroupProgress {\n      total\n      completed\n      fractionDone\n    }\n  }\n}':
    types.RunDetailDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: 'query RunDetail($id: ID!) {\n  run(id: $id) {\n    id\n    status\n    duration\n    document {\n      hash\n      uris(first: 10) {\n        source\n        uri\n        version\n      }\n    }\n    steps {\n      id\n      number\n      name\n      type\n      status\n      retry\n      maxRetries\n      version\n      worker {\n        id\n        isStale\n      }\n      llmCalls(first: 20) {\n        model\n        totalTokens\n        costUsd\n        latencyMs\n      }\n    }\n  }\n}\n\nquery RunGroupPage($id: ID!, $first: Int = 50, $after: String) {\n  runGroup(id: $id) {\n    id\n    name\n    status\n    progress {\n      total\n      pending\n      running\n      completed\n      failed\n      fractionDone\n    }\n    runs(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        status\n        duration\n        document {\n          hash\n        }\n      }\n    }\n  }\n}\n\nquery BatchOverview($id: ID!) {\n  batch(id: $id) {\n    id\n    name\n    source\n    startedAt\n    completedAt\n    stats {\n      documentCount\n      runCount\n      runsByStatus {\n        status\n        count\n      }\n    }\n    runGroups(first: 20) {\n      nodes {\n        id\n        name\n        status\n        progress {\n          total\n          completed\n          fractionDone\n        }\n      }\n    }\n  }\n}\n\nquery LlmUsageByModel($filter: LlmCallFilter) {\n  llmUsage(groupBy: MODEL, filter: $filter) {\n    key\n    calls\n    errors\n    totalTokens\n    costUsd\n    latencyMsP50\n    latencyMsP95\n  }\n}\n\nsubscription StepStatusChanged($filter: EventFilter!, $after: String) {\n  stepStatusChanged(filter: $filter, after: $after) {\n    cursor\n    previousStatus\n    status\n    step {\n      id\n      name\n      number\n    }\n    runGroupProgress {\n      total\n      completed\n      fractionDone\n    }\n  }\n}',
): (typeof documents)['query RunDetail($id: ID!) {\n  run(id: $id) {\n    id\n    status\n    duration\n    document {\n      hash\n      uris(first: 10) {\n        source\n        uri\n        version\n      }\n    }\n    steps {\n      id\n      number\n      name\n      type\n      status\n      retry\n      maxRetries\n      version\n      worker {\n        id\n        isStale\n      }\n      llmCalls(first: 20) {\n        model\n        totalTokens\n        costUsd\n        latencyMs\n      }\n    }\n  }\n}\n\nquery RunGroupPage($id: ID!, $first: Int = 50, $after: String) {\n  runGroup(id: $id) {\n    id\n    name\n    status\n    progress {\n      total\n      pending\n      running\n      completed\n      failed\n      fractionDone\n    }\n    runs(first: $first, after: $after) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        status\n        duration\n        document {\n          hash\n        }\n      }\n    }\n  }\n}\n\nquery BatchOverview($id: ID!) {\n  batch(id: $id) {\n    id\n    name\n    source\n    startedAt\n    completedAt\n    stats {\n      documentCount\n      runCount\n      runsByStatus {\n        status\n        count\n      }\n    }\n    runGroups(first: 20) {\n      nodes {\n        id\n        name\n        status\n        progress {\n          total\n          completed\n          fractionDone\n        }\n      }\n    }\n  }\n}\n\nquery LlmUsageByModel($filter: LlmCallFilter) {\n  llmUsage(groupBy: MODEL, filter: $filter) {\n    key\n    calls\n    errors\n    totalTokens\n    costUsd\n    latencyMsP50\n    latencyMsP95\n  }\n}\n\nsubscription StepStatusChanged($filter: EventFilter!, $after: String) {\n  stepStatusChanged(filter: $filter, after: $after) {\n    cursor\n    previousStatus\n    status\n    step {\n      id\n      name\n      number\n    }\n    runGroupProgress {\n      total\n      completed\n      fractionDone\n    }\n  }\n}'];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> =
  TDocumentNode extends DocumentNode<infer TType, any> ? TType : never;
