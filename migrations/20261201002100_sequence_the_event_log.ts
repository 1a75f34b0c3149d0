import type { Knex } from 'knex';

// The event log's delivery order (src/events/sequencer.ts). A writer inserts its events with no
// position; after they commit, one sequencer at a time (the head row's lock) numbers every
// committed event without one, in id order. Positions therefore become visible in increasing
// order (a reader never sees a position before a smaller one), and the events of one step, run
// or group, which are inserted while their row is locked, get positions in commit order.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table lifecycle_event add column position bigint`);
  // Events already in the log keep the order readers gave them before.
  await knex.raw(`update lifecycle_event set position = id`);
  await knex.raw(`create unique index lifecycle_event_position_index on lifecycle_event (position)`);
  await knex.raw(`create index lifecycle_event_unsequenced_index on lifecycle_event (id) where position is null`);
  await knex.raw(`create index lifecycle_event_project_id_position_index on lifecycle_event (project_id, position)`);
  await knex.raw(`create index lifecycle_event_run_group_id_position_index on lifecycle_event (run_group_id, position)`);
  await knex.raw(`create index lifecycle_event_run_id_position_index on lifecycle_event (run_id, position)`);
  await knex.raw(`drop index lifecycle_event_project_id_id_index`);
  await knex.raw(`drop index lifecycle_event_run_group_id_id_index`);
  await knex.raw(`drop index lifecycle_event_run_id_id_index`);
  await knex.raw(`drop index lifecycle_event_tx_id_id_index`);

  // One row: the last position given out, and the position up to which events may have been
  // pruned (a cursor at or after it can still resume).
  await knex.raw(`create table event_log_head (
    id boolean primary key default true check (id),
    position bigint not null,
    pruned_through bigint not null default 0
  )`);
  await knex.raw(`insert into event_log_head (position) select coalesce(max(id), 0) from lifecycle_event`);

  // One round trip per run: a VOLATILE plpgsql function takes a new snapshot for each statement,
  // so the numbering below sees every event committed before the head lock was granted.
  // SKIP LOCKED passes over events being deleted (only deletes lock event rows).
  await knex.raw(`create function sequence_lifecycle_events(max_events int) returns int
    language plpgsql volatile as $$
    declare
      head bigint;
      numbered int;
    begin
      select position into head from event_log_head for update;
      with next as (
        select id from lifecycle_event where position is null order by id limit max_events
        for no key update skip locked
      ), ordered as (
        select id, head + row_number() over (order by id) as position from next
      )
      update lifecycle_event e set position = o.position from ordered o where e.id = o.id;
      get diagnostics numbered = row_count;
      if numbered > 0 then
        update event_log_head set position = head + numbered;
      end if;
      return numbered;
    end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop function sequence_lifecycle_events(int)`);
  await knex.raw(`drop table event_log_head`);
  await knex.raw(`create index lifecycle_event_tx_id_id_index on lifecycle_event (tx_id, id)`);
  await knex.raw(`create index lifecycle_event_run_id_id_index on lifecycle_event (run_id, id)`);
  await knex.raw(`create index lifecycle_event_run_group_id_id_index on lifecycle_event (run_group_id, id)`);
  await knex.raw(`create index lifecycle_event_project_id_id_index on lifecycle_event (project_id, id)`);
  await knex.raw(`drop index lifecycle_event_run_id_position_index`);
  await knex.raw(`drop index lifecycle_event_run_group_id_position_index`);
  await knex.raw(`drop index lifecycle_event_project_id_position_index`);
  await knex.raw(`drop index lifecycle_event_unsequenced_index`);
  await knex.raw(`drop index lifecycle_event_position_index`);
  await knex.raw(`alter table lifecycle_event drop column position`);
}
