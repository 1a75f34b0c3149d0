// Fails when schema/ breaks clients written against the committed schema.graphql. To make a
// breaking change on purpose, run `npm run codegen` and commit schema.graphql with it: the
// change is then visible in review, and this check compares against the new file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, findBreakingChanges, findDangerousChanges } from 'graphql';
import { loadTypeDefs } from '../src/graphql/schema';

const committedFile = path.resolve(__dirname, '..', 'schema.graphql');
const committed = buildSchema(readFileSync(committedFile, 'utf8'));
const current = buildSchema(loadTypeDefs().join('\n'));

for (const change of findDangerousChanges(committed, current)) {
  console.warn(`schema: dangerous change (${change.type}): ${change.description}`);
}
const breaking = findBreakingChanges(committed, current);
for (const change of breaking) console.error(`schema: BREAKING (${change.type}): ${change.description}`);
if (breaking.length) {
  console.error(
    `schema: ${breaking.length} breaking change(s) against schema.graphql. If they are meant, run ` +
      '`npm run codegen` and commit schema.graphql in the same change.',
  );
  process.exit(1);
}
console.log('schema: no breaking change against schema.graphql');
