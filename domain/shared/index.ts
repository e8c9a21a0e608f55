export * from './errors';
export * from './result';
export * from './roles';
export * from './meta';
export * from './money';
export * from './funders';
export * from './deadlines';
export type { AllowedCommand, OpenCommand } from './decision';
export { parseWith, type Parsed } from './validation';
