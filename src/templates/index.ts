export {
  BACKOFF_KINDS,
  IDENTITY_STRATEGIES,
  RETRY_DEFAULTS,
  STALENESS_ACTIONS,
  STEP_TYPES,
  TEMPLATE_LIMITS,
  type BackoffKind,
  type IdentityStrategy,
  type RetryPolicy,
  type StalenessAction,
  type StepDefinition,
  type StepHandlerSpec,
  type StepType,
  type TaskLifecycle,
  type TaskTemplate,
} from "./taskTemplate.ts";
export { TemplateError, formatTemplateIssue, type TemplateIssue } from "./templateError.ts";
export { checkTemplate, parseTemplate, type TemplateCheck, type TemplateSource } from "./parseTemplate.ts";
export { CALLABLE_PATTERN, VERSION_PATTERN } from "./validateTemplate.ts";
export { findDependencyCycle } from "./findDependencyCycle.ts";
export { toTemplateConfiguration, templateFromConfiguration, type TemplateConfiguration } from "./templateConfiguration.ts";
export { validateTaskContext, type ContextFieldError } from "./validateTaskContext.ts";
export { discoverNamespaces, type HandlersDirectory, type NamespaceFolder } from "./discoverNamespaces.ts";
export { listNamespaceFiles, isInsideDirectory, isSkippedName, type NamespaceFile } from "./listNamespaceFiles.ts";
export {
  collectTemplates,
  loadTemplates,
  type LoadedTemplate,
  type LoadTemplateOptions,
  type NamespaceTemplates,
  type TemplateCatalog,
} from "./loadTemplates.ts";
