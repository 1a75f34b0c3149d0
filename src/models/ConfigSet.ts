import type { RelationMappings } from 'objection';
import { BaseModel } from './BaseModel';
import { StepConfig } from './StepConfig';

/** A named parameter set (its YAML id and contents) and the step configs it produced. */
export class ConfigSet extends BaseModel {
  static override tableName = 'config_set' as const;
  /** Every column of the table, in the database's order (test/db/models.test.ts checks). */
  static override columns: readonly string[] = ['id', 'yaml_id', 'yaml_contents', 'created_at'];

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
