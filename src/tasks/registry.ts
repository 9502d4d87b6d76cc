import { classificationTask } from './classification/task.js';
import { lmTask } from './lm/task.js';
import type { TaskName } from './run-config.js';
import type { Task } from './task.js';
import { translationTask } from './translation/task.js';

/** Every task, registered explicitly by name. */
const tasks: Readonly<Record<TaskName, Task>> = {
  translation: translationTask,
  classification: classificationTask,
  lm: lmTask,
};

export function taskFor(name: TaskName): Task {
  return tasks[name];
}
