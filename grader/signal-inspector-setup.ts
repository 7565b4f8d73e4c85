// vitest setup file of grading runs (grader/runner.ts): the worker ignores SIGUSR1 (see signal-inspector.ts)
import { ignoreInspectorSignal } from './signal-inspector.js';

ignoreInspectorSignal();
