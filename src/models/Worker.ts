import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { Step } from './Step';

export class Worker extends BaseModel {
  static override tableName = 'worker' as const;

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
