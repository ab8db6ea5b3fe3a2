/** Planned maintenance: windows from vigil.yaml and the API, one-off or recurring, and whether a check is in one. */
export { isUnderMaintenance, maintenanceWindowAt, namesCheck, upcomingWindows } from './maintenance.js';
export { type Maintenance, maintenanceSchema } from './maintenance-schema.js';
export { MaintenanceSource } from './maintenance-source.js';
export { MaintenanceStore, maintenanceToInput } from './maintenance-store.js';
