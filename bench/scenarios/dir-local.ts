import type { BenchOptions } from '../lib/options.ts';
import type { Row } from '../lib/result.ts';
export async function dirLocal(_o: BenchOptions): Promise<Row[]> { return []; }
