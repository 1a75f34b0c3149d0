import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { StepConfig } from './StepConfig';

/** A named parameter set (its YAML id and contents) and the step configs it produced. */
export class ConfigSet extends BaseModel {
  static override tableName = 'config_set' as const;

  id!: string;
  yamlId!: string;
  yamlContents!: string;
  createdAt!: Date;

  static override relationMappings = (): RelationMappings => ({
    stepConfigs: {
      relation: BaseModel.ManyToManyRelation,
      modelClass: StepConfig,
      join: {
        from: 'config_set.id',
        through: { from: 'config_set_item.configSetId', to: 'config_set_item.stepConfigId' },
        to: 'step_config.id',
      },
    },
  });
}
