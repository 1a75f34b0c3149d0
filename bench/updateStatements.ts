// What updateStepStatus sends to PostgreSQL for M2's report (a RUNNING step reported ERROR with a
// retry left, by its worker), as plain pg statements: M2's baseline (bench/run.ts, 8 pg clients)
// and the floor's /update endpoint (bench/floor.ts, the same statements behind plain Node http).
// Keep it in step with src/services/steps.ts: test/mutations/steps.test.ts lists the statements
// of that report (the step locked, the worker's check-in, the step with its event; no rollup,
// since the run stays RUNNING), and the writer sequences its events after the commit.
import type pg from 'pg';

const names = new Map<string, string>();
/**
 * A statement as a named prepared statement of its connection, as runledger sends what repeats
 * on a direct connection (src/db/preparedStatements.ts): the baselines plan once per connection too.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (!name) names.set(text, (name = `floor_${names.size}`));
  return { name, text, values };
}

export async function updateStepDirectly(pool: pg.Pool, step: string, workerId: string): Promise<{ version: number }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const {
      rows: [s],
    } = await client.query(
      prepared(
        `select s.id, s.project_id, s.run_id, r.run_group_id, r.batch_id, s.type, s.status, s.is_last_step, s.retry,
              s.max_retries, s.worker_id, s.version
       from step s join run r on r.id = s.run_id where s.id = $1 for update of s`,
        [step],
      ),
    );
    await client.query(
      prepared(
        `insert into worker (id, project_id) values ($1, $2)
       on conflict (project_id, id) do update set last_checkin_at = current_timestamp returning worker.*`,
        [workerId, s.project_id],
      ),
    );
    const {
      rows: [updated],
    } = await client.query(
      prepared(
        `with step_event as (
         insert into lifecycle_event (project_id, batch_id, run_group_id, run_id, step_id, step_type, type, status,
           previous_status, handler_name, status_meta)
         values ($3, $4, $5, $6, $1, $7, 'STEP_FAILED', 'ERROR', $8, $2, '{}')
       )
       update step set status = 'ERROR', status_message = null, status_meta = '{}', status_at = now(),
         completed_at = null, retry = retry + 1, worker_id = $2, version = version + 1
       where id = $1 returning step.*`,
        [step, workerId, s.project_id, s.batch_id, s.run_group_id, s.run_id, s.type, s.status],
      ),
    );
    await client.query('commit');
    await client.query(prepared('select sequence_lifecycle_events($1) as n', [5000]));
    return { version: updated.version as number };
  } catch (e) {
    await client.query('rollback');
    throw e;
  } finally {
    client.release();
  }
}
