import { type ChildProcess, spawn } from 'node:child_process';

/** A child process whose output is kept for error messages and which is stopped on `stop()`. */
export class Service {
  readonly child: ChildProcess;
  /** The last 20,000 characters it printed (stdout and stderr). */
  output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Whether the process has exited (or was killed). */
  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Throws, with the process output, when it has already exited. */
  assertRunning(): void {
    if (this.hasExited) {
      throw new Error(
        `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.output}`,
      );
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
