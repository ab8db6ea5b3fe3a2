import {
  DNS_ANSWER_MAX_CHARS,
  type DnsAnswer,
  type DnsRecordType,
  type DnsSpec,
  type ProbeErrorClass,
} from '@vigil/core';
import type { Answer, DecodedPacket } from 'dns-packet';

/** A failed judgement: the class a dashboard groups by and the sentence a person reads. */
export interface DnsProblem {
  error: ProbeErrorClass;
  message: string;
}

/** Response codes that are failures of their own, whatever the check expected otherwise. */
const RCODE_ERRORS: Record<string, ProbeErrorClass> = {
  NXDOMAIN: 'nxdomain',
  SERVFAIL: 'servfail',
  REFUSED: 'dns_refused',
};

/** What the probe reports of a response: rcode, answers of the asked type, their smallest TTL. */
export function dnsAnswer(response: DecodedPacket, spec: DnsSpec, transport: 'udp' | 'tcp'): DnsAnswer {
  const records = (response.answers ?? []).filter((answer) => answer.type === spec.type);
  const ttls = records.map((record) => ('ttl' in record ? (record.ttl ?? 0) : 0));
  return {
    rcode: rcodeOf(response),
    answers: records.map(recordText).sort().slice(0, 64),
    ...(ttls.length > 0 && { minTtl: Math.min(...ttls) }),
    transport,
  };
}

/**
 * The answer as a result reports it: each record text cut to what a result may carry, ending with '…'
 * where it was cut. `expect` is judged on the full answer first; a long TXT record (an SPF or DKIM key)
 * must not make the result fail validation and leave the check blind.
 */
export function reportedAnswer(answer: DnsAnswer): DnsAnswer {
  if (answer.answers.every((text) => text.length <= DNS_ANSWER_MAX_CHARS)) return answer;
  return { ...answer, answers: answer.answers.map(cut) };
}

function cut(text: string): string {
  if (text.length <= DNS_ANSWER_MAX_CHARS) return text;
  let kept = text.slice(0, DNS_ANSWER_MAX_CHARS - 1);
  // Never leave half of a surrogate pair at the cut.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept}…`;
}

/** The response code by name; `dns-packet` decodes it (its type definitions leave it out). */
function rcodeOf(response: DecodedPacket): string {
  const { rcode } = response as DecodedPacket & { rcode?: unknown };
  return typeof rcode === 'string' ? rcode : 'NOERROR';
}

/** The first way the answer falls short of `expect`, or undefined when it does not. */
export function answerProblem(answer: DnsAnswer, spec: DnsSpec): DnsProblem | undefined {
  const { expect } = spec;
  const asked = `${spec.type} ${spec.name}`;
  if (answer.rcode !== expect.rcode) {
    const message = `${asked}: the resolver answered ${answer.rcode}; expected ${expect.rcode}`;
    return { error: RCODE_ERRORS[answer.rcode] ?? 'assertion', message };
  }
  if (expect.rcode !== 'NOERROR') return undefined;
  const shown = answer.answers.length > 0 ? answer.answers.join(', ') : 'no records';
  if (answer.answers.length === 0 && !expect.answers) {
    return { error: 'assertion', message: `${asked}: no ${spec.type} records in the answer` };
  }
  const got = new Set(answer.answers.map((text) => normalise(spec.type, text)));
  const missing = (expect.answers?.contains ?? []).filter((text) => !got.has(normalise(spec.type, text)));
  if (missing.length > 0) {
    return { error: 'assertion', message: `${asked}: expected ${missing.join(', ')} among the answers; got ${shown}` };
  }
  const equals = expect.answers?.equals;
  if (equals && !sameSet(got, new Set(equals.map((text) => normalise(spec.type, text))))) {
    return { error: 'assertion', message: `${asked}: expected exactly ${equals.join(', ')}; got ${shown}` };
  }
  if (expect.minTtl !== undefined && answer.minTtl !== undefined && answer.minTtl < expect.minTtl) {
    return { error: 'assertion', message: `${asked}: a TTL of ${answer.minTtl}s; expected at least ${expect.minTtl}s` };
  }
  return undefined;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

/** Names compare without case and final dot; TXT and CAA values are compared as written. */
function normalise(type: DnsRecordType, text: string): string {
  const trimmed = text.trim();
  if (type === 'TXT' || type === 'CAA') return trimmed;
  return trimmed
    .split(/\s+/)
    .map((word) => word.toLowerCase().replace(/\.$/, ''))
    .join(' ');
}

function bufferText(data: string | Buffer | (string | Buffer)[]): string {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((part) => (typeof part === 'string' ? part : part.toString('utf8'))).join('');
}

function name(text: string): string {
  return text.toLowerCase().replace(/\.$/, '');
}

/** One record as `dig +short` prints it, so expectations are written the way operators already read them. */
function recordText(answer: Answer): string {
  switch (answer.type) {
    case 'A':
    case 'AAAA':
      return answer.data.toLowerCase();
    case 'CNAME':
    case 'NS':
      return name(answer.data);
    case 'MX':
      return `${answer.data.preference ?? 0} ${name(answer.data.exchange)}`;
    case 'TXT':
      return bufferText(answer.data);
    case 'SOA': {
      const soa = answer.data;
      return `${name(soa.mname)} ${name(soa.rname)} ${soa.serial ?? 0} ${soa.refresh ?? 0} ${soa.retry ?? 0} ${soa.expire ?? 0} ${soa.minimum ?? 0}`;
    }
    case 'CAA':
      return `${answer.data.flags ?? 0} ${answer.data.tag} "${answer.data.value}"`;
    default:
      return answer.type;
  }
}
