import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { Step } from './Step';

export class Worker extends BaseModel {
  static override tableName = 'worker' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = ['id', 'first_checkin_at', 'last_checkin_at', 'project_id'];

  /** A worker belongs to one project: (projectId, id) is its key, the name alone is not. */
  projectId!: string;
  id!: string;
  firstCheckinAt!: Date;
  lastCheckinAt!: Date;
  /** Seconds since the last check-in, by the database clock; selected by the worker loaders. */
  idleSeconds?: number;

  static override relationMappings = (): RelationMappings => ({
    steps: {
      relation: BaseModel.HasManyRelation,
      modelClass: Step,
      join: { from: ['worker.projectId', 'worker.id'], to: ['step.projectId', 'step.workerId'] },
    },
  });
}
