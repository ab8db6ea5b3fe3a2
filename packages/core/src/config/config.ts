import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { grantIssues, grantSchema } from '../access/tenancy.js';
import {
  type Check,
  checkDefaultsSchema,
  fileCheckInputSchema,
  resolveCheck,
  resolvedCheckIssues,
  slugSchema,
} from '../checks/check.js';
import { componentSchema } from '../checks/component.js';
import { type FieldIssue, VigilError } from '../errors/errors.js';
import { describeIssues, formatPath, toFieldIssues } from '../errors/issues.js';
import { maintenanceSchema } from '../maintenance/maintenance-schema.js';
import { channelSchema } from '../oncall/channel.js';
import type { ChannelKindModule } from '../oncall/channels/channel-kind.js';
import { CONTACT_KINDS, channelKinds, contactName } from '../oncall/channels/registry.js';
import { escalationSchema } from '../oncall/escalation.js';
import { personSchema } from '../oncall/person.js';
import { scheduleLayers, scheduleSchema } from '../oncall/schedule.js';
import { statusPageSchema } from '../status-page/status-page-settings.js';
import type { PrivateTargetAllowance } from '../targets/target-allowances.js';
import { configTargetIssues } from './config-targets.js';
import { CONSOLE_SECRET_PATHS, consoleSettingsSchema } from './console-settings.js';
import { durationSchema } from './duration.js';
import { metricsSettingsSchema, SECRET_CONFIG_PATHS } from './metrics-settings.js';
import { notifierSettingsSchema } from './notifier-settings.js';

/** `10.0.0.0/8`, `fd00::/8` or a bare address (a /32 or /128). */
export const cidrSchema = z.string().refine(
  (text) => {
    const [address = '', prefix, ...rest] = text.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (prefix === undefined) return true;
    const bits = Number(prefix);
    return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
  },
  { error: 'expected an address or CIDR range such as 10.0.0.0/8 or fd00::/8' },
);

const ipSchema = z.string().refine((text) => isIP(text) !== 0, { error: 'expected an IPv4 or IPv6 address' });

export const vantageSchema = z.union(
  [slugSchema, z.strictObject({ id: slugSchema, sourceAddress: ipSchema.optional() })],
  { error: 'expected a vantage name, or { id, sourceAddress }' },
);

/** A vantage point: a name, and optionally the local address its probes leave from. */
export interface Vantage {
  id: string;
  sourceAddress?: string;
}

export const proberSettingsSchema = z.strictObject({
  /** Probes one prober process runs at once. */
  concurrency: z.int().min(1).max(5000).default(200),
  /** Probes at once against one target host, from one prober process. */
  perHostConcurrency: z.int().min(1).max(1000).default(16),
  /** Probe starts allowed per window across every prober of a vantage (a BullMQ rate limit). */
  rateLimit: z.strictObject({ max: z.int().positive(), per: durationSchema }).optional(),
  /**
   * Per-check Prometheus series (`probe_success{check, vantage}` …), capped at `maxChecks` checks per
   * process; `perCheck: false` keeps only fleet-wide metrics, for fleets too large to label by check.
   * Left out, both take their defaults.
   */
  metrics: z
    .strictObject({
      perCheck: z.boolean().default(true),
      maxChecks: z.int().min(1).max(1_000_000).default(10_000),
    })
    .optional(),
});
export type ProberSettings = z.output<typeof proberSettingsSchema>;

