import { describe, expect, it } from 'vitest';
import { episodeKey, parseEpisodeKey, signEpisodeRef, verifyEpisodeRef } from './incident-ref.js';

describe('episode keys and signed references', () => {
  it('reads back the episode of a key Vigil made, ids with dashes included', () => {
    for (const ref of [
      { incidentId: '42', episode: 1 },
      { incidentId: 'inc-7-b', episode: 12 },
    ]) {
      expect(parseEpisodeKey(episodeKey(ref))).toEqual(ref);
    }
    for (const key of ['', 'vigil-', 'vigil-42', 'vigil-42-0', 'other-42-1', 'vigil-42-1x']) {
      expect(parseEpisodeKey(key)).toBeUndefined();
    }
  });

  it('verifies a reference only with the secret that signed it, and not once tampered with', () => {
    const ref = { incidentId: '42', episode: 3 };
    const signed = signEpisodeRef('secret-a', ref);
    expect(verifyEpisodeRef('secret-a', signed)).toEqual(ref);
    expect(verifyEpisodeRef('secret-b', signed)).toBeUndefined();
    expect(verifyEpisodeRef('secret-a', signed.replace('vigil-42-3', 'vigil-43-3'))).toBeUndefined();
    expect(verifyEpisodeRef('secret-a', episodeKey(ref))).toBeUndefined();
    expect(verifyEpisodeRef('secret-a', `${signed}x`)).toBeUndefined();
  });
});
