// A budget of bytes shared by concurrent work, first come first served: acquire(n) waits until n
// bytes are free and no earlier caller still waits. A request larger than the whole budget is
// served alone, once everything else is released.
export class ByteBudget {
  private used = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  /** Resolves with the release function once `bytes` are granted. */
  acquire(bytes: number): Promise<() => void> {
    const want = Math.min(Math.max(0, bytes), this.capacity);
    return new Promise((resolve) => {
      const grant = (): void => {
        this.used += want;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.used -= want;
          this.pump();
        });
      };
      this.waiting.push({ bytes: want, grant });
      this.pump();
    });
  }

  /** Bytes granted and not yet released. */
  get inUse(): number {
    return this.used;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.capacity) this.waiting.shift()!.grant();
  }
}