const configFileSchema = z.strictObject({
  vantages: z.array(vantageSchema).min(1, { error: 'expected at least one vantage' }),
  allowPrivateTargets: z.boolean().default(false),
  allowTargets: z.array(cidrSchema).default([]),
  defaults: checkDefaultsSchema.prefault({}),
  components: z.array(componentSchema).default([]),
  checks: z.array(fileCheckInputSchema).default([]),
  prober: proberSettingsSchema.prefault({}),
  /**
   * Results kept per check, every vantage's together. 226 covers ~38 minutes of the console's 1 h
   * chart at the default 30 s interval from 3 vantages (75 at 60 s; the rest of the hour is drawn
   * from the latency rollups, as 24 h and 7 d are), and is the most the ring's 9-byte entries fit in
   * jemalloc's 2,048 B class: 340 took the 3,072 B one, 1 KB more a check (docs/deploy.md, Sizing).
   */
  history: z.strictObject({ perCheck: z.int().min(10).max(10_000).default(226) }).prefault({}),
  people: z.array(personSchema).default([]),
  schedules: z.array(scheduleSchema).default([]),
  escalations: z.array(escalationSchema).default([]),
  /** What API token owners may use beyond what they own: components, escalation policies, publishing. */
  grants: z.array(grantSchema).default([]),
  channels: z.array(channelSchema).default([]),
  maintenances: z.array(maintenanceSchema).default([]),
  notifier: notifierSettingsSchema.prefault({}),
  statusPage: statusPageSchema.prefault({}),
  metrics: metricsSettingsSchema.prefault({}),
  console: consoleSettingsSchema.prefault({}),
});
type ConfigFile = z.output<typeof configFileSchema>;

/** The whole configuration, validated, with every check's defaults applied. */
export interface VigilConfig extends Omit<ConfigFile, 'vantages' | 'checks'> {
  vantages: Vantage[];
  checks: Check[];
  /** Checks the file lets probe a private target (`allowPrivateTarget: true`), each with its exact target. */
  privateTargetAllowances?: PrivateTargetAllowance[];
}

/**
 * What a check must agree on with the rest of the config: declared vantages, component and
 * escalation policy, and an interval and timeout that fit. Paths are relative to the check, so
 * vigil.yaml prefixes `checks[i].` and the API reports them as they are.
 */
export function checkIssues(
  check: Check,
  config: {
    vantages: readonly Vantage[];
    components: readonly { id: string }[];
    escalations: readonly { id: string }[];
  },
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const vantageIds = config.vantages.map((vantage) => vantage.id);
  check.vantages.forEach((vantage, j) => {
    if (!vantageIds.includes(vantage)) {
      issues.push({
        path: `vantages[${j}]`,
        message: `expected one of the vantages: ${vantageIds.join(', ')}`,
        received: JSON.stringify(vantage),
      });
    }
  });
  if (check.component !== undefined && !config.components.some((component) => component.id === check.component)) {
    issues.push({
      path: 'component',
      message: 'expected the id of a declared component',
      received: JSON.stringify(check.component),
    });
  }
  for (const issue of resolvedCheckIssues(check)) issues.push({ path: formatPath(issue.path), message: issue.message });
  const probedBy = check.vantages.length > 0 ? check.vantages.length : config.vantages.length;
  if (typeof check.quorum === 'number' && check.quorum > probedBy) {
    issues.push({
      path: 'quorum',
      message: `expected at most ${probedBy}, the number of vantages that probe the check`,
      received: String(check.quorum),
    });
  }
  if (check.escalation !== undefined && !config.escalations.some((policy) => policy.id === check.escalation)) {
    issues.push({
      path: 'escalation',
      message: 'expected the id of a declared escalation policy',
      received: JSON.stringify(check.escalation),
    });
  }
  return issues;
}

