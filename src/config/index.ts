export { loadConfig, type ConfigFlag, type ConfigInputs, type ResolvedConfig } from "./loadConfig.ts";
export { renderConfig } from "./renderConfig.ts";
export { maskSecrets } from "./maskSecrets.ts";
export { configView } from "./configView.ts";
export { CONFIG_DEFAULTS } from "./configDefaults.ts";
export { describeConfigKeys, type ConfigKeyDescription } from "./describeConfigKeys.ts";
export { envVarName } from "./envOverrides.ts";
export { CONFIG_ENVIRONMENTS, type ConfigEnvironment } from "./configEnvironment.ts";
export { configSchema, DATABASE_MODES, LOG_FORMATS, LOG_LEVELS, QUEUE_MODES, type DatabaseMode, type TaskerConfig } from "./configSchema.ts";
