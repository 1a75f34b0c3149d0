import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { Step } from './Step';

export class Worker extends BaseModel {
  static override tableName = 'worker' as const;

  id!: string;
  firstCheckinAt!: Date;
  lastCheckinAt!: Date;
  /** Seconds since the last check-in, by the database clock; selected by the worker loaders. */
  idleSeconds?: number;

  static override relationMappings = (): RelationMappings => ({
    steps: { relation: BaseModel.HasManyRelation, modelClass: Step, join: { from: 'worker.id', to: 'step.workerId' } },
  });
}
