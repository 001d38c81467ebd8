// Public surface of the model domain: engines, the runtime, the models folder and downloads.

export type { BreakdownEngine, GenerateOptions, GenerationProgress, ModelStatus } from './types.ts';
export { createEngine } from './createEngine.ts';
export type { EngineConfig } from './createEngine.ts';
export { LlamaBreakdownEngine } from './llamaEngine.ts';
export type { LlamaEngineConfig, GenerationStats } from './llamaEngine.ts';
export { LlamaClient } from './llamaClient.ts';
export type { LlamaClientOptions } from './llamaClient.ts';
export type { ChatMessage, CompletionRequest, CompletionResult, JsonSchema, ModelClient, ModelClientKind, Sampling } from './modelClient.ts';
export { DEFAULT_SAMPLING, PipelineJob } from './pipeline.ts';
export type { PipelineConfig, RequestStats } from './pipeline.ts';
export { PipelineEngine, createPipelineEngine } from './pipelineEngine.ts';
export type { PipelineEngineOptions } from './pipelineEngine.ts';
export { DrafterEngine } from './drafterEngine.ts';
export { LlamaRuntime, defaultThreads } from './runtime.ts';
export type { HardwareInfo, LoadOptions, LoadedModel } from './runtime.ts';
export { ModelStore, ModelError, inspectGguf } from './modelStore.ts';
export type { StoredModel, GgufSummary, ModelErrorCode } from './modelStore.ts';
export { downloadModel, sourceUrl } from './download.ts';
export type { DownloadProgress, DownloadRequest } from './download.ts';
export { MODEL_CATALOGUE, DEFAULT_MODEL_ID, suggestModel, requiredVramBytes, findCatalogueModel } from './catalogue.ts';
export type { CatalogueModel, CatalogueModelId, Suggestion } from './catalogue.ts';
export { StatusHub } from './statusHub.ts';
export { ModelManager } from './manager.ts';
export type { ModelManagerOptions } from './manager.ts';
