import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { Ajv, type ErrorObject } from 'ajv';

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

function describeErrors(errors: ErrorObject[]): string {
  return errors
    .map((e) => {
      const field = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(root)';
      const extra =
        e.keyword === 'required'
          ? `: ${String((e.params as { missingProperty: string }).missingProperty)} is required`
          : e.keyword === 'additionalProperties'
            ? `: unknown field ${String((e.params as { additionalProperty: string }).additionalProperty)}`
            : ` ${e.message ?? 'is invalid'}`;
      return `${field}${extra}`;
    })
    .join('; ');
}

/**
 * Validates a copy of a plugin's config against its JSON Schema and returns it, with the schema's defaults
 * filled in (the caller's object, which may be frozen, is left as it is).
 * @throws HubspokeError `HS_ERR_CONFIG_INVALID` naming the plugin and every field at fault
 */
export function validatePluginConfig(
  plugin: string,
  schema: Record<string, unknown>,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const copy = structuredClone(config);
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (cause) {
    throw new HubspokeError(ErrorCode.Plugin, `plugin ${plugin}: getConfigSchema() is not a valid JSON Schema`, {
      cause,
    });
  }
  if (!validate(copy)) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `plugin ${plugin} config is invalid: ${describeErrors(validate.errors ?? [])}`,
    );
  }
  return copy;
}
