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
  '\n  mutation CreateProject($i: CreateProjectInput!) {\n    createProject(input: $i) {\n      id\n      slug\n    }\n  }\n': typeof types.CreateProjectDocument;
  '\n  mutation CreateBatch($i: CreateBatchInput!) {\n    createBatch(input: $i) {\n      id\n      documents(first: 100) {\n        nodes {\n          id\n          document {\n            id\n          }\n        }\n      }\n    }\n  }\n': typeof types.CreateBatchDocument;
};
const documents: Documents = {
  '\n  mutation CreateProject($i: CreateProjectInput!) {\n    createProject(input: $i) {\n      id\n      slug\n    }\n  }\n':
    types.CreateProjectDocument,
  '\n  mutation CreateBatch($i: CreateBatchInput!) {\n    createBatch(input: $i) {\n      id\n      documents(first: 100) {\n        nodes {\n          id\n          document {\n            id\n          }\n        }\n      }\n    }\n  }\n':
    types.CreateBatchDocument,
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
  source: '\n  mutation CreateProject($i: CreateProjectInput!) {\n    createProject(input: $i) {\n      id\n      slug\n    }\n  }\n',
): (typeof documents)['\n  mutation CreateProject($i: CreateProjectInput!) {\n    createProject(input: $i) {\n      id\n      slug\n    }\n  }\n'];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: '\n  mutation CreateBatch($i: CreateBatchInput!) {\n    createBatch(input: $i) {\n      id\n      documents(first: 100) {\n        nodes {\n          id\n          document {\n            id\n          }\n        }\n      }\n    }\n  }\n',
): (typeof documents)['\n  mutation CreateBatch($i: CreateBatchInput!) {\n    createBatch(input: $i) {\n      id\n      documents(first: 100) {\n        nodes {\n          id\n          document {\n            id\n          }\n        }\n      }\n    }\n  }\n'];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> =
  TDocumentNode extends DocumentNode<infer TType, any> ? TType : never;
