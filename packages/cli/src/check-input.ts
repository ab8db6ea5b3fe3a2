import { readFile } from 'node:fs/promises';
import {
  CHECK_KINDS,
  type CheckKind,
  checkInputSchema,
  checkKinds,
  type FieldIssue,
  toFieldIssues,
  VigilError,
} from '@vigil/core';
import { LineCounter, parseDocument } from 'yaml';
import { inputError } from './output/field-errors.js';

/** The flags of `vigil checks add <id>`: a check without a file; one flag per kind (`--http URL`). */
export type CheckFlags = { [K in CheckKind]?: string } & {
  name?: string;
  interval?: string;
  timeout?: string;
  component?: string;
  vantages?: string;
  tag?: string[];
};

/** `--http URL, --tcp HOST:PORT or --dns [TYPE:]NAME[@SERVER]`, from the kinds' own flags. */
export const KIND_FLAGS_TEXT = ((list: string[]) => `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`)(
  CHECK_KINDS.map((kind) => `--${kind} ${checkKinds[kind].flag.value}`),
);

const FLAGS: [RegExp, string][] = [
  [/^id$/, '<id>'],
  ...CHECK_KINDS.map((kind): [RegExp, string] => [new RegExp(`^${kind}(?:\\.|$)`), `--${kind}`]),
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

/** The one kind flag given, as the kind's input settings; errors name the flag. */
function kindFromFlags(flags: CheckFlags): Record<string, unknown> {
  const given = CHECK_KINDS.filter((kind) => flags[kind] !== undefined);
  const [kind] = given;
  if (given.length !== 1 || kind === undefined) {
    const path = CHECK_KINDS.map((name) => `--${name}`).join(' / ');
    throw inputError([{ path, message: `expected exactly one: ${KIND_FLAGS_TEXT}` }]);
  }
  const { flag } = checkKinds[kind];
  const text = flags[kind] ?? '';
  const settings = flag.toInput(text);
  if (!settings) {
    throw inputError([
      { path: `--${kind}`, message: `expected ${flag.value} such as ${flag.example}`, received: JSON.stringify(text) },
    ]);
  }
  return { [kind]: settings };
}

/** The API body for a check given as flags, validated here so an error names the flag to fix. */
export function checkFromFlags(id: string, flags: CheckFlags): Record<string, unknown> {
  const kind = kindFromFlags(flags);
  const input: Record<string, unknown> = {
    id,
    ...(flags.name !== undefined && { name: flags.name }),
    ...(flags.component !== undefined && { component: flags.component }),
    ...kind,
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
    throw inputError([
      { path: file, message: `expected one check: a mapping with id and one of ${CHECK_KINDS.join(', ')}` },
    ]);
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
