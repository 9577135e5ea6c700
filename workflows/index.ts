export { inspectBackendWorkflow } from './inspect';
