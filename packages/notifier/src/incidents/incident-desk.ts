import {
  asTenantCheck,
  type Check,
  type IncidentMember,
  type IncidentStore,
  incidentGroup,
  isUnderMaintenance,
  type ProbeErrorClass,
  pagingEscalation,
  TimedMemo,
} from '@vigil/core';
import type { AddressTransition } from '../evaluation/address-states.js';
import type { CheckCatalog } from '../evaluation/check-catalog.js';
import type { CheckStates, Transition } from '../evaluation/check-state.js';
import type { NotifierContext } from '../notifier-context.js';

/** A maintenance window deleted through the API frees the alerts it held at the next drain. */
type IncidentDeskContext = Pick<
  NotifierContext,
  | 'redis'
  | 'keys'
  | 'log'
  | 'clock'
  | 'config'
  | 'incidents'
  | 'checkStates'
  | 'addressStates'
  | 'maintenanceSource'
  | 'tokens'
>;

/** How long the desk trusts its list of operator owners (owners of admin tokens). */
const OPERATORS_MEMO_MS = 10_000;

/**
 * Turns alerting transitions into incidents: a check going down opens its group's incident (its
 * component's, or its own), joins the open one, or reopens one resolved moments ago; recovering
 * takes it out, and the last one out resolves it with downtime bounds. Checks under maintenance
 * stay in the outbox until the window ends or is deleted.
 */
export class IncidentDesk {
  readonly incidents: IncidentStore;
  private readonly states: CheckStates;
  private readonly operators = new TimedMemo({ ttlMs: OPERATORS_MEMO_MS });

  constructor(
    private readonly ctx: IncidentDeskContext,
    private readonly parts: { catalog: CheckCatalog },
  ) {
    this.incidents = ctx.incidents;
    this.states = ctx.checkStates;
  }

  /** Acts on one transition; leaves it in the outbox when it must wait (maintenance). */
  async apply(transition: Transition): Promise<void> {
    const check = await this.parts.catalog.fetch(transition.checkId);
    if (!check) {
      await this.states.settle(transition);
      return;
    }
    if (transition.kind === 'alert') {
      const now = this.ctx.clock.now();
      const maintenance = isUnderMaintenance(await this.ctx.maintenanceSource.current(), check, now);
      if (maintenance) {
        this.ctx.log.info({ check: check.id, maintenance: maintenance.id }, 'down during maintenance: no incident');
        return;
      }
      await this.open(await this.tenantView(check), transition, now);
    } else {
      await this.recover(check, await this.tenantView(check), transition);
    }
    await this.states.settle(transition);
  }

  /**
   * An address of a check went down or came back: a line on the timeline of the check's open
   * incident; with `alertOn: address`, an incident of its own while the name still answers, resolved
   * once no address is down (unless the check itself is down then).
   */
  async applyAddress(transition: AddressTransition): Promise<void> {
    const check = await this.parts.catalog.fetch(transition.checkId);
    const outcome = check ? await this.actOnAddress(check, transition) : 'done';
    // Held by a maintenance window: it stays in the outbox for the drain after the window.
    if (outcome === 'done' && (!check || check.alertOn === 'address')) await this.ctx.addressStates.settle(transition);
  }

  private async actOnAddress(check: Check, transition: AddressTransition): Promise<'done' | 'held'> {
    const view = await this.tenantView(check);
    const now = this.ctx.clock.now();
    const open = await this.openIncidentOf(check, view);
    if (check.alertOn === 'address' && transition.kind === 'down' && !open) {
      // From the outbox, a change may be stale: only an address still down opens an incident.
      const current = (await this.ctx.addressStates.get(check.id)).find((a) => a.address === transition.address);
      if (current?.state !== 'down') return 'done';
      const maintenance = isUnderMaintenance(await this.ctx.maintenanceSource.current(), check, now);
      if (maintenance) {
        this.ctx.log.info({ check: check.id, address: transition.address }, 'address down during maintenance');
        return 'held';
      }
      await this.openForAddress(view, transition, now);
      return 'done';
    }
    const status = open ? (await this.incidents.get(open))?.status : undefined;
    if (!open || !status || status === 'resolved') return 'done';
    await this.incidents.addUpdate(open, { by: 'vigil', status, message: addressUpdate(transition) }, now);
    if (check.alertOn === 'address' && transition.kind !== 'down')
      await this.recoverAddress(check, view, transition, open);
    return 'done';
  }

