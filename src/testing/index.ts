/**
 * `tasker/testing`: a test kit for handler authors (`bun test`). Unit-test one handler with a
 * realistic context (`createTestContext`, `runHandler`), or run whole workflows of a handlers
 * directory in-process against a database of their own (`startWorkflowTest`). Works for native
 * handlers and for tasker-core's (`@tasker-systems/tasker`) classes alike; the same kit is
 * `@tasker-systems/tasker/testing`, with `createCompatContext` for calling a class's `call` directly.
 */
export { createCompatContext, createTestContext, runHandler, type HandlerOutcome, type TestContext, type TestContextOptions } from "./handlerTest.ts";
export { startWorkflowTest, type TaskRequest, type WorkflowTest, type WorkflowTestOptions } from "./workflowTest.ts";
export { startInProcessEngine, type InProcessEngine, type InProcessEngineOptions } from "./inProcessEngine.ts";
