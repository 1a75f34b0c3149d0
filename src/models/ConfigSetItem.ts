import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { ConfigSet } from './ConfigSet';
import { StepConfig } from './StepConfig';

export class ConfigSetItem extends BaseModel {
  static override tableName = 'config_set_item' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = ['id', 'config_set_id', 'step_config_id'];

  id!: string;
  configSetId!: string;
  stepConfigId!: string;

  static override relationMappings = (): RelationMappings => ({
    configSet: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: ConfigSet,
      join: { from: 'config_set_item.configSetId', to: 'config_set.id' },
    },
    stepConfig: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: StepConfig,
      join: { from: 'config_set_item.stepConfigId', to: 'step_config.id' },
    },
  });
}
