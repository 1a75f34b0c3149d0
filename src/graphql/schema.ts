import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from '../resolvers';

const schemaDirectory = path.resolve(__dirname, '..', '..', 'schema');

/** The SDL of schema/, in file-name order: the source of truth for the API and for codegen. */
export function loadTypeDefs(): string[] {
  return readdirSync(schemaDirectory)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(schemaDirectory, f), 'utf8'));
}

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers, inheritResolversFromInterfaces: true });
}