  private async openForAddress(check: Check, transition: AddressTransition, now: number): Promise<void> {
    const address = {
      address: transition.address,
      since: transition.since,
      vantagesFailing: transition.failing,
      vantagesTotal: transition.counted,
      ...(transition.error && { error: transition.error }),
    };
    const member: IncidentMember = {
      checkId: check.id,
      ...(check.owner !== undefined && { owner: check.owner }),
      name: check.name,
      down: true,
      firstFailedRound: transition.since,
      lastFailedRound: transition.round,
      vantagesFailing: transition.failing,
      vantagesTotal: transition.counted,
      ...(transition.error && { error: transition.error }),
      message: `the name answers, but ${transition.address} does not`,
      addresses: [address],
    };
    const escalation = pagingEscalation(this.ctx.config, check);
    // Grouped as the check's own alerts are: addresses down in one component share its incident.
    const { group, component } = this.group(check);
    const outcome = await this.incidents.openOrJoin(
      {
        group,
        title: `${check.name}: address ${transition.address} down`,
        impact: 'minor',
        severity: check.severity,
        ...(component && { component }),
        ...(escalation && { escalation }),
        startedAt: transition.since,
        member,
        openedMessage: `${check.name} still answers, but ${addressUpdate(transition)}`,
        joinedMessage: '',
      },
      now,
      this.ctx.config.notifier.reopenWindow,
    );
    this.ctx.log.info({ check: check.id, address: transition.address, incident: outcome.id }, 'address down');
  }

  /** Resolves an incident opened for addresses once none is down and the check itself is not. */
  private async recoverAddress(check: Check, view: Check, transition: AddressTransition, id: string) {
    const incident = await this.incidents.get(id);
    const member = incident?.members.find((m) => m.checkId === check.id);
    if (!member?.addresses) return;
    const addresses = await this.ctx.addressStates.get(check.id);
    if (addresses.some((a) => a.state === 'down')) return;
    if ((await this.states.get(check.id)).state === 'down') return;
    await this.incidents.memberRecovered(
      id,
      {
        checkId: view.id,
        firstGoodAfter: transition.since,
        // The round before the first good one: rounds come every interval.
        lastFailedRound: Math.max(member.lastFailedRound, transition.since - check.intervalMs),
        partialMessage: 'Partial recovery; checks still failing: %d.',
        resolvedMessage: `Resolved: ${transition.address} is ${transition.kind === 'gone' ? 'no longer resolved' : 'back'}, no address is down.`,
      },
      this.ctx.clock.now(),
    );
  }

  /** Retries outbox entries left behind (maintenance over, or a notifier that died mid-way). */
  async drain(olderThanMs = 2_000): Promise<void> {
    const now = this.ctx.clock.now();
    for (const transition of await this.states.pendingTransitions()) {
      if (now - transition.at >= olderThanMs) await this.apply(transition);
    }
    for (const transition of await this.ctx.addressStates.pending()) {
      if (now - transition.at >= olderThanMs) await this.applyAddress(transition);
    }
  }

  /**
   * The check as tenancy sees it: an owner holding an admin token is the operators (its checks
   * group and page as vigil.yaml's do); any other owner is a tenant.
   */
  private async tenantView(check: Check): Promise<Check> {
    const now = this.ctx.clock.now();
    const operators = await this.operators.get('owners', now, () => this.ctx.tokens.operatorOwners());
    return asTenantCheck(check, operators);
  }

  /**
   * The check's incident group under the current grants: the component's own only for its owner's
   * checks (a tenant's check never joins, and so never sees, the operators').
   */
  private group(check: Check): { group: string; component?: string } {
    return incidentGroup(this.ctx.config, check);
  }

