import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { type DnsSpec, dnsServer } from '@vigil/core';
import { answerProblem, dnsAnswer, reportedAnswer } from '../dns/dns-answers.js';
import { exchange } from '../dns/dns-exchange.js';
import { resolveTarget } from '../net/resolve.js';
import { finalVerdict, type ProbeContext, ProbeTrace, settle } from '../probe-context.js';
import { ProbeFailure } from '../probe-errors.js';
import { CheckGauge } from './check-gauge.js';
import type { KindOutcome, ProberKindModule } from './prober-kind.js';

/**
 * The resolver to ask: the check's `server`, its name resolved and every address vetted by the target
 * guard; or else the prober host's own first resolver — the operator's configuration, like the resolver
 * every other probe's names go through, so it is not vetted. With a source address, only a resolver
 * address of its family can be asked.
 */
async function resolverAddress(
  spec: DnsSpec,
  ctx: ProbeContext,
  trace: ProbeTrace,
): Promise<{ address: string; port: number }> {
  const family = ctx.localAddress === undefined ? 0 : isIP(ctx.localAddress);
  const reachable = (address: string) => family === 0 || isIP(address) === family;
  let server: { host: string; port: number };
  let addresses: string[];
  if (spec.server === undefined) {
    const [first] = getServers();
    if (first === undefined) {
      throw new ProbeFailure('dns', 'this prober has no resolver configured; give the check a server');
    }
    server = dnsServer(first);
    addresses = [server.host];
  } else {
    server = dnsServer(spec.server);
    addresses = await resolveTarget(server.host, ctx, trace);
  }
  const address = addresses.find(reachable);
  if (address === undefined) {
    throw new ProbeFailure(
      'unreachable',
      `${server.host} has no IPv${family} address to reach from ${ctx.localAddress}`,
    );
  }
  return { address, port: server.port };
}

/** Asks the question, then judges the answer: its rcode, its records, their TTL, and how long it took. */
async function probeDns(spec: DnsSpec, ctx: ProbeContext): Promise<KindOutcome> {
  const trace = new ProbeTrace();
  let answer: KindOutcome['dns'];
  const outcome = await settle(ctx, trace, async () => {
    const { address, port } = await resolverAddress(spec, ctx, trace);
    const { response, transport } = await exchange({ address, port, name: spec.name, type: spec.type }, ctx, trace);
    const full = dnsAnswer(response, spec, transport);
    answer = reportedAnswer(full);
    const problem = answerProblem(full, spec);
    if (problem) return trace.failure(ctx, problem.error, problem.message);
    return finalVerdict(ctx, trace, spec.expect);
  });
  return answer === undefined ? outcome : { ...outcome, dns: answer };
}

export const dnsProber = {
  probe: probeDns,
  createSeries(registers) {
    const lookup = new CheckGauge({
      name: 'probe_dns_lookup_time_seconds',
      help: 'How long the last DNS question took to answer, in seconds.',
      registers,
    });
    const answers = new CheckGauge({
      name: 'probe_dns_answer_rrs',
      help: 'Records of the asked type in the last DNS answer.',
      registers,
    });
    return {
      set(labels, result) {
        lookup.set(labels, (result.timings.firstByte ?? result.timings.total) / 1000);
        answers.set(labels, result.dns?.answers.length ?? 0);
      },
      remove(labels) {
        lookup.remove(labels);
        answers.remove(labels);
      },
    };
  },
} satisfies ProberKindModule<DnsSpec>;
