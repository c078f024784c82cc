/** Which way an event travels. Values equal the wire enum `hubspoke.v1.Direction`. */
export const Direction = {
  /** Delivered on the publishing node only. */
  Local: 0,
  /** Edge to control plane (and locally). On the control plane: local only. */
  Up: 1,
  /** Control plane to edges (and locally). On an edge: local only. */
  Down: 2,
} as const;
/** A direction: `Direction.Local`, `Direction.Up` or `Direction.Down`. */
export type Direction = (typeof Direction)[keyof typeof Direction];

/** Alias of `Direction.Local`, named as in the original SDK. */
export const DirLocal = Direction.Local;
/** Alias of `Direction.Up`. */
export const DirUp = Direction.Up;
/** Alias of `Direction.Down`. */
export const DirDown = Direction.Down;

/** Which runtime a plugin runs in. */
export const Runtime = {
  Control: 'control',
  Edge: 'edge',
} as const;
/** `Runtime.Control` or `Runtime.Edge`. */
export type Runtime = (typeof Runtime)[keyof typeof Runtime];

/** The direction's name, for logs and errors. */
export function directionName(d: Direction): 'local' | 'up' | 'down' {
  return d === Direction.Up ? 'up' : d === Direction.Down ? 'down' : 'local';
}
