import {
  TypeInfo,
  isAbstractType,
  isObjectType,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';

/** The fields an operation selects, by object type. */
export type Selection = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Every field a document selects, by object type (fields selected on an interface or union
 * count for each of its object types). Loaders use it to leave out columns nobody asked for.
 */
export function selectedFields(schema: GraphQLSchema, document: DocumentNode): Selection {
  // Apollo hands out one DocumentNode per query text: walk each document once.
  let known = cache.get(document);
  if (!known) cache.set(document, (known = walk(schema, document)));
  return known;
}

const cache = new WeakMap<DocumentNode, Selection>();

function walk(schema: GraphQLSchema, document: DocumentNode): Map<string, Set<string>> {
  const byType = new Map<string, Set<string>>();
  const add = (type: string, field: string) => {
    let fields = byType.get(type);
    if (!fields) byType.set(type, (fields = new Set()));
    fields.add(field);
  };
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (isObjectType(parent)) add(parent.name, node.name.value);
        else if (isAbstractType(parent)) for (const t of schema.getPossibleTypes(parent)) add(t.name, node.name.value);
      },
    }),
  );
  return byType;
}
