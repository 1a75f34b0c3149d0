// What updateStepStatus sends to PostgreSQL for a RUNNING <-> ERROR flip, as plain pg
// statements: M2's baseline (bench/run.ts, 8 pg clients) and the floor's /update endpoint
// (bench/floor.ts, the same statements behind plain Node http).
import type pg from 'pg';

export async function updateStepDirectly(pool: pg.Pool, step: string): Promise<{ version: number }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const {
      rows: [s],
    } = await client.query(
      `select s.id, s.project_id, s.run_id, r.run_group_id, r.batch_id, s.type, s.status, s.retry, s.max_retries, s.worker_id, s.version from step s join run r on r.id = s.run_id where s.id = $1 for update of s`,
      [step],
    );
    const next = s.status === 'RUNNING' ? 'ERROR' : 'RUNNING';
    await client.query(
      `update step set status = $2, status_message = null, status_meta = '{}', status_at = now(), started_at = case when $2 = 'RUNNING' then coalesce(started_at, now()) else started_at end, completed_at = null, retry = retry + case when $2 = 'ERROR' then 1 else 0 end, version = version + 1 where id = $1`,
      [step, next],
    );
    await client.query(
      `insert into lifecycle_event (project_id, batch_id, run_group_id, run_id, step_id, step_type, type, status, previous_status, status_meta) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, '{}')`,
      [
        s.project_id,
        s.batch_id,
        s.run_group_id,
        s.run_id,
        step,
        s.type,
        next === 'RUNNING' ? 'STEP_START' : 'STEP_FAILED',
        next,
        s.status,
      ],
    );
    await client.query(`update run set status = 'RUNNING' where id = $1 and status = 'PENDING'`, [s.run_id]);
    await client.query(`update run_group set status = 'RUNNING' where id = $1 and status = 'PENDING'`, [
      s.run_group_id,
    ]);
    const {
      rows: [updated],
    } = await client.query(`select step.* from step where id = $1`, [step]);
    await client.query('commit');
    return { version: updated.version as number };
  } catch (e) {
    await client.query('rollback');
    throw e;
  } finally {
    client.release();
  }
}
