/** One error family with stable codes, and zod issues turned into field paths people can read. */
export { type FieldIssue, isVigilError, VigilError, type VigilErrorCode } from './errors.js';
export { describeIssues, formatPath, toFieldIssues, validationError } from './issues.js';
