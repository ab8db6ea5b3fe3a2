import type { ApiToken } from '@vigil/core';
import type { z } from 'zod';
import { tenant } from '../../api/ownership.js';
import type { listQuery } from '../../api/routes/checks.js';
import type { WebContext } from '../../context.js';
import { etagOf } from '../../status/http-cache.js';
import type { FleetPulseReader } from '../fleet/fleet-pulse.js';
import type { GridView } from '../view/overview.js';
import { readGrid } from './grid.js';

/** A view read this recently is answered from memory: polls every 2 s from any number of consoles read it about once. */
export const GRID_CACHE_MS = 1_000;
/** Distinct views (tenant × filters × page) kept at once; the oldest goes first. */
const MAX_VIEWS = 500;

/** One page of the overview as last read, and the ETag of its data (not of its HTML: an unchanged poll renders nothing). */
export interface LiveGrid {
  view: GridView;
  etag: string;
}

/**
 * The overview's views, shared by every console of this process that sees the same checks with the
 * same filters: what a view shows depends on its tenant (or all, for an admin), never on who asks.
 */
export class GridCache {
  private readonly views = new Map<string, { at: number; grid: Promise<LiveGrid> }>();

  constructor(
    private readonly ctx: WebContext,
    private readonly pulse: FleetPulseReader,
  ) {}

  /** The view, from memory when read within `GRID_CACHE_MS`; `fresh` reads it anew (a page load after an action). */
  read(token: ApiToken, query: z.output<typeof listQuery>, filters: string, fresh = false): Promise<LiveGrid> {
    const now = this.ctx.clock.now();
    // Everything the view depends on: a `?limit=1` poll must not stand in for the default page.
    const key = `${tenant(token) ?? '*'}\n${filters}\n${query.cursor ?? ''}\n${query.limit}`;
    const held = this.views.get(key);
    if (!fresh && held && now - held.at >= 0 && now - held.at < GRID_CACHE_MS) return held.grid;
    const grid = readGrid(this.ctx, token, query, { filters, pulse: this.pulse }).then((view) => ({
      view,
      etag: etagOf(JSON.stringify(view)),
    }));
    this.views.delete(key);
    this.views.set(key, { at: now, grid });
    if (this.views.size > MAX_VIEWS) this.views.delete(this.views.keys().next().value as string);
    // A failed read is not kept: the next poll tries again.
    grid.catch(() => {
      if (this.views.get(key)?.grid === grid) this.views.delete(key);
    });
    return grid;
  }
}
