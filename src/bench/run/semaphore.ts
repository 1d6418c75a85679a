/** A FIFO counting semaphore: waiters get slots in the order they asked (arrival order). */
export class Semaphore {
  private readonly waiters: Array<() => void> = [];

  constructor(private available: number) {}

  acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}
