import type { Knex } from 'knex';
import { conflict } from '../errors';
import { IdempotencyKey } from '../models';
import { canonicalJson, sha256 } from './canonical';

export interface IdempotencyOptions {
  projectId: string;
  operation: string;
  key: string | null | undefined;
  /** The whole input; the key itself is left out of the comparison. */
  input: Record<string, unknown>;
}

/**
 * Runs `run` once per (project, operation, key) inside the caller's transaction. The key row is
 * inserted first: a racing call with the same key waits on it until this transaction commits,
 * then replays the stored result. The same key with another input is a CONFLICT, and so is a
 * replay whose stored result was deleted in the meantime (reason RESULT_DELETED).
 */
export async function idempotent<T, R>(
  trx: Knex.Transaction,
  options: IdempotencyOptions,
  run: () => Promise<T>,
  /** `decode` gives null when the stored result no longer exists (it was deleted since). */
  codec: { encode(result: T): R; decode(stored: R): Promise<T | null | undefined> },
): Promise<T> {
  if (options.key == null) return run();
  const { idempotencyKey: _ignored, ...input } = options.input;
  const requestHash = sha256(canonicalJson(input));
  const inserted = await trx('idempotency_key')
    .insert({ projectId: options.projectId, operation: options.operation, key: options.key, requestHash })
    .onConflict(['projectId', 'operation', 'key'])
    .ignore()
    .returning('id');
  if (inserted.length === 1) {
    const result = await run();
    await IdempotencyKey.query(trx)
      .findById(inserted[0].id)
      .patch({ result: codec.encode(result) as IdempotencyKey['result'] });
    return result;
  }
  // The row exists: the insert above found it (and waited for its transaction to commit).
  const stored = (await IdempotencyKey.query(trx).findOne({
    projectId: options.projectId,
    operation: options.operation,
    key: options.key,
  }))!;
  if (stored.requestHash !== requestHash) {
    throw conflict(`idempotencyKey ${JSON.stringify(options.key)} was already used with a different input`, {
      field: 'idempotencyKey',
    });
  }
  const replayed = await codec.decode(stored.result as R);
  if (replayed == null) {
    throw conflict(
      `idempotencyKey ${JSON.stringify(options.key)} was used by an earlier ${options.operation} whose result has since been deleted; send the request with a new key to run it again`,
      { field: 'idempotencyKey', reason: 'RESULT_DELETED' },
    );
  }
  return replayed;
}
