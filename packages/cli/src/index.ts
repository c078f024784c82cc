// The CLI's programmatic surface: how `hubspoke control` and `hubspoke edge` read their settings, for tools
// that want the same flags > env > file precedence and validation.
export {
  CONFIG_ENV,
  CONFIG_FLAG,
  SETTINGS,
  controlSettingsSchema,
  edgeSettingsSchema,
  resolveSettings,
} from './settings.js';
export { describeFlow, formatFlow, FlowObserver } from './dev/flow.js';

export type { ControlSettings, EdgeSettings, NodeKind, Resolved, SettingDef, SettingsInput } from './settings.js';
export type { Flow, FlowKind } from './dev/flow.js';
