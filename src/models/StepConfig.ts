import type { RelationMappings } from 'objection';
import { BaseModel, type JsonObject, type StepTypeValue } from './BaseModel';
import { ConfigSet } from './ConfigSet';

export class StepConfig extends BaseModel {
  static override tableName = 'step_config' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = [
    'id',
    'step_type',
    'config',
    'cumulative_config',
    'content_hash',
    'created_at',
  ];

  id!: string;
  stepType!: StepTypeValue;
  config!: JsonObject;
  cumulativeConfig!: JsonObject | null;
  /** sha256 of the canonical JSON of the config: identical configs are stored once. */
  contentHash!: string;
  createdAt!: Date;

  static override jsonAttributes = ['config', 'cumulativeConfig'];

  static override relationMappings = (): RelationMappings => ({
    configSets: {
      relation: BaseModel.ManyToManyRelation,
      modelClass: ConfigSet,
      join: {
        from: 'step_config.id',
        through: { from: 'config_set_item.stepConfigId', to: 'config_set_item.configSetId' },
        to: 'config_set.id',
      },
    },
  });
}
