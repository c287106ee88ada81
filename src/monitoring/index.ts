// The seed's import path after its migration (`service_infrastructure.monitoring`): the same API
// as the package root.
export * from '../index.js';
