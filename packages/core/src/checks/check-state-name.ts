/** The states the notifier's state machine moves a check through; core owns them so every edge shares one list. */
export const CHECK_STATES = ['up', 'degraded', 'down', 'unknown', 'new'] as const;
export type CheckStateName = (typeof CHECK_STATES)[number];

/** What a check shows in lists and filters: its evaluated state, or `paused` when it is not probed. */
export const CHECK_LIST_STATES = [...CHECK_STATES, 'paused'] as const;
export type CheckListState = (typeof CHECK_LIST_STATES)[number];
