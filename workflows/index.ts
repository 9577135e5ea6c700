export { inspectBackendWorkflow } from './inspect';
export { remediationWorkflow } from './remediation';
export { resourceLockWorkflow } from './lock';
