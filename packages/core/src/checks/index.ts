/** What is watched: a check, its target and revision, its component, its states, and the registry that holds them. */
export { type BodyPattern, compileBodyPattern } from './body-pattern.js';
export {
  type Check,
  type CheckInput,
  checkInputSchema,
  checkRevision,
  checkTarget,
  checkToInput,
  type FileCheckInput,
  fileCheckInputSchema,
  type HttpSpec,
  httpSpecSchema,
  type Quorum,
  resolveCheck,
  type StatusRange,
  slugSchema,
  type TcpSpec,
  tcpSpecSchema,
} from './check.js';
export { CheckRegistry } from './check-registry.js';
export { CHECK_LIST_STATES, type CheckListState, type CheckStateName } from './check-state-name.js';