  private async open(check: Check, transition: Transition, now: number): Promise<void> {
    const { detail } = transition;
    const down = transition.to === 'down';
    const failing = `${detail.failing.length} of ${detail.counted} vantages${detail.error ? `: ${detail.error}` : ''}`;
    const member: IncidentMember = {
      checkId: check.id,
      ...(check.owner !== undefined && { owner: check.owner }),
      name: check.name,
      down: true,
      firstFailedRound: transition.firstFailedRound ?? transition.round,
      lastFailedRound: transition.lastFailedRound ?? transition.round,
      ...(transition.lastGoodBefore !== undefined && { lastGoodBefore: transition.lastGoodBefore }),
      vantagesFailing: detail.failing,
      vantagesTotal: detail.counted,
      ...(detail.error && { error: detail.error as ProbeErrorClass }),
      ...(detail.message && { message: detail.message }),
    };
    const { group, component: componentId } = this.group(check);
    const component = this.ctx.config.components.find((c) => c.id === componentId);
    // The owner's granted policy; the operators' `default` only for the operators' checks or by grant.
    const escalation = pagingEscalation(this.ctx.config, check);
    const outcome = await this.incidents.openOrJoin(
      {
        group,
        title: component ? `${component.name}: ${down ? 'outage' : 'degraded'}` : `${check.name} is ${transition.to}`,
        impact: down ? 'major' : 'minor',
        severity: check.severity,
        ...(component && { component: component.id }),
        ...(escalation && { escalation }),
        startedAt: member.firstFailedRound,
        member,
        openedMessage: `${check.name} is ${down ? 'failing' : 'degraded'} from ${failing}.`,
        joinedMessage: '',
      },
      now,
      this.ctx.config.notifier.reopenWindow,
    );
    this.ctx.log.info({ check: check.id, incident: outcome.id, verb: outcome.verb }, `incident ${outcome.verb}`);
  }

  /**
   * The open incident the check is down in. Its group under the current grants first; grants or the
   * owners holding admin tokens may have changed since it opened, so then each group it could have
   * joined then (its own, its component's, its owner's incident of the component).
   */
  private async openIncidentOf(check: Check, view: Check): Promise<string | undefined> {
    const owners = new Set([check.owner ?? 'operators', view.owner ?? 'operators', 'operators']);
    const groups = new Set([this.group(view).group, `check:${check.id}`]);
    if (check.component !== undefined) {
      groups.add(`component:${check.component}`);
      for (const owner of owners) groups.add(`component:${check.component}:owner:${owner}`);
    }
    for (const group of groups) {
      const id = await this.ctx.redis.get(this.ctx.keys.incidentGroup(group));
      if (!id) continue;
      const incident = await this.incidents.get(id);
      const member = incident?.members.find((m) => m.checkId === check.id);
      if (incident && incident.status !== 'resolved' && member?.down) return id;
    }
    return undefined;
  }

  private async recover(check: Check, view: Check, transition: Transition): Promise<void> {
    const id = await this.openIncidentOf(check, view);
    if (!id) return;
    const outcome = await this.incidents.memberRecovered(
      id,
      {
        checkId: view.id,
        firstGoodAfter: transition.firstGoodAfter ?? transition.round,
        lastFailedRound: transition.lastFailedRound ?? transition.round,
        partialMessage: 'Partial recovery; checks still failing: %d.',
        resolvedMessage: 'Resolved: every check is up again.',
      },
      this.ctx.clock.now(),
    );
    if (outcome.verb !== 'unchanged') {
      this.ctx.log.info({ check: view.id, incident: id, ...outcome }, `incident ${outcome.verb}`);
    }
  }
}

/** The timeline's line for an address transition: "5.104.101.30 is down: failing from 3 of 3 vantages since …". */
export function addressUpdate(transition: AddressTransition): string {
  const at = new Date(transition.since).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (transition.kind === 'gone') return `${transition.address} is no longer an address of the name.`;
  if (transition.kind === 'back') return `${transition.address} is back (good since ${at}).`;
  const vantages = transition.failing.length > 0 ? ` (${transition.failing.join(', ')})` : '';
  const why = transition.error ? `: ${transition.error}` : '';
  return `${transition.address} is down: failing from ${transition.failing.length} of ${transition.counted} vantages${vantages} since ${at}${why}.`;
}
