export { startControlPlane, controlPlaneOptionsSchema } from './control-plane.js';
export type { ControlPlane, ControlPlaneOptions } from './control-plane.js';
