// Every workflow the worker registers. Workflow files import domain code only (lint enforces it).
export { applicationWorkflow } from './application/workflow';
export { campaignWorkflow } from './campaign/workflow';
