import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Declares metrics that read existing counters when scraped (prom-client `collect()` callbacks): nothing is
 * added to the hot paths, which only ever bump plain numbers.
 */
export interface MetricsBuilder {
  /** A monotonically rising number (its name should end in `_total`). */
  counter(name: string, help: string, read: () => number): void;
  /** A value that goes up and down. */
  gauge(name: string, help: string, read: () => number): void;
  /** One gauge with one label, a series per key of what `read` returns (e.g. edges by state). */
  gaugeByLabel(name: string, help: string, label: string, read: () => Readonly<Record<string, number>>): void;
  /** A histogram (for what is observed off the hot paths, e.g. one payload handled); returns its observe function. */
  histogram(name: string, help: string, buckets: readonly number[]): (value: number) => void;
}

/** A registry of one node's metrics, every series labelled with the node's runtime and id. */
export function createMetricsRegistry(labels: Readonly<Record<string, string>>, defaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ ...labels });
  if (defaults) collectDefaultMetrics({ register: registry });
  return registry;
}

/** A {@link MetricsBuilder} that registers into `registry`. */
export function metricsBuilder(registry: Registry): MetricsBuilder {
  return {
    counter(name, help, read) {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          // A counter cannot be set: start from zero at each scrape and add the current total.
          this.reset();
          this.inc(read());
        },
      });
    },
    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
    histogram(name, help, buckets) {
      const h = new Histogram({ name, help, buckets: [...buckets], registers: [registry] });
      return (v) => h.observe(v);
    },
    gaugeByLabel(name, help, label, read) {
      new Gauge({
        name,
        help,
        labelNames: [label],
        registers: [registry],
        collect() {
          this.reset();
          for (const [k, v] of Object.entries(read())) this.set({ [label]: k }, v);
        },
      });
    },
  };
}
