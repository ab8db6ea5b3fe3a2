import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';

/**
 * Counts what a connection sends: ioredis writes one command per socket write, and a whole pipeline
 * in one write, so each write is one round trip to Redis. `stop()` puts the socket's write back.
 */
export function countWrites(redis: Redis): { readonly writes: number; stop(): void } {
  const stream = (redis as unknown as { stream: Socket }).stream;
  const write = stream.write;
  let writes = 0;
  stream.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    writes++;
    return write.apply(this, args);
  } as Socket['write'];
  return {
    get writes() {
      return writes;
    },
    stop: () => {
      stream.write = write;
    },
  };
}

/** The round trips (socket writes) a connection makes while `run` runs. */
export async function writesDuring(redis: Redis, run: () => Promise<unknown>): Promise<number> {
  const counter = countWrites(redis);
  try {
    await run();
  } finally {
    counter.stop();
  }
  return counter.writes;
}
