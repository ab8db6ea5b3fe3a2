import { readFile } from 'node:fs/promises';
import { checkInputSchema, type FieldIssue, toFieldIssues, VigilError } from '@vigil/core';
import { LineCounter, parseDocument } from 'yaml';
import { inputError } from './output/field-errors.js';

/** The flags of `vigil checks add <id>`: a check without a file. */
export interface CheckFlags {
  http?: string;
  tcp?: string;
  name?: string;
  interval?: string;
  timeout?: string;
  component?: string;
  vantages?: string;
  tag?: string[];
}

const FLAGS: [RegExp, string][] = [
  [/^id$/, '<id>'],
  [/^http(?:\.|$)/, '--http'],
  [/^tcp(?:\.|$)/, '--tcp'],
  [/^name$/, '--name'],
  [/^interval$/, '--interval'],
  [/^timeout$/, '--timeout'],
  [/^component$/, '--component'],
  [/^vantages(?:\[|$)/, '--vantages'],
  [/^tags(?:\[|$)/, '--tag'],
];

/** The flag a check field came from (`tcp.port` → `--tcp`); other fields keep their path. */
export function flagFor(path: string): string {
  return FLAGS.find(([pattern]) => pattern.test(path))?.[1] ?? path;
}

/** `db.example.com:5432`, `10.0.0.1:443`, `[2001:db8::1]:443` → host and port (still text). */
function splitHostPort(text: string): { host: string; port: string } | undefined {
  const match = /^\[([^\]]+)\]:(.*)$/.exec(text) ?? /^([^:]+):(.*)$/.exec(text);
  return match?.[1] && match[2] !== undefined ? { host: match[1], port: match[2] } : undefined;
}

/** The API body for a check given as flags, validated here so an error names the flag to fix. */
export function checkFromFlags(id: string, flags: CheckFlags): Record<string, unknown> {
  if ((flags.http === undefined) === (flags.tcp === undefined)) {
    throw inputError([{ path: '--http / --tcp', message: 'expected exactly one: --http URL or --tcp HOST:PORT' }]);
  }
  const tcp = flags.tcp === undefined ? undefined : splitHostPort(flags.tcp);
  if (flags.tcp !== undefined && !tcp) {
    throw inputError([
      { path: '--tcp', message: 'expected HOST:PORT such as db.example.com:5432', received: JSON.stringify(flags.tcp) },
    ]);
  }
  const input: Record<string, unknown> = {
    id,
    ...(flags.name !== undefined && { name: flags.name }),
    ...(flags.component !== undefined && { component: flags.component }),
    ...(flags.http !== undefined && { http: { url: flags.http } }),
    ...(tcp && { tcp: { host: tcp.host, port: tcp.port } }),
    ...(flags.interval !== undefined && { interval: flags.interval }),
    ...(flags.timeout !== undefined && { timeout: flags.timeout }),
    ...(flags.vantages !== undefined && { vantages: flags.vantages.split(',').map((v) => v.trim()) }),
    ...(flags.tag !== undefined && flags.tag.length > 0 && { tags: flags.tag }),
  };
  const parsed = checkInputSchema.safeParse(input);
  if (!parsed.success) {
    throw inputError(toFieldIssues(parsed.error, input).map((issue) => ({ ...issue, path: flagFor(issue.path) })));
  }
  return input;
}

/** `check.yaml http.url`: a field of a check file, named the way the error line shows it. */
export function inFile(file: string, path: string): string {
  return path === '(root)' ? file : `${file} ${path}`;
}

/** One check in the vigil.yaml check form, from a YAML or JSON file; errors name the file and field. */
export async function checkFromFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new VigilError('VALIDATION', `-f: cannot read ${file}: ${reason}`, [{ path: '-f', message: reason }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [yamlError] = doc.errors;
  if (yamlError) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    const reason = yamlError.message.split('\n')[0] ?? 'invalid YAML';
    throw new VigilError('VALIDATION', `${file}:${line}:${col}: ${reason}`, [
      { path: `${file}:${line}:${col}`, message: reason },
    ]);
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw inputError([{ path: file, message: 'expected one check: a mapping with id and http or tcp' }]);
  }
  const parsed = checkInputSchema.safeParse(data);
  if (!parsed.success) {
    const issues: FieldIssue[] = toFieldIssues(parsed.error, data).map((issue) => ({
      ...issue,
      path: inFile(file, issue.path),
    }));
    throw inputError(issues);
  }
  return data as Record<string, unknown>;
}
