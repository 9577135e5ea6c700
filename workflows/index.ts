export { inspectBackendWorkflow } from './inspect';
export { remediationWorkflow } from './remediation';
