/** One CLI verb: `heed <name> ...`. */
export interface Command {
  name: string;
  /** One line for `heed --help`. */
  summary: string;
  /** The full text of `heed <name> --help`. */
  help: string;
  /** Runs the verb with the arguments after its name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}
