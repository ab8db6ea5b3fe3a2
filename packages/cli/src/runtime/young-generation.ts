import { setFlagsFromString } from 'node:v8';

/** V8's own default for `--semi-space-growth-factor` (Node 20 to 24). */
export const DEFAULT_GROWTH_FACTOR = 2;

/**
 * Keeps V8's young generation at its starting size while a role loads its modules and connects.
 * Start-up allocates fast, so every scavenge finds the nursery busy and doubles it, up to 16 MB a
 * semi-space: ~30 MB of RSS an idle role then carries until V8's memory reducer gives it back a
 * minute later. Returns the release, which restores the default growth for the role's real work
 * (a prober under load keeps the larger nursery it earns then). Releasing twice is a no-op.
 */
export function holdYoungGeneration(): () => void {
  setFlagsFromString('--semi-space-growth-factor=1');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
  };
}
