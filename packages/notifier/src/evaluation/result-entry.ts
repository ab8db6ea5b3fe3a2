import { describeIssues, probeResultSchema, type ResultJobData, toFieldIssues } from '@vigil/core';

/** One entry of a batch, validated; or what is wrong with it, naming the field. */
export function checkEntry(entry: unknown, index: number): ResultJobData | string {
  const data = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<
    Record<keyof ResultJobData, unknown>
  >;
  const parsed = probeResultSchema.safeParse(data.result);
  if (!parsed.success) return describeIssues(toFieldIssues(parsed.error, data.result, ['results', index, 'result']));
  const { intervalMs } = data;
  if (typeof intervalMs !== 'number' || !(intervalMs > 0)) {
    return `results[${index}].intervalMs: expected a positive number of milliseconds`;
  }
  return { result: parsed.data, intervalMs };
}
