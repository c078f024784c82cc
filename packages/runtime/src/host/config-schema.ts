import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { Ajv, type ErrorObject } from 'ajv';

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

function describeErrors(errors: ErrorObject[]): string {
  return errors
    .map((e) => {
      const field = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(root)';
      const extra =
        e.keyword === 'required' ? `: ${String((e.params as { missingProperty: string }).missingProperty)} is required`
        : e.keyword === 'additionalProperties'
          ? `: unknown field ${String((e.params as { additionalProperty: string }).additionalProperty)}`
          : ` ${e.message ?? 'is invalid'}`;
      return `${field}${extra}`;
    })
    .join('; ');
}

/**
 * Validates a plugin's config against its JSON Schema (defaults from the schema are filled in).
 * @throws HubspokeError `HS_ERR_CONFIG_INVALID` naming the plugin and every field at fault
 */
export function validatePluginConfig(plugin: string, schema: Record<string, unknown>, config: unknown): void {
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (cause) {
    throw new HubspokeError(ErrorCode.Plugin, `plugin ${plugin}: getConfigSchema() is not a valid JSON Schema`, { cause });
  }
  if (!validate(config)) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `plugin ${plugin} config is invalid: ${describeErrors(validate.errors ?? [])}`,
    );
  }
}
