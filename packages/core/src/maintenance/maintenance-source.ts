import type { VigilConfig } from '../config/config.js';
import type { Maintenance } from './maintenance-schema.js';
import type { MaintenanceStore } from './maintenance-store.js';

/**
 * The maintenances in force: vigil.yaml's, then those created through the API. The stored ones are
 * cached and reloaded only when the store's version moved, so a call costs one GET while nothing
 * changes, and a window created or deleted by another process counts from the next call on.
 */
export class MaintenanceSource {
  private readonly store: MaintenanceStore;
  private cached: { version: number; maintenances: Maintenance[] } | undefined;

  constructor(private readonly ctx: { maintenances: MaintenanceStore; config: Pick<VigilConfig, 'maintenances'> }) {
    this.store = ctx.maintenances;
  }

  async current(): Promise<Maintenance[]> {
    const version = await this.store.version();
    let cached = this.cached;
    if (cached?.version !== version) {
      cached = { version, maintenances: await this.store.list() };
      this.cached = cached;
    }
    return [...this.ctx.config.maintenances, ...cached.maintenances];
  }
}
