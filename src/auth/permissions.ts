import { Kind, OperationTypeNode, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { forbidden } from '../errors';
import type { RoleValue } from '../models/ApiKey';
import { hasRole, type Principal } from './principal';

/** The only place that says which role a root field needs. */
const ADMIN_MUTATIONS = new Set(['createProject', 'createApiKey', 'revokeApiKey']);
/** Subscriptions that write: claimedStep claims steps as claimNextStep does. */
const WRITER_SUBSCRIPTIONS = new Set(['claimedStep']);

function requiredRole(operation: OperationDefinitionNode['operation'], field: string): RoleValue {
  if (operation === OperationTypeNode.SUBSCRIPTION) return WRITER_SUBSCRIPTIONS.has(field) ? 'WRITER' : 'READER';
  if (operation !== OperationTypeNode.MUTATION) return 'READER';
  return ADMIN_MUTATIONS.has(field) ? 'ADMIN' : 'WRITER';
}

/** Checks every root field of the operation against the caller's role before anything runs. */
export function authorizeOperation(
  principal: Principal,
  operation: OperationDefinitionNode,
  document: DocumentNode,
): void {
  for (const field of rootFields(operation, document)) {
    const role = requiredRole(operation.operation, field);
    if (!hasRole(principal, role)) {
      throw forbidden(`${field} needs a ${role} key; this key is a ${principal.role} key`);
    }
  }
}

// Documents are parsed once per query text (Apollo's store, DocumentCache): their operations'
// root fields are collected once, not on every request.
const rootFieldsByOperation = new WeakMap<OperationDefinitionNode, readonly string[]>();

function rootFields(operation: OperationDefinitionNode, document: DocumentNode): readonly string[] {
  let names = rootFieldsByOperation.get(operation);
  if (!names) rootFieldsByOperation.set(operation, (names = collectRootFields(operation, document)));
  return names;
}

function collectRootFields(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  const fragments = new Map(
    document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d] as const),
  );
  const names: string[] = [];
  const visit = (selections: OperationDefinitionNode['selectionSet']['selections'], seen: Set<string>) => {
    for (const s of selections) {
      if (s.kind === Kind.FIELD) {
        if (!s.name.value.startsWith('__')) names.push(s.name.value);
      } else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet.selections, seen);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const f = fragments.get(s.name.value);
        if (f) visit(f.selectionSet.selections, seen);
      }
    }
  };
  visit(operation.selectionSet.selections, new Set());
  return names;
}
