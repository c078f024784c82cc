// Command-line options of the bench.
export interface BenchOptions {
  /** Messages per DirUp round; other scenarios scale from it. */
  count: number;
  size: number;
  /** Edge nodes of the fan-out scenario (and of the memory scenario). */
  edges: number;
  repeats: number;
  quick: boolean;
  only: string[] | undefined;
  out: string | undefined;
  cpuProf: boolean;
  url: string;
}
