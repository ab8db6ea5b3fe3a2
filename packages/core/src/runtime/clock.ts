/** Time, injected so escalation, confirmation and expiry logic can be tested without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
