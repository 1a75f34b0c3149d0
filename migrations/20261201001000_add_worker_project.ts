import type { Knex } from 'knex';

/**
 * A worker belongs to one project: the same name in two projects is two workers (DESIGN.md).
 * Existing workers become one row per project whose steps they hold or held; a worker that never
 * touched a step cannot be attributed and is dropped (its next check-in creates it again).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table step drop constraint step_worker_id_foreign`);
  await knex.raw(`alter table worker drop constraint worker_pkey`);
  await knex.raw(`alter table worker add column project_id uuid`);
  await knex.raw(`
    insert into worker (id, project_id, first_checkin_at, last_checkin_at)
    select distinct w.id, s.project_id, w.first_checkin_at, w.last_checkin_at
    from worker w join step s on s.worker_id = w.id`);
  await knex.raw(`delete from worker where project_id is null`);
  await knex.raw(`alter table worker alter column project_id set not null`);
  await knex.raw(`alter table worker add constraint worker_pkey primary key (project_id, id)`);
  // The primary key's leading column indexes this foreign key.
  await knex.raw(
    `alter table worker add constraint worker_project_id_foreign foreign key (project_id) references project (id) on delete cascade`,
  );
  // A step's worker is one of its own project's workers.
  await knex.raw(`drop index step_worker_id_index`);
  await knex.raw(`create index step_worker_id_index on step (project_id, worker_id) where worker_id is not null`);
  await knex.raw(
    `alter table step add constraint step_worker_id_foreign foreign key (project_id, worker_id)
     references worker (project_id, id) on delete set null (worker_id)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table step drop constraint step_worker_id_foreign`);
  await knex.raw(`drop index step_worker_id_index`);
  await knex.raw(`create index step_worker_id_index on step (worker_id) where worker_id is not null`);
  await knex.raw(`alter table worker drop constraint worker_project_id_foreign`);
  await knex.raw(`alter table worker drop constraint worker_pkey`);
  // One row per name again: the most recently seen one.
  await knex.raw(`
    delete from worker w using worker newer
    where newer.id = w.id and (newer.last_checkin_at, newer.project_id) > (w.last_checkin_at, w.project_id)`);
  await knex.raw(`alter table worker drop column project_id`);
  await knex.raw(`alter table worker add constraint worker_pkey primary key (id)`);
  await knex.raw(
    `alter table step add constraint step_worker_id_foreign foreign key (worker_id) references worker (id) on delete set null`,
  );
}
