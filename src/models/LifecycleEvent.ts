import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject, type RunStatusValue, type StepTypeValue } from './BaseModel';
import { Project } from './Project';
import { Run } from './Run';
import { RunGroup } from './RunGroup';
import { Step } from './Step';

export type LifecycleEventTypeValue =
  'GROUP_START' | 'GROUP_END' | 'ITEM_START' | 'ITEM_END' | 'ITEM_FAILED' | 'STEP_START' | 'STEP_END' | 'STEP_FAILED';

export class LifecycleEvent extends BaseModel {
  static override tableName = 'lifecycle_event' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'tx_id',
    'project_id',
    'type',
    'handler_name',
    'batch_id',
    'run_group_id',
    'run_id',
    'step_id',
    'step_type',
    'status',
    'previous_status',
    'status_message',
    'status_meta',
    'occurred_at',
    'position',
    'revoked_worker_id',
  ];

  /** bigint identity; arrives as a number (see knexConfig). */
  id!: number;
  /** The writing transaction's xid8, as text. */
  txId!: string;
  /** Delivery order (src/events/sequencer.ts); null until the sequencer numbers the committed event. */
  position!: number | null;
  projectId!: string;
  type!: LifecycleEventTypeValue;
  handlerName!: string | null;
  /**
   * The worker this event took a RUNNING step from, when the change was not its own (a cancel by
   * an operator or a group, a takeover by another worker, a failure as lost); written by the
   * server only. stepsRevoked is matched on it.
   */
  revokedWorkerId!: string | null;
  batchId!: string | null;
  runGroupId!: string | null;
  runId!: string | null;
  stepId!: string | null;
  stepType!: StepTypeValue | null;
  status!: RunStatusValue;
  previousStatus!: RunStatusValue | null;
  statusMessage!: string | null;
  statusMeta!: JsonObject;
  occurredAt!: Date;

  static override jsonAttributes = ['statusMeta'];

  static override relationMappings = (): RelationMappings => ({
    project: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Project,
      join: { from: 'lifecycle_event.projectId', to: 'project.id' },
    },
    runGroup: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: RunGroup,
      join: { from: 'lifecycle_event.runGroupId', to: 'run_group.id' },
    },
    run: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Run,
      join: { from: 'lifecycle_event.runId', to: 'run.id' },
    },
    step: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: Step,
      join: { from: 'lifecycle_event.stepId', to: 'step.id' },
    },
  });
}
