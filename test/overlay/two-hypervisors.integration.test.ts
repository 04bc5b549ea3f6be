// Issue 8 end to end on two simulated hypervisors wired back to back (see scenario.ts for the steps).
import test from 'ava';
import { overlayScenario } from './scenario.js';

overlayScenario(test, 2);
