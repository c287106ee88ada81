import type { MonitoringSettings } from '../config/MonitoringSettings.js';
import type { EventBus } from '../events/EventBus.js';
import { createToken } from './Token.js';

/** Registry token for the monitoring event bus. */
export const IEventBus = createToken<EventBus>('IEventBus');
export type IEventBus = EventBus;

/** Registry token for the frozen `MonitoringSettings`. */
export const IMonitoringSettings = createToken<MonitoringSettings>('IMonitoringSettings');
export type IMonitoringSettings = MonitoringSettings;
