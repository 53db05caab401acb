/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same sequence on every
 * machine, which is what makes a simulation repeatable. Not for anything security related.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /**
   * An independent stream for one purpose (demand, boot times, ...). Separate streams keep the
   * demand identical across configurations: launching one more server must not change who arrives.
   */
  static stream(seed: number, purpose: string): Random {
    let hash = 2166136261 ^ (seed >>> 0);
    for (let i = 0; i < purpose.length; i++) hash = Math.imul(hash ^ purpose.charCodeAt(i), 16777619);
    return new Random(hash);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A whole number whose expected value is `value`: 2.3 is 2 seven times in ten and 3 otherwise. */
  roundRandomly(value: number): number {
    const whole = Math.floor(value);
    return whole + (this.next() < value - whole ? 1 : 0);
  }
}
