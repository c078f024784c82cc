import type { BenchOptions } from '../lib/options.ts';
import type { Row } from '../lib/result.ts';
export async function jetstreamTwin(_o: BenchOptions): Promise<Row[]> { return []; }
