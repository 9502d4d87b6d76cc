import { Module } from './module.js';

/** An indexed list of modules whose parameters are named `0.…`, `1.…` (torch.nn.ModuleList). */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];

  constructor(items: readonly M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => {
      this.addModule(String(i), m);
    });
  }

  get length(): number {
    return this.items.length;
  }
}
