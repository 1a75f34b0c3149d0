import type { Knex } from 'knex';

/** The channel deleteRunGroup notifies, inside its transaction, with the group's id. */
export const RUN_GROUP_DELETED_CHANNEL = 'runledger_run_group_deleted';

/** One watched group: `confirm()` once the group was read and found, `stop()` to forget it. */
export interface GroupWatchHandle {
  confirm(): void;
  stop(): void;
}

interface Entry {
  runGroupId: string;
  onGone(): void;
  confirmed: boolean;
}

/**
 * The run groups this process's subscriptions follow (runGroupProgress), so they can end when
 * their group is deleted. A deletion leaves nothing in the event log (the group's events go
 * with it), so it is heard two ways: deleteRunGroup NOTIFYs RUN_GROUP_DELETED_CHANNEL in its
 * transaction (delivered on commit to every process's LISTEN connection), and, for a
 * notification lost while that connection was down or for a process that does not LISTEN,
 * `verify()` (on every (re)connect and every poll of the bus) looks for the watched groups in
 * one statement.
 */
export class GroupWatch {
  private readonly entries = new Set<Entry>();

  get size(): number {
    return this.entries.size;
  }

  /**
   * Starts watching `runGroupId`; `onGone` runs at most once. Watch before reading the group:
   * a deletion that commits after the read is then heard, whichever way.
   */
  watch(runGroupId: string, onGone: () => void): GroupWatchHandle {
    const entry: Entry = { runGroupId, onGone, confirmed: false };
    this.entries.add(entry);
    return {
      confirm: () => {
        entry.confirmed = true;
      },
      stop: () => {
        this.entries.delete(entry);
      },
    };
  }

  /** The group was deleted (its notification arrived). */
  gone(runGroupId: string): void {
    for (const entry of [...this.entries]) if (entry.runGroupId === runGroupId) this.end(entry);
  }

  /**
   * Ends the watches of groups that no longer exist. Only watches confirmed before the check
   * starts count: a group the check's snapshot cannot see yet may still be being read.
   */
  async verify(db: Knex): Promise<void> {
    const checked = [...this.entries].filter((e) => e.confirmed);
    if (checked.length === 0) return;
    const ids = [...new Set(checked.map((e) => e.runGroupId))];
    const { rows } = (await db.raw(`select id from run_group where id = any(?::uuid[])`, [ids])) as {
      rows: { id: string }[];
    };
    const existing = new Set(rows.map((r) => r.id));
    for (const entry of checked) if (!existing.has(entry.runGroupId)) this.end(entry);
  }

  private end(entry: Entry): void {
    if (!this.entries.delete(entry)) return;
    entry.onGone();
  }
}
