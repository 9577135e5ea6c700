export { inspectBackendWorkflow } from './inspect';
export { remediationWorkflow } from './remediation';
export { governorWorkflow } from './governor';
export { killSwitchWorkflow } from './kill-switch';
export { resourceLockWorkflow } from './lock';
export { watchWorkflow } from './watch';
