// Issue 8, defect 3: kill -9 of the Primary under protocol C (see primary-crash-scenario.ts).
import t from 'tap';
import { primaryCrashScenario } from './primary-crash-scenario.js';

primaryCrashScenario(t, 'C');