function crossFieldIssues(file: ConfigFile, vantages: Vantage[], checks: Check[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const vantageIds = new Set<string>();
  vantages.forEach((vantage, i) => {
    if (vantageIds.has(vantage.id)) issues.push({ path: `vantages[${i}]`, message: `duplicate vantage ${vantage.id}` });
    vantageIds.add(vantage.id);
  });
  const componentIds = new Set(file.components.map((component) => component.id));
  const checkIds = new Set<string>();
  checks.forEach((check, i) => {
    if (checkIds.has(check.id)) issues.push({ path: `checks[${i}].id`, message: `duplicate check id ${check.id}` });
    checkIds.add(check.id);
    for (const issue of checkIssues(check, { vantages, components: file.components, escalations: file.escalations })) {
      issues.push({ ...issue, path: `checks[${i}].${issue.path}` });
    }
  });
  issues.push(...pagingIssues(file, checkIds, componentIds));
  issues.push(...grantIssues(file));
  return issues;
}

/** Duplicate ids, and references between people, schedules, escalations, channels and maintenances. */
function pagingIssues(file: ConfigFile, checkIds: Set<string>, componentIds: Set<string>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const ids = (section: 'people' | 'schedules' | 'escalations' | 'channels' | 'maintenances') => {
    const seen = new Set<string>();
    file[section].forEach((item, i) => {
      if (seen.has(item.id)) issues.push({ path: formatPath([section, i, 'id']), message: `duplicate id ${item.id}` });
      seen.add(item.id);
    });
    return seen;
  };
  const known = {
    person: ids('people'),
    schedule: ids('schedules'),
    escalation: ids('escalations'),
    channel: ids('channels'),
  };
  ids('maintenances');
  const expect = (set: Set<string>, id: string, path: (string | number)[], what: string) => {
    if (!set.has(id)) {
      issues.push({
        path: formatPath(path),
        message: `expected the id of a declared ${what}`,
        received: JSON.stringify(id),
      });
    }
  };
  issues.push(...contactChannelIssues(file));
  file.schedules.forEach((schedule, i) => {
    scheduleLayers(schedule).forEach((layer, j) => {
      layer.rotation.people.forEach((person, k) => {
        const path = schedule.rotation ? ['rotation', 'people', k] : ['layers', j, 'rotation', 'people', k];
        expect(known.person, person, ['schedules', i, ...path], 'person');
      });
    });
    schedule.overrides.forEach((override, j) => {
      expect(known.person, override.person, ['schedules', i, 'overrides', j, 'person'], 'person');
      if (override.end <= override.start) {
        issues.push({ path: formatPath(['schedules', i, 'overrides', j, 'end']), message: 'expected end after start' });
      }
    });
  });
  file.escalations.forEach((policy, i) => {
    policy.levels.forEach((level, j) => {
      level.notify.forEach((target, k) => {
        expect(known[target.kind], target.id, ['escalations', i, 'levels', j, 'notify', k], target.kind);
      });
    });
  });
  const fleet = file.notifier.fleetEscalation;
  if (fleet !== 'default' && !known.escalation.has(fleet)) {
    expect(known.escalation, fleet, ['notifier', 'fleetEscalation'], 'escalation policy');
  }
  const listed = new Set<string>();
  const listedAt = (id: string, path: (string | number)[]) => {
    expect(componentIds, id, path, 'component');
    if (listed.has(id)) issues.push({ path: formatPath(path), message: `component ${id} is listed twice` });
    listed.add(id);
  };
  (file.statusPage.components ?? []).forEach((entry, i) => {
    if (typeof entry === 'string') listedAt(entry, ['statusPage', 'components', i]);
    else
      entry.components.forEach((id, j) => {
        listedAt(id, ['statusPage', 'components', i, 'components', j]);
      });
  });
  file.maintenances.forEach((maintenance, i) => {
    for (const [j, id] of maintenance.checks.entries()) {
      expect(checkIds, id, ['maintenances', i, 'checks', j], 'check');
    }
    for (const [j, id] of maintenance.components.entries()) {
      expect(componentIds, id, ['maintenances', i, 'components', j], 'component');
    }
  });
  return issues;
}

/** A person's contact that is paged through a channel of its kind (`phone` through twilio) needs one declared. */
function contactChannelIssues(file: ConfigFile): FieldIssue[] {
  const missing = CONTACT_KINDS.filter((kind) => {
    const module: ChannelKindModule = channelKinds[kind];
    return module.contactThroughChannel === true && !file.channels.some((channel) => channel[kind] !== undefined);
  });
  return file.people.flatMap((person, i) =>
    missing.flatMap((kind) => {
      const name = contactName(kind);
      if (person[name] === undefined) return [];
      const message = `expected a ${kind} channel in channels to page it through`;
      return [{ path: formatPath(['people', i, name]), message }];
    }),
  );
}

/** Validates a parsed document (from YAML, or from an API) into a `VigilConfig`, or throws CONFIG_INVALID. */
export function validateConfig(data: unknown, source = 'vigil.yaml'): VigilConfig {
  const parsed = configFileSchema.safeParse(data ?? {});
  if (!parsed.success) throw configError(source, toFieldIssues(parsed.error, data).map(hideSecret));
  const file = parsed.data;
  const vantages = file.vantages.map((v) => (typeof v === 'string' ? { id: v } : v));
  const checks = file.checks.map((input) => resolveCheck(input, file.defaults));
  const targets = configTargetIssues(file, file.checks);
  const issues = [...crossFieldIssues(file, vantages, checks), ...targets.issues];
  if (issues.length > 0) throw configError(source, issues);
  return { ...file, vantages, checks, privateTargetAllowances: targets.allowances };
}

/** A channel's credential, wherever the channel sits in the list: `channels[2].twilio.authToken`, `people[0].pushover.user`. */
const CHANNEL_SECRET =
  /\.(routingKey|authToken|botToken|webhookSecret|signingSecret|apiKey|token|webhookUrl|secret|password|pushover\.user)$/;

/** A secret's value (`metrics.token`) is never echoed, whether it came from the file or the environment. */
function hideSecret(issue: FieldIssue): FieldIssue {
  const secret =
    SECRET_CONFIG_PATHS.has(issue.path) || CONSOLE_SECRET_PATHS.includes(issue.path) || CHANNEL_SECRET.test(issue.path);
  if (!secret || issue.received === undefined) return issue;
  const { received: _hidden, ...rest } = issue;
  return rest;
}

function configError(source: string, issues: FieldIssue[]): VigilError {
  return new VigilError('CONFIG_INVALID', `${source} is invalid:\n${describeIssues(issues)}`, issues);
}

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Expands `${NAME}` and `${NAME:-default}` in string values from `env`, so secrets stay out of the file. */
function interpolate(text: string, env: Readonly<Record<string, string | undefined>>, missing: string[]): string {
  return text.replace(INTERPOLATION, (_, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
}

/** Parses vigil.yaml text: YAML errors with line and column, `${VAR}` expansion, then validation. */
export function parseConfig(
  text: string,
  options: { env?: Readonly<Record<string, string | undefined>>; source?: string } = {},
): VigilConfig {
  const source = options.source ?? 'vigil.yaml';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [yamlError] = doc.errors;
  if (yamlError) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw new VigilError('CONFIG_INVALID', `${source}:${line}:${col}: ${yamlError.message.split('\n')[0]}`, [
      { path: `${source}:${line}:${col}`, message: yamlError.message.split('\n')[0] ?? 'invalid YAML' },
    ]);
  }
  const issues: FieldIssue[] = [];
  const env = options.env ?? {};
  /** Paths whose value came from the environment: an error there names the variable, never its value. */
  const fromEnv = new Map<string, string[]>();
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const missing: string[] = [];
      fromEnv.set(
        formatPath(path),
        [...node.value.matchAll(INTERPOLATION)].map((m) => m[1] ?? ''),
      );
      node.value = interpolate(node.value, env, missing);
      for (const name of missing)
        issues.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
    } else if (isMap(node)) {
      for (const pair of node.items) walk(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : '?']);
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    }
  };
  walk(doc.contents, []);
  if (issues.length > 0) throw configError(source, issues);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // yaml refuses alias expansion past its limit (a "billion laughs" document) by throwing.
    const message = `expected a YAML document without excessive aliases (${(err as Error).message})`;
    throw new VigilError('CONFIG_INVALID', `${source}: ${message}`, [{ path: source, message }]);
  }
  try {
    return validateConfig(data, source);
  } catch (err) {
    if (!(err instanceof VigilError) || fromEnv.size === 0) throw err;
    throw configError(
      source,
      err.issues.map((issue) => withoutSecrets(issue, fromEnv)),
    );
  }
}

/** An issue at a value read from the environment says which variable, not what it holds. */
function withoutSecrets(issue: FieldIssue, fromEnv: ReadonlyMap<string, string[]>): FieldIssue {
  const names = fromEnv.get(issue.path);
  if (!names) return issue;
  const { received: _hidden, ...rest } = issue;
  return { ...rest, message: `${issue.message} (from ${names.map((name) => `\${${name}}`).join(', ')})` };
}

/** Reads and validates a config file; a missing or unreadable file is a CONFIG_INVALID naming the path. */
export async function loadConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<VigilConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new VigilError('CONFIG_INVALID', `cannot read config ${path}: ${reason}`, [{ path, message: reason }]);
  }
  return parseConfig(text, { env, source: path });
}
