import type { TcpSpec } from '@vigil/core';
import { probeTcp } from '../tcp/tcp-probe.js';
import { NO_SERIES, type ProberKindModule } from './prober-kind.js';

export const tcpProber = {
  probe: probeTcp,
  // Success, duration and certificate expiry are every kind's; TCP has nothing more.
  createSeries: () => NO_SERIES,
} satisfies ProberKindModule<TcpSpec>;
